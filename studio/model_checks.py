"""What the admin's "Test connection" and "Download the model now" do with a preset.

Test connection asks the preset's engine, downloading nothing: for the local
diffusers engine, whether the model is built, on disk, in the Hugging Face
cache or reachable on the hub (and how big); for a remote engine, whether it
answers and lists the preset's model. Messages never carry a secret.

Download the model now fetches a hub model into the Hugging Face cache in a
background thread of this process, so the first job does not wait for it.
The cache is the one the workers read when they run on this machine (the
default: ``make run`` / ``manage.py serve``); where the GPU worker runs on
another machine, run ``manage.py prefetch_model <key>`` there instead. The
file lock in the cache makes a worker that needs the same model meanwhile
wait for this download rather than start another; an interrupted download
resumes. No Django model is touched from the thread.
"""

from __future__ import annotations

import logging
import platform
import threading
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django.conf import settings

from .backends import ENGINES, engine_module
from .backends.base import BackendError, Cancelled, Progress
from .download_speed import DownloadSpeed
from .presets import TINY_MODEL, engine_ready, has_cuda, resolve_model_id

log = logging.getLogger(__name__)

SETUP = {
    "diffusers": "install the local extra (torch, diffusers): pip install -e '.[local]'",
    "huggingface": "set HF_TOKEN",
    "openai": "set OPENAI_API_KEY",
    "a1111": "set ATELIER_A1111_URL",
    "comfyui": "set ATELIER_COMFYUI_URL",
}
SECRET_KEYS = ("token", "api_key", "password")


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str


def check_preset(preset) -> Outcome:
    """Ask the preset's engine whether its model can be used, downloading nothing."""
    if preset.backend not in ENGINES:
        return Outcome(False, f"Unknown engine '{preset.backend}'.")
    if not engine_ready(preset.backend):
        return Outcome(
            False, f"The {preset.backend} engine is not set up here: {SETUP[preset.backend]}."
        )
    if preset.backend == "diffusers":
        return _check_local(preset)
    config = settings.ATELIER_ENGINES.get(preset.backend) or {}
    try:
        # A fresh instance: the engine as configured now, not as a worker first saw it.
        models = engine_module(preset.backend).create_backend(config).models()
    except BackendError as error:
        return Outcome(False, hide_secrets(error.message, config))
    except Exception as error:
        log.warning("asking %s for its models failed", preset.backend, exc_info=True)
        return Outcome(
            False, f"The {preset.backend} engine could not be asked ({type(error).__name__})."
        )
    if lists(models, preset.model_id):
        return Outcome(True, f"The {preset.backend} engine lists '{preset.model_id}'.")
    known = ", ".join(models[:10]) or "none"
    return Outcome(
        False,
        hide_secrets(
            f"The {preset.backend} engine answered but does not list '{preset.model_id}' "
            f"(it has: {known}). Fix the preset's model id, or add the model to the engine.",
            config,
        ),
    )


def _check_local(preset) -> Outcome:
    from .backends.model_download import check_model, locate
    from .backends.tiny_model import is_current_build

    model_id = resolve_model_id(preset.model_id)
    if preset.model_id == TINY_MODEL:
        if is_current_build(model_id):
            return Outcome(True, f"The tiny test model is built at {model_id}.")
        return Outcome(
            False,
            "The tiny test model is not built on this machine yet: run "
            "`python manage.py build_tiny_model`.",
        )
    try:
        kind = locate(model_id)
        if kind == "folder":
            return Outcome(True, f"A diffusers folder on this machine: {model_id}.")
        if kind == "file":
            return Outcome(True, f"A checkpoint file on this machine: {model_id}.")
        if running := background_download(model_id):
            return Outcome(True, f"Downloading in the background: {running.status}.")
        return Outcome(True, check_model(model_id, fp16=wants_fp16(preset.options)))
    except BackendError as error:
        return Outcome(False, error.message)


def lists(models: list[str], model_id: str) -> bool:
    """Whether an engine's model list names ``model_id`` (A1111 titles end in " [hash]")."""
    wanted = model_id.strip()
    for name in models:
        bare = name.rsplit(" [", 1)[0]
        file_name = PurePosixPath(bare.replace("\\", "/")).name
        if wanted in {name, bare, file_name, PurePosixPath(file_name).stem}:
            return True
    return False


def hide_secrets(text: str, config: dict) -> str:
    for key in SECRET_KEYS:
        secret = config.get(key)
        if secret and len(str(secret)) >= 4:
            text = text.replace(str(secret), "***")
    return text


def wants_fp16(options: dict) -> bool:
    """Whether the worker will load half precision (as diffusers_local.pick_device decides),
    told without importing torch: a GPU (NVIDIA, Apple) unless the preset sets a dtype."""
    dtype = (options or {}).get("dtype")
    if dtype:
        return dtype == "float16"
    apple_gpu = platform.system() == "Darwin" and platform.machine() == "arm64"
    return has_cuda() or apple_gpu


# Downloading now -----------------------------------------------------------------


