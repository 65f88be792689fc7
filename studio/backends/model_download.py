"""Fetching a diffusers pipeline from the Hugging Face hub: with progress,
once at a time, resumed after an interruption.

Pure Python (no Django, no torch): the worker calls ``fetch_model`` before it
loads a hub id, and the web process uses ``check_model`` and ``fetch_model``
for the admin's "Test connection" and "Download the model now".

What is fetched: ``model_index.json`` and, for each component it names (not
the safety checker, which Atelier never loads), the component's small files
(configs, tokenizer) and one set of weights: fp16 safetensors when half
precision is wanted and the repo has them, else full-precision safetensors,
else ``.bin``. Root-level checkpoints, ONNX/Flax/OpenVINO exports and other
variants are left on the hub (SDXL base: 6.9 GB of its ~70).

Where: the standard Hugging Face cache (``HF_HOME``/``HF_HUB_CACHE``) in its own
layout (blobs, snapshots, refs), so ``hf`` tools, diffusers and
``HF_HUB_OFFLINE=1`` find the files. The bytes are fetched here rather than by
``hf_hub_download`` for two reasons: progress in bytes for the job page, and
resuming. huggingface_hub 2.x downloads into a temporary file of its own and
deletes it when the download fails, so a 5 GB file cut off at 4 GB would
start over. Here the partial file stays as ``blobs/<etag>.incomplete`` and the
next try (the same call after a dropped connection, or the next job) asks for
the rest with an HTTP Range. A finished blob is checked against the hub's
sha256 before it is moved into place; ``hf_hub_download`` then links it into
the snapshot, exactly as if it had downloaded it.

One download per repo at a time: a file lock in the cache (``filelock``), so
two workers, threads or processes, wait for one another and the second finds
the files there. A completed download is noted beside the lock; a model noted
complete whose files are all still there is used with no network call.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

# httpx2 is huggingface_hub's HTTP client. The files are fetched through the hub's
# session (``get_session()``: the httpx2.Client the hub or ``set_client_factory``
# built, with the hub's offline check and request ids), so its timeout and
# transport errors are httpx2's; the hub's metadata calls let a refused connection
# or a timeout through as httpx2's too, and no huggingface_hub.errors type covers
# them (docs/decisions.md, "HTTP clients").
import httpx2
from filelock import FileLock, Timeout
from huggingface_hub import HfApi, constants, get_hf_file_metadata, hf_hub_download, hf_hub_url
from huggingface_hub import errors as hub
from huggingface_hub.file_download import repo_folder_name
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

from .base import (
    BackendError,
    CancelCheck,
    Cancelled,
    ModelUnavailable,
    Progress,
    ProgressCallback,
)

REPORT_EVERY = 0.25  # seconds between progress reports while downloading
LOCK_POLL = 0.5  # seconds between cancellation checks while another worker downloads
CHUNK = 1024 * 1024
MAX_RESUMES = 5  # immediate resumes in a row after a dropped connection, each having made progress

SINGLE_FILE_SUFFIXES = (".safetensors", ".ckpt")
HUB_ID = re.compile(r"[\w.-]{1,96}(/[\w.-]{1,96})?")
SKIPPED_COMPONENTS = {"safety_checker"}  # the loader passes safety_checker=None
SMALL_FILE_SUFFIXES = (".json", ".txt", ".model")  # configs, tokenizers, sentencepiece
WEIGHT_STEMS = {"diffusion_pytorch_model", "model", "pytorch_model"}
SHARD = re.compile(r"-\d{5}-of-\d{5}")
WEIGHT_INDEX = re.compile(
    r"(?P<stem>[^.]+)\.(?P<fmt>safetensors|bin)\.index(?:\.(?P<variant>\w+))?\.json"
)
SHA256 = re.compile(r"[0-9a-f]{64}")
# (format, variant) of a component's weights, best first.
PREFERENCE = {
    True: [("safetensors", "fp16"), ("safetensors", None), ("bin", "fp16"), ("bin", None)],
    False: [("safetensors", None), ("bin", None), ("safetensors", "fp16"), ("bin", "fp16")],
}
HUB_HOSTS = {"https://huggingface.co", "https://hf.co"}


def never() -> bool:
    return False


def ignore(progress: Progress) -> None:
    pass


@dataclass(frozen=True)
class FetchedModel:
    folder: Path  # the snapshot folder to load the pipeline from
    variant: str | None  # "fp16" when fp16 weights were chosen for some component
    size: int  # bytes of the files fetched


def locate(model_id: str) -> str:
    """Say whether ``model_id`` is a checkpoint "file", a local "folder" or a "hub" id."""
    if not model_id.strip():
        raise ModelUnavailable("No model is set for this preset. Set its model id in the admin.")
    path = Path(model_id).expanduser()
    if path.suffix.lower() in SINGLE_FILE_SUFFIXES:
        if not path.is_file():
            raise ModelUnavailable(
                f"Checkpoint file '{model_id}' does not exist. Check the path in the preset "
                "(it is read on the worker's machine)."
            )
        return "file"
    if path.is_dir():
        if not (path / "model_index.json").is_file():
            raise ModelUnavailable(
                f"Folder '{model_id}' is not a diffusers pipeline: it has no model_index.json. "
                "Point the preset at the folder that holds model_index.json, or at a "
                ".safetensors checkpoint."
            )
        return "folder"
    if model_id.startswith(("/", ".", "~")) or model_id.count("/") > 1 or "\\" in model_id:
        raise ModelUnavailable(
            f"Model folder '{model_id}' does not exist. Check the path in the preset "
            "(it is read on the worker's machine)."
        )
    if not HUB_ID.fullmatch(model_id):
        raise ModelUnavailable(
            f"Model '{model_id}' is neither a local folder nor a Hugging Face model id "
            "such as 'stabilityai/stable-diffusion-xl-base-1.0'."
        )
    return "hub"


# Fetching ----------------------------------------------------------------------


def fetch_model(
    repo_id: str,
    on_progress: ProgressCallback = ignore,
    *,
    fp16: bool,
    should_cancel: CancelCheck = never,
    revision: str = "main",
) -> FetchedModel | None:
    """Make sure the pipeline's files are in the cache, and say where they are.

    Reports ``Progress(phase="downloading", step=bytes_done, total=bytes_total)``
    a few times a second while it downloads. Returns None, without a download,
    when the hub is not to be asked (offline mode) or cannot be reached while
    the cache holds a copy (put there by ``hf download``, say): the caller then
    loads the hub id from the cache alone, and explains what to do when that
    fails. Raises ``ModelUnavailable`` when the hub refuses (gated, not found,
    ...), cannot be reached for a model not in the cache, or a download fails;
    ``Cancelled`` when ``should_cancel`` says so (what was downloaded is kept).
    """
    cached = CachedRepo(repo_id)
    if found := cached.complete(revision, fp16):
        return found
    if constants.is_offline_mode():
        return None
    with cached.exclusive(on_progress, should_cancel):
        if found := cached.complete(revision, fp16):
            return found  # another worker fetched it meanwhile
        download = Download(cached, on_progress, should_cancel)
        on_progress(
            Progress(phase="downloading", message=f"Looking up {repo_id} on the Hugging Face hub")
        )
        try:
            plan = download.plan(revision, fp16)
        except BackendError:
            raise
        except Exception as exc:
            if (_unreachable(exc) or _server_error(exc)) and cached.local_snapshot(revision):
                return None  # the hub is away, a copy is here
            raise explain_download_error(repo_id, exc) from exc
        try:
            download.run(plan, revision)
        except (Cancelled, BackendError):
            raise
        except Exception as exc:
            raise explain_download_error(repo_id, exc) from exc
        cached.note_complete(revision, fp16, plan)
        return FetchedModel(cached.snapshot(plan.commit), plan.variant, plan.total)


def check_model(repo_id: str, *, fp16: bool, revision: str = "main") -> str:
    """Say whether the model loads here without a download or can be downloaded,
    without downloading it (the hub is asked for the file list, ``model_index.json``
    and whether the files may be read). Raises ``ModelUnavailable`` when neither."""
    cached = CachedRepo(repo_id)
    if found := cached.complete(revision, fp16):
        return f"Downloaded: {format_size(found.size)} in the Hugging Face cache."
    if constants.is_offline_mode():
        if cached.local_snapshot(revision):
            return "In the Hugging Face cache; offline mode is on, so it is loaded from there."
        raise offline_error(repo_id)
    try:
        plan = Download(cached, ignore, never).plan(revision, fp16, keep=False)
    except BackendError:
        raise
    except Exception as exc:
        if cached.local_snapshot(revision) and (_server_error(exc) or _unreachable(exc)):
            return "In the Hugging Face cache; the hub cannot be reached to check it for updates."
        raise explain_download_error(repo_id, exc) from exc
    return (
        f"Reachable on the Hugging Face hub: {format_size(plan.total)} to download "
        "on first use (or now, with “Download the model now”)."
    )


@dataclass(frozen=True)
class Plan:
    commit: str
    files: dict[str, int]  # path in the repo -> size
    variant: str | None

    @property
    def total(self) -> int:
        return sum(self.files.values())


class Download:
    """One model's download: its plan, then each file's bytes."""

    def __init__(self, cached: CachedRepo, on_progress: ProgressCallback, should_cancel):
        self.cached = cached
        self.repo_id = cached.repo_id
        self.on_progress = on_progress
        self.should_cancel = should_cancel
        self.endpoint = constants.ENDPOINT
        self.headers = {**build_hf_headers(), "Accept-Encoding": "identity"}  # token: HF_TOKEN

    def plan(self, revision: str, fp16: bool, keep: bool = True) -> Plan:
        """Ask the hub for the repo's files and choose those the pipeline needs."""
        info = HfApi(endpoint=self.endpoint).model_info(
            self.repo_id,
            revision=revision,
            files_metadata=True,
            timeout=constants.HF_HUB_ETAG_TIMEOUT,
        )
        sizes = {s.rfilename: s.size or 0 for s in info.siblings or []}
        if "model_index.json" not in sizes:
            raise ModelUnavailable(
                f"Model '{self.repo_id}' is on the Hugging Face hub but is not a diffusers "
                "pipeline: it has no model_index.json. Pick a diffusers repository, or "
                "download a .safetensors checkpoint and give its path."
            )
        if keep:
            index = self.fetch_file(info.sha, "model_index.json")
            model_index = json.loads(index.read_text())
        else:
            model_index = self._read_remote_json(info.sha, "model_index.json")
        files, variant = choose_files(model_index, sizes, fp16=fp16)
        return Plan(info.sha, {name: sizes[name] for name in files}, variant)

    def run(self, plan: Plan, revision: str) -> None:
        meter = Meter(plan.total, self.on_progress)
        meter.report(force=True)
        for name, size in plan.files.items():
            self.fetch_file(plan.commit, name, meter, size)
        meter.report(force=True)
        self.cached.write_ref(revision, plan.commit)

    def fetch_file(self, commit: str, name: str, meter: Meter | None = None, size: int = 0) -> Path:
        """Put one file of the repo in the cache (if not there) and return its snapshot path."""
        meter = meter or Meter(0, ignore)
        pointer = self.cached.snapshot(commit) / name
        if pointer.is_file():
            meter.add(size)
            return pointer
        url = hf_hub_url(self.repo_id, name, revision=commit, endpoint=self.endpoint)
        meta = get_hf_file_metadata(
            url, timeout=constants.HF_HUB_ETAG_TIMEOUT, endpoint=self.endpoint
        )
        blob = self.cached.blob(meta.etag)
        if blob.is_file():
            meter.add(size)
        else:
            self._fetch_blob(name, meta.location, blob, meta.size, meta.etag, meter)
        # The blob is in place: huggingface_hub links it into the snapshot (no download).
        return Path(
            hf_hub_download(
                self.repo_id,
                name,
                revision=commit,
                endpoint=self.endpoint,
                cache_dir=self.cached.root,
            )
        )

    def _fetch_blob(self, name, url, blob: Path, size, etag, meter: Meter) -> None:
        """Download into ``<blob>.incomplete``, resuming what is there, then move it into place."""
        blob.parent.mkdir(parents=True, exist_ok=True)
        part = blob.with_name(blob.name + ".incomplete")
        headers = dict(self.headers)
        if not _trusted_origin(url, self.endpoint):  # the CDN gets no token
            headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        digest = Digest(etag)
        with part.open("ab") as out:
            have = _size(out)
            if size is not None and have > size:
                out.truncate(0)
                have = 0
            digest.update_from(part, have)
            meter.add(have)
            resumes = 0
            while size is None or have < size:
                before, failure = have, None
                try:
                    self._get_rest(url, headers, out, have, digest, meter)
                except Cancelled:
                    raise
                except Exception as exc:
                    if isinstance(exc, OSError) and not isinstance(exc, hub.HfHubHTTPError):
                        raise  # the disk: full, read-only, ...
                    failure = exc
                have = _size(out)
                if failure is None and (size is None or have >= size):
                    break
                dropped = failure is None or isinstance(failure, httpx2.TransportError)
                if dropped and have > before and resumes < MAX_RESUMES:
                    resumes += 1
                    continue  # cut off mid-file: ask for the rest at once
                cause = failure or OSError(f"the server sent {have} of {size} bytes")
                raise DownloadInterrupted(name, meter) from cause
        if not digest.matches() or (size is not None and have != size):
            part.unlink(missing_ok=True)
            raise ModelUnavailable(
                f"A file of model '{self.repo_id}' ({name}) arrived damaged (its size or "
                "checksum is wrong) and was deleted. Try again.",
                retryable=True,
            )
        os.replace(part, blob)

    def _get_rest(self, url, headers, out, have: int, digest: Digest, meter: Meter) -> None:
        if have:
            headers = {**headers, "Range": f"bytes={have}-"}
        timeout = httpx2.Timeout(
            constants.HF_HUB_DOWNLOAD_TIMEOUT, connect=constants.HF_HUB_ETAG_TIMEOUT
        )
        with get_session().stream(
            "GET", url, headers=headers, timeout=timeout, follow_redirects=True
        ) as response:
            if response.status_code >= 400:
                response.read()
                hf_raise_for_status(response)
            if have and response.status_code == 200:  # the Range was ignored: start over
                out.truncate(0)
                meter.add(-have)
                digest.restart()
            for chunk in response.iter_bytes():  # as it arrives: a cut keeps all that came
                out.write(chunk)
                digest.update(chunk)
                meter.add(len(chunk))
                if self.should_cancel():
                    raise Cancelled()

    def _read_remote_json(self, commit: str, name: str) -> dict:
        url = hf_hub_url(self.repo_id, name, revision=commit, endpoint=self.endpoint)
        response = get_session().get(
            url, headers=self.headers, timeout=constants.HF_HUB_ETAG_TIMEOUT, follow_redirects=True
        )
        hf_raise_for_status(response)
        return response.json()


