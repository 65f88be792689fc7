"""Where each model stands on this server: installed, not installed,
downloading or failed, its size on disk and to download, when it was last
used, and whether a person can use it now. The Models page, the Generate
picker and ``GET /api/v1/models/`` all read it from here.

Whether the Hugging Face hub can be reached is asked once and remembered for
``HUB_CHECK_CACHE`` seconds (in the shared cache), with a short timeout: a
page never waits long on a hub that is away.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max

from .models import GenerationJob, ModelPreset
from .presets import TINY_MODEL, engine_ready, resolve_model_id
from .routing import live_model_keys

log = logging.getLogger(__name__)

HUB_CHECK_TIMEOUT = 2.0  # seconds the hub has to answer
HUB_CHECK_CACHE = 60  # seconds an answer is remembered
HUB_CHECK_KEY = "atelier:hub-reachable"
SIZE_KEY = "atelier:download-size:{model_id}:{precision}"

INSTALLED = "installed"
NOT_INSTALLED = "not_installed"
DOWNLOADING = "downloading"
FAILED = "failed"
REMOTE = "remote"  # a remote engine keeps its own models
LABELS = {
    INSTALLED: "installed",
    NOT_INSTALLED: "not installed",
    DOWNLOADING: "downloading",
    FAILED: "download failed",
    REMOTE: "on the engine's server",
}

# About how much the built-in hub presets download (fp16, full precision);
# replaced by the hub's exact figure once it has been asked.
KNOWN_SIZES = {
    "stabilityai/sd-turbo": (2_580_000_000, 5_160_000_000),
    "stabilityai/sdxl-turbo": (6_940_000_000, 13_880_000_000),
    "stabilityai/stable-diffusion-xl-base-1.0": (6_940_000_000, 13_880_000_000),
}

UNREACHABLE_NOTE = (
    "It is not installed and the model hub cannot be reached from this server, so it "
    "cannot be used now. An admin can install it from the Models page."
)


def hub_reachable() -> bool:
    """Whether the Hugging Face hub (HF_ENDPOINT) answers, asked at most once a minute."""
    from huggingface_hub import constants

    if constants.is_offline_mode():
        return False
    key = f"{HUB_CHECK_KEY}:{constants.ENDPOINT}"
    known = cache.get(key)
    if known is not None:
        return known
    reachable = _ask_hub(constants.ENDPOINT)
    cache.set(key, reachable, HUB_CHECK_CACHE)
    return reachable


def _ask_hub(endpoint: str) -> bool:
    import httpx2  # what huggingface_hub itself talks to the hub with

    started = time.monotonic()
    try:
        httpx2.head(endpoint, timeout=HUB_CHECK_TIMEOUT)
    except httpx2.HTTPError as error:
        log.info("the model hub %s cannot be reached: %s", endpoint, error)
        return False
    log.debug("the model hub answered in %.2f s", time.monotonic() - started)
    return True


def forget_hub_check() -> None:
    from huggingface_hub import constants

    cache.delete(f"{HUB_CHECK_KEY}:{constants.ENDPOINT}")


@dataclass
class ModelStatus:
    preset: ModelPreset
    state: str
    size_on_disk: int | None = None
    download_size: int | None = None
    done: int | None = None  # bytes downloaded so far
    total: int | None = None
    speed: float | None = None  # bytes per second
    eta: float | None = None  # seconds
    error: str = ""  # why the last download failed, for the person
    error_details: str = ""  # and for the admin
    last_used: object = None
    usable: bool = True
    hub: bool = False  # a hub model: it can be downloaded, cancelled, deleted
    for_job: bool = False  # downloading for a generation (the job's cancel stops it)
    workers: list = field(default_factory=list)  # the live workers that have it (Models page)

    @property
    def key(self) -> str:
        return self.preset.key

    @property
    def label(self) -> str:
        return self.preset.label

    @property
    def state_label(self) -> str:
        return LABELS[self.state]

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.done and self.total else 0

    @property
    def size_on_disk_text(self) -> str:
        return format_size(self.size_on_disk)

    @property
    def download_size_text(self) -> str:
        return format_size(self.download_size)

    @property
    def progress_text(self) -> str:
        """ "1.2 / 2.6 GB · 45.0 MB/s · about 1 min left" """
        from .download_speed import progress_text

        if not self.total:
            return "Starting…"
        return progress_text(self.done or 0, self.total, self.speed, self.eta)

    @property
    def note(self) -> str:
        """What the Generate page says about picking this model."""
        if not self.usable:
            return UNREACHABLE_NOTE
        if self.state in (NOT_INSTALLED, FAILED):
            size = f" ({format_size(self.download_size)})" if self.download_size else ""
            return f"It is downloaded on first use{size}: the first picture takes longer."
        if self.state == DOWNLOADING:
            return "It is being downloaded now; a picture waits for the download."
        return ""

    def picker_label(self) -> str:
        """ "SD Turbo — not installed, 2.6 GB" """
        if self.state == REMOTE or (self.state == INSTALLED and self.preset.model_id == TINY_MODEL):
            return self.label
        parts = [self.state_label]
        if self.state == DOWNLOADING and self.total:
            parts = [f"downloading, {self.percent}%"]
        elif self.state != INSTALLED and self.download_size:
            parts.append(format_size(self.download_size))
        if not self.usable:
            parts = ["cannot be used now (the model hub is unreachable)"]
        return f"{self.label} — {', '.join(parts)}"


def format_size(count: int | None) -> str:
    from .backends.model_download import format_size as fmt

    return fmt(count) if count else ""


def statuses(presets=None, *, reachable: bool | None = None) -> list[ModelStatus]:
    """The status of each preset given (by default: all), as people see it:
    a local model that a live GPU worker has is installed, wherever that
    worker runs (``status_of`` is this machine's own view, the worker's)."""
    presets = list(ModelPreset.objects.all() if presets is None else presets)
    last = dict(
        GenerationJob.objects.filter(model__in=[p.key for p in presets])
        .values_list("model")
        .annotate(last=Max("created"))
    )
    found = [status_of(p, reachable=reachable) for p in presets]
    jobs_downloading = dict(
        GenerationJob.objects.filter(
            status=GenerationJob.Status.RUNNING,
            phase="downloading",
            model__in=[s.key for s in found if s.hub and s.state != INSTALLED],
        ).values_list("model", "progress")
    )
    on_workers = live_model_keys()
    for status in found:
        status.last_used = last.get(status.key)
        if status.key in on_workers and status.state in (NOT_INSTALLED, FAILED):
            # Not on this machine, but on a GPU worker's (a fleet: studio/routing.py):
            # its jobs run there.
            status.state, status.usable = INSTALLED, True
            status.error = status.error_details = ""
        if status.key in jobs_downloading and status.state != DOWNLOADING:
            # A job's worker is fetching it: its share done, in bytes where the size is known.
            status.state, status.usable, status.for_job = DOWNLOADING, True, True
            if status.download_size:
                status.total = status.download_size
                status.done = int(jobs_downloading[status.key] * status.download_size)
    return found


def status_of(preset: ModelPreset, *, reachable: bool | None = None) -> ModelStatus:
    """One preset's status; ``reachable`` spares asking the hub when already known."""
    from .model_checks import last_download, wants_fp16

    if preset.backend != "diffusers":
        return ModelStatus(preset, REMOTE, usable=engine_ready(preset.backend))
    model_id = resolve_model_id(preset.model_id)
    if preset.model_id == TINY_MODEL:
        from .backends.tiny_model import is_current_build

        if is_current_build(model_id):
            return ModelStatus(preset, INSTALLED, size_on_disk=folder_size(Path(model_id)))
        return ModelStatus(preset, NOT_INSTALLED, usable=False)
    local = _local_path(model_id)
    if local is not None:
        if local.exists():
            return ModelStatus(preset, INSTALLED, size_on_disk=folder_size(local))
        return ModelStatus(preset, NOT_INSTALLED, usable=False)
    from .backends.model_download import CachedRepo

    fp16 = wants_fp16(preset.options)
    cached = CachedRepo(model_id)
    status = ModelStatus(preset, NOT_INSTALLED, hub=True)
    status.download_size = download_size(model_id, fp16)
    download = last_download(model_id)
    if download is not None and download.outcome is None:
        status.state = DOWNLOADING
        status.done, status.total = download.done, download.total
        status.speed, status.eta = download.speed, download.eta
        return status
    found = cached.complete("main", fp16)
    if found is not None:
        status.state = INSTALLED
        status.size_on_disk = found.size
        status.download_size = found.size
        return status
    snapshot = cached.local_snapshot("main")
    if snapshot is not None:  # put there by `hf download`
        status.state = INSTALLED
        status.size_on_disk = folder_size(snapshot)
        return status
    if download is not None and download.outcome is not None and not download.outcome.ok:
        status.state = FAILED
        status.error = download.person_message
        status.error_details = download.outcome.message
    if reachable is None:
        reachable = hub_reachable()
    status.usable = reachable
    return status