def download_target(preset) -> tuple[str, bool] | Outcome:
    """The hub id to download and whether in fp16, or why there is nothing to download."""
    from huggingface_hub import constants

    from .backends.model_download import locate, offline_error

    if preset.backend != "diffusers":
        return Outcome(
            True, f"Nothing to download: the {preset.backend} engine keeps its own models."
        )
    if preset.model_id == TINY_MODEL:
        return Outcome(
            True,
            "Nothing to download: the tiny model is built on this machine "
            "(`python manage.py build_tiny_model`).",
        )
    model_id = resolve_model_id(preset.model_id)
    try:
        if locate(model_id) != "hub":
            return Outcome(True, f"Nothing to download: '{model_id}' is on this machine.")
    except BackendError as error:
        return Outcome(False, error.message)
    if constants.is_offline_mode():
        return Outcome(False, offline_error(model_id).message)
    return model_id, wants_fp16(preset.options)


def prefetch(preset, on_progress, should_cancel=None) -> Outcome:
    """Download the preset's model now, in this thread (``manage.py prefetch_model``).
    Raises ``Cancelled`` when ``should_cancel`` says so (what came is kept)."""
    from .backends.model_download import fetch_model, format_size
    from .model_status import remember_download_size

    target = download_target(preset)
    if isinstance(target, Outcome):
        return target
    model_id, fp16 = target
    try:
        fetched = fetch_model(
            model_id, on_progress, fp16=fp16, should_cancel=should_cancel or (lambda: False)
        )
    except BackendError as error:
        return Outcome(False, error.message)
    if fetched is not None:
        remember_download_size(model_id, fp16, fetched.size)
    if fetched is None:
        return Outcome(
            False,
            f"The Hugging Face hub cannot be reached; the copy of '{model_id}' in the "
            "cache is used as it is.",
        )
    return Outcome(
        True, f"'{model_id}' is downloaded: {format_size(fetched.size)} in {fetched.folder}."
    )


@dataclass
class BackgroundDownload:
    """A download running in a thread of this process, with what the Models page shows."""

    model_id: str
    label: str = ""
    fp16: bool = False
    thread: threading.Thread | None = None
    status: str = "starting"
    outcome: Outcome | None = None
    cancelled: bool = False
    meter: DownloadSpeed = field(default_factory=DownloadSpeed)

    def report(self, progress: Progress) -> None:
        if progress.message:
            self.status = progress.message.removeprefix("Downloading model — ")
        if progress.phase != "downloading" or not progress.total:
            return
        from .model_status import remember_download_size

        if progress.total != self.meter.total:
            remember_download_size(self.model_id, self.fp16, progress.total)
        self.meter.add(progress.step, progress.total)

    @property
    def done(self) -> int:
        return self.meter.done

    @property
    def total(self) -> int:
        return self.meter.total

    @property
    def speed(self) -> float | None:
        return self.meter.speed

    @property
    def eta(self) -> float | None:
        return self.meter.eta

    def cancel(self) -> None:
        self.cancelled = True

    def should_cancel(self) -> bool:
        return self.cancelled

    @property
    def person_message(self) -> str:
        """Why it failed, in words for the person (the outcome's message is the admin's)."""
        if self.outcome is None or self.outcome.ok:
            return ""
        if self.cancelled:
            return "The download was cancelled. What was downloaded is kept: it resumes there."
        return (
            f"The download of {self.label or self.model_id} failed. Try again: it resumes "
            "where it stopped. The details below say what went wrong."
        )


_downloads: dict[str, BackgroundDownload] = {}
_downloads_lock = threading.Lock()


def last_download(model_id: str) -> BackgroundDownload | None:
    """The latest background download of ``model_id`` in this process, running or done."""
    with _downloads_lock:
        return _downloads.get(model_id)


def background_download(model_id: str) -> BackgroundDownload | None:
    """The download of ``model_id`` running in this process, if any."""
    running = last_download(model_id)
    return running if running and running.outcome is None else None


def start_download(preset) -> Outcome:
    """Start fetching the preset's model in a background thread; say what happens."""
    from .backends.model_download import CachedRepo

    target = download_target(preset)
    if isinstance(target, Outcome):
        return target
    model_id, fp16 = target
    if CachedRepo(model_id).complete("main", fp16):
        return Outcome(True, f"'{model_id}' is already downloaded.")
    with _downloads_lock:
        if (running := _downloads.get(model_id)) and running.outcome is None:
            return Outcome(True, f"'{model_id}' is already downloading: {running.status}.")
        download = _downloads[model_id] = BackgroundDownload(model_id, preset.label, fp16)
        download.thread = threading.Thread(
            target=_download, args=(download, preset), name=f"download {model_id}", daemon=True
        )
        download.thread.start()
    return Outcome(
        True,
        f"Downloading '{model_id}' in the background into the Hugging Face cache. "
        "“Test connection” shows how far it is.",
    )


def cancel_download(model_id: str) -> bool:
    """Ask the background download of ``model_id`` to stop; whether one was running."""
    running = background_download(model_id)
    if running is None:
        return False
    running.cancel()
    return True


def _download(download: BackgroundDownload, preset) -> None:
    try:
        outcome = prefetch(preset, download.report, download.should_cancel)
    except Cancelled:
        outcome = Outcome(False, f"The download of '{download.model_id}' was cancelled.")
    except Exception as error:  # the thread's end: log it, never lose it
        log.exception("downloading %s failed", download.model_id)
        outcome = Outcome(False, f"Unexpected error ({type(error).__name__}).")
    if outcome.ok:
        log.info("%s", outcome.message)
    else:
        log.warning("downloading %s failed: %s", download.model_id, outcome.message)
    download.outcome = outcome