class DownloadInterrupted(Exception):
    """A file stopped arriving; what came is kept in its ``.incomplete`` file."""

    def __init__(self, name: str, meter: Meter):
        super().__init__(f"{name} stopped at {meter.done} of {meter.total} bytes")
        self.name = name
        self.done = meter.done
        self.total = meter.total


class Meter:
    """Counts the bytes of a download and reports them, at most every REPORT_EVERY seconds."""

    def __init__(self, total: int, on_progress: ProgressCallback):
        self.total = total
        self.done = 0
        self.on_progress = on_progress
        self._last = float("-inf")

    def add(self, count: int) -> None:
        self.done += count
        self.report()

    def report(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < REPORT_EVERY:
            return
        self._last = now
        self.on_progress(
            Progress(
                phase="downloading",
                step=self.done,
                total=self.total,
                message=f"Downloading model — {format_progress(self.done, self.total)}",
            )
        )


class Digest:
    """The sha256 of a file as it is written, compared with the hub's (LFS files' etag)."""

    def __init__(self, etag: str):
        self.expected = etag if SHA256.fullmatch(etag or "") else None
        self.restart()

    def restart(self) -> None:
        self._hash = hashlib.sha256()

    def update(self, data: bytes) -> None:
        if self.expected:
            self._hash.update(data)

    def update_from(self, path: Path, length: int) -> None:
        """Hash the first ``length`` bytes already on disk (a resumed download)."""
        if not self.expected or not length:
            return
        with path.open("rb") as f:
            while length > 0:
                data = f.read(min(CHUNK, length))
                if not data:
                    break
                self._hash.update(data)
                length -= len(data)

    def matches(self) -> bool:
        return self.expected is None or self._hash.hexdigest() == self.expected


# Which files ---------------------------------------------------------------------


def choose_files(
    model_index: dict, sizes: dict[str, int], *, fp16: bool
) -> tuple[list[str], str | None]:
    """The files a diffusers pipeline needs, and the weights variant they make up.

    ``sizes`` names every file of the repo. Returns ``model_index.json``, then
    per component its small files and one set of weights (all shards and the
    index of one format and variant, the best by ``PREFERENCE``).
    """
    components = [
        name
        for name, value in model_index.items()
        if not name.startswith("_")
        and isinstance(value, list)
        and len(value) == 2
        and value[1]
        and name not in SKIPPED_COMPONENTS
    ]
    chosen = ["model_index.json"]
    variants = set()
    for component in components:
        weights: dict[tuple, list[str]] = {}
        for path in sizes:
            folder, _, name = path.rpartition("/")
            if folder != component:
                continue
            kind = weights_kind(name)
            if kind:
                weights.setdefault(kind, []).append(path)
            elif name.endswith(SMALL_FILE_SUFFIXES):
                chosen.append(path)
        for kind in PREFERENCE[fp16]:
            if kind in weights:
                chosen.extend(sorted(weights[kind]))
                variants.add(kind[1])
                break
    return chosen, ("fp16" if "fp16" in variants else None)


def weights_kind(name: str) -> tuple[str, str | None] | None:
    """("safetensors", "fp16") for "diffusion_pytorch_model.fp16.safetensors", shards
    and their index included; None for anything that is not a model's weights."""
    index = WEIGHT_INDEX.fullmatch(name)
    if index:
        stem, fmt, variant = index["stem"], index["fmt"], index["variant"]
    else:
        stem, _, fmt = name.rpartition(".")
        if fmt not in ("safetensors", "bin"):
            return None
        stem, _, variant = SHARD.sub("", stem).partition(".")
    if stem not in WEIGHT_STEMS:
        return None
    return fmt, variant or None


# The cache ---------------------------------------------------------------------


class CachedRepo:
    """A hub repo's place in the Hugging Face cache, and Atelier's notes on it
    (in ``.locks/atelier/``, which huggingface_hub's cache tools pass over)."""

    def __init__(self, repo_id: str, cache_dir: str | os.PathLike | None = None):
        self.repo_id = repo_id
        self.root = Path(cache_dir or constants.HF_HUB_CACHE)
        self.folder = self.root / repo_folder_name(repo_id=repo_id, repo_type="model")
        self.notes = self.root / ".locks" / "atelier"
        self.lock_path = self.notes / f"{self.folder.name}.lock"

    def blob(self, etag: str) -> Path:
        return self.folder / "blobs" / etag

    def snapshot(self, commit: str) -> Path:
        return self.folder / "snapshots" / commit

    def _note(self, revision: str, fp16: bool) -> Path:
        precision = "fp16" if fp16 else "full"
        return self.notes / f"{self.folder.name}.{quote(revision, safe='')}.{precision}.json"

    def complete(self, revision: str, fp16: bool) -> FetchedModel | None:
        """The model as downloaded before, if every file of it is still there."""
        try:
            note = json.loads(self._note(revision, fp16).read_text())
            folder = self.snapshot(note["commit"])
            files = note["files"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not all((folder / name).is_file() for name in files):
            return None
        return FetchedModel(folder, note.get("variant"), sum(files.values()))

    def note_complete(self, revision: str, fp16: bool, plan: Plan) -> None:
        note = self._note(revision, fp16)
        note.parent.mkdir(parents=True, exist_ok=True)
        data = {"commit": plan.commit, "files": plan.files, "variant": plan.variant}
        temporary = note.with_name(note.name + f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data, indent=1))
        os.replace(temporary, note)

    def write_ref(self, revision: str, commit: str) -> None:
        """Point ``refs/<revision>`` at the commit, as huggingface_hub does (for offline loads)."""
        if revision == commit:
            return
        ref = self.folder / "refs" / revision
        ref.parent.mkdir(parents=True, exist_ok=True)
        ref.write_text(commit)

    def local_snapshot(self, revision: str) -> Path | None:
        """The snapshot ``refs/<revision>`` points at, if it holds a pipeline."""
        try:
            commit = (self.folder / "refs" / revision).read_text().strip()
        except OSError:
            return None
        folder = self.snapshot(commit)
        return folder if (folder / "model_index.json").is_file() else None

    @contextmanager
    def exclusive(
        self, on_progress: ProgressCallback, should_cancel: CancelCheck
    ) -> Iterator[None]:
        """Hold the repo's download lock; say so while another worker holds it."""
        self.notes.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.lock_path)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            on_progress(
                Progress(
                    phase="downloading",
                    message=f"Waiting for another download of {self.repo_id} to finish",
                )
            )
            while True:
                if should_cancel():
                    raise Cancelled() from None
                try:
                    lock.acquire(timeout=LOCK_POLL)
                    break
                except Timeout:
                    continue
        try:
            yield
        finally:
            lock.release()