def is_hub_model(preset: ModelPreset) -> bool:
    """A local engine's model that is fetched from the hub (not a path on one machine)."""
    if preset.backend != "diffusers" or preset.model_id == TINY_MODEL:
        return False
    return _local_path(resolve_model_id(preset.model_id)) is None


def installed_here(preset: ModelPreset) -> bool:
    """Whether a local model's weights are on this machine: what a worker's
    heartbeat says it has. Cheap (a few file reads, no sizes), so that it can
    run on every beat."""
    from .model_checks import wants_fp16

    if preset.backend != "diffusers":
        return False
    model_id = resolve_model_id(preset.model_id)
    if preset.model_id == TINY_MODEL:
        from .backends.tiny_model import is_current_build

        return is_current_build(model_id)
    local = _local_path(model_id)
    if local is not None:
        return local.exists()
    from .backends.model_download import CachedRepo

    cached = CachedRepo(model_id)
    if cached.complete("main", wants_fp16(preset.options)) is not None:
        return True
    return cached.local_snapshot("main") is not None


def _local_path(model_id: str) -> Path | None:
    """The path of a model on this machine (a folder or a checkpoint), or None for a hub id."""
    from .backends.model_download import SINGLE_FILE_SUFFIXES

    path = Path(model_id).expanduser()
    if path.suffix.lower() in SINGLE_FILE_SUFFIXES or model_id.startswith(("/", ".", "~")):
        return path
    if path.is_dir() or model_id.count("/") > 1 or "\\" in model_id:
        return path
    return None


def folder_size(path: Path) -> int | None:
    """Bytes of the files under ``path`` (links followed once, as the cache's snapshots are)."""
    try:
        if path.is_file():
            return path.stat().st_size
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    except OSError:
        return None


def download_size(model_id: str, fp16: bool) -> int | None:
    measured = cache.get(_size_key(model_id, fp16))
    if measured:
        return measured
    known = KNOWN_SIZES.get(model_id)
    return known[0 if fp16 else 1] if known else None


def remember_download_size(model_id: str, fp16: bool, size: int) -> None:
    cache.set(_size_key(model_id, fp16), size, 7 * 24 * 3600)


def _size_key(model_id: str, fp16: bool) -> str:
    return SIZE_KEY.format(model_id=model_id, precision="fp16" if fp16 else "full")


def statuses_by_key(presets) -> dict[str, ModelStatus]:
    """Status by key of the presets given (one hub check at most)."""
    return {s.key: s for s in statuses(presets)}


def preferred_key(wanted: str | None, found: dict[str, ModelStatus]) -> str | None:
    """``wanted`` if it can be used now; otherwise an installed model, the first in order."""
    status = found.get(wanted or "")
    if status is not None and status.usable:
        return wanted
    installed = [s for s in found.values() if s.usable and s.state in (INSTALLED, REMOTE)]
    local = [s for s in installed if s.state == INSTALLED]
    choice = (local or installed or [None])[0]
    return choice.key if choice else wanted


def settings_summary() -> dict:
    """What the Models page says about where models live (staff only)."""
    from huggingface_hub import constants

    return {"hub_cache": constants.HF_HUB_CACHE, "models_dir": str(settings.ATELIER_MODELS_DIR)}