# Messages ------------------------------------------------------------------------


def format_size(count: int) -> str:
    unit, name = _unit(count)
    return f"{count / unit:.1f} {name}"


def format_progress(done: int, total: int) -> str:
    """ "2.1 / 6.9 GB": both in the total's unit."""
    unit, name = _unit(total)
    return f"{done / unit:.1f} / {total / unit:.1f} {name}"


def _unit(count: int) -> tuple[int, str]:
    for unit, name in ((10**9, "GB"), (10**6, "MB")):
        if count >= unit:
            return unit, name
    return 10**3, "kB"


def download_advice(model_id: str) -> str:
    return f"pre-download it with `hf download {model_id}` into the cache (HF_HOME)"


def offline_error(model_id: str, name: str | None = None) -> ModelUnavailable:
    name = name or f"Model '{model_id}'"
    return ModelUnavailable(
        f"{name} is not downloaded and Hugging Face offline mode is on (HF_HUB_OFFLINE). "
        f"Unset HF_HUB_OFFLINE, {download_advice(model_id)}, or choose the 'tiny' preset."
    )


def explain_hub_error(model_id: str, exc: BaseException, name: str | None = None):
    """A message for a refusal or silence of the hub, or None when ``exc`` is not one.
    Shared by the download and by the loader (which meets the same errors)."""
    chain = _exception_chain(exc)

    def find(*types):
        return next((e for e in chain if isinstance(e, types)), None)

    name = name or f"Model '{model_id}'"
    if find(hub.OfflineModeIsEnabled):
        return offline_error(model_id, name)
    if find(hub.GatedRepoError):
        return ModelUnavailable(
            f"{name} is gated on the Hugging Face hub. Accept its licence at "
            f"https://huggingface.co/{model_id} and set HF_TOKEN to a token of that account."
        )
    if find(hub.RepositoryNotFoundError):
        return ModelUnavailable(
            f"{name} was not found on the Hugging Face hub, or it is private. Check the id; "
            "for a private model set HF_TOKEN to a token that can read it."
        )
    if find(hub.LocalEntryNotFoundError) and constants.is_offline_mode():
        return offline_error(model_id, name)
    if find(hub.LocalEntryNotFoundError) or _unreachable(exc):
        timed_out = any("timeout" in type(e).__name__.lower() for e in chain)
        return ModelUnavailable(
            f"{name} is not downloaded and the Hugging Face hub cannot be reached"
            f"{' (timed out)' if timed_out else ''}. Check the network and HF_ENDPOINT, "
            f"or {download_advice(model_id)} and set HF_HUB_OFFLINE=1, "
            "or choose the 'tiny' preset.",
            retryable=timed_out,
        )
    http = find(hub.HfHubHTTPError)
    status = getattr(getattr(http, "response", None), "status_code", None)
    if status == 401:
        return ModelUnavailable(
            f"The Hugging Face hub refused the token in HF_TOKEN (401) for {name.lower()}. "
            "Check or renew it at https://huggingface.co/settings/tokens, or unset it for a "
            "public model."
        )
    if status == 403:
        return ModelUnavailable(
            f"The Hugging Face hub does not let this token read {name.lower()} (403). "
            "Give HF_TOKEN read access to it, or choose another preset."
        )
    return None


def explain_download_error(model_id: str, exc: BaseException) -> BackendError:
    """Turn a failed download (or check) into a message that says what to do."""
    name = f"model '{model_id}'"
    if isinstance(exc, DownloadInterrupted):
        cause = exc.__cause__
        status = _status(cause)
        refused = status is not None and 400 <= status < 500 and status != 429
        if refused and (refusal := explain_hub_error(model_id, cause)):
            return refusal
        return ModelUnavailable(
            f"The download of {name} was interrupted ({_detail(cause or exc)}) at "
            f"{format_progress(exc.done, exc.total)}. What was downloaded is kept: try again "
            f"and it resumes there, or {download_advice(model_id)}.",
            retryable=True,
        )
    if explained := explain_hub_error(model_id, exc):
        return explained
    chain = _exception_chain(exc)
    if any(getattr(e, "errno", None) == errno.ENOSPC for e in chain):
        return ModelUnavailable(
            f"There is not enough disk space for {name} in the Hugging Face cache "
            f"({constants.HF_HUB_CACHE}). Free some space or point HF_HOME at a larger disk."
        )
    if _server_error(exc):
        return ModelUnavailable(
            f"The Hugging Face hub answered {_status(exc)} while fetching {name}. "
            "Try again in a while; what was downloaded is kept.",
            retryable=True,
            retry_after=30,
        )
    missing = (hub.EntryNotFoundError, hub.RevisionNotFoundError)
    if entry := next((e for e in chain if isinstance(e, missing)), None):
        return ModelUnavailable(
            f"Model '{model_id}' is missing files on the Hugging Face hub "
            f"({_detail(entry)}). Choose another model."
        )
    return ModelUnavailable(f"Model '{model_id}' could not be downloaded: {_detail(exc)}")


def _status(exc: BaseException | None) -> int | None:
    return getattr(getattr(exc, "response", None), "status_code", None)


def _server_error(exc: BaseException) -> bool:
    status = _status(exc)
    return isinstance(exc, hub.HfHubHTTPError) and (status == 429 or (status or 0) >= 500)


def _unreachable(exc: BaseException) -> bool:
    return any(
        isinstance(e, httpx2.ConnectError | httpx2.TimeoutException) for e in _exception_chain(exc)
    )


def _trusted_origin(url: str, endpoint: str) -> bool:
    """Whether the token may be sent to ``url``: the hub itself, not its CDN."""
    return _origin(url) in {_origin(endpoint), *HUB_HOSTS}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _size(out) -> int:
    out.flush()
    return os.fstat(out.fileno()).st_size


def _exception_chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def _detail(exc: BaseException) -> str:
    """The first line of an error, without anything that looks like a token."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    return redact(text or type(exc).__name__)


def redact(text: str) -> str:
    token = os.environ.get("HF_TOKEN", "")
    if len(token) >= 8:
        text = text.replace(token, "***")
    return re.sub(r"hf_[A-Za-z0-9]{8,}", "hf_***", text)
