"""What a worker does with one job id: claim the job, run its engine with
progress and cancellation, store the images, record the outcome."""

import contextvars
import dataclasses
import logging
import re
import threading
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import F, Q
from django.utils import timezone

from atelier import metrics
from atelier.log_context import job_context
from gallery.models import Topic
from gallery.permissions import viewable_images
from gallery.storing import store_image
from imaging.png_metadata import encode_png
from imaging.thumbnails import make_preview
from notifications.notify import Kind, notify

from .backends import get_backend
from .backends import refusal as engine_refusal
from .backends.base import BackendError, Cancelled, GenerationRequest, ModelUnavailable, Progress
from .backends.hires_fix import DEFAULT_UPSCALER
from .backends.init_image import DEFAULT_RESIZE_MODE, DEFAULT_STRENGTH
from .backends.lora import recipe_hashes, resolve_extras
from .batches import generate_batches
from .checkpoints import MODELS_PREFIX, VAE, resolve, safe_name
from .download_speed import DownloadSpeed
from .init_images import load_init_image
from .inpainting_models import inpainting_variant
from .job_errors import ModelNotReady, hide_paths, split_error, unreachable
from .jobs import queue_for
from .masks import load_inpaint
from .model_status import INSTALLED, status_of
from .models import GenerationJob, ModelPreset
from .presets import TINY_MODEL, resolve_model_id

log = logging.getLogger(__name__)

PROGRESS_EVERY = 0.25  # seconds between progress writes
CANCEL_CHECK_EVERY = 0.2  # seconds between cancellation look-ups

Status = GenerationJob.Status


def stale_after() -> timedelta:
    """A running job whose heartbeat is older than this has lost its worker."""
    return timedelta(seconds=settings.ATELIER_JOB_STALE_SECONDS)


def heartbeat_every() -> float:
    return min(5.0, settings.ATELIER_JOB_STALE_SECONDS / 4)


def run_job(job_id: str, worker: str = "") -> None:
    """Run the job; every line logged meanwhile carries its id (log_context).
    ``worker``: this worker's node name, kept on the job."""
    with job_context(job_id):
        _run_job(job_id, worker)


def _run_job(job_id: str, worker: str) -> None:
    job = claim(job_id, worker)
    if job is None:
        return
    preset = ModelPreset.objects.filter(key=job.model).first()
    job.engine = preset.backend if preset else "unknown"
    metrics.job_claimed(job, queue_for(job.engine))
    if preset is None:
        finish(job, Status.FAILED, error=f"The model preset '{job.model}' no longer exists.")
        return
    hide = hidden_paths(preset)
    tracker = JobTracker(job, hide)
    tracker.start()
    try:
        request = build_request(job.request, preset)
        refuse_what_the_engine_cannot(job.request, request, preset)
        if job.request.get("init_image"):
            owner = get_user_model().objects.filter(pk=job.owner_id).first()
            request = dataclasses.replace(
                request,
                init_image=load_init_image(owner, job.request),
                inpaint=load_inpaint(job.request),
            )
            if request.inpaint is not None and (variant := inpainting_variant(preset)):
                hide.update(hidden_paths(variant))  # its server path is not for everyone
                request = dataclasses.replace(  # the model's inpainting variant is here
                    request,
                    model_id=resolve_model_id(variant.model_id),
                    options=engine_options(job.request, variant),
                    inpaint=dataclasses.replace(request.inpaint, model=variant.key),
                )
        check_checkpoint(preset)
        if preset.model_id == TINY_MODEL and not Path(request.model_id).exists():
            raise ModelUnavailable(
                "The tiny test model is not built on this machine yet. Run "
                "`python manage.py build_tiny_model` (make run does it for you), or pick "
                "another model."
            )
        prepare_model(preset, tracker)  # before the engine loads (torch): a quick "no"
        backend = get_backend(preset.backend, settings.ATELIER_ENGINES.get(preset.backend))
        started = time.perf_counter()
        batches = job.request.get("batch_count", 1)
        results = generate_batches(backend, request, batches, tracker.report, tracker.should_cancel)
        compute_seconds = time.perf_counter() - started
        images = [
            save_result(job, index, result.image, recipe_for(request, result, preset.backend))
            for index, result in enumerate(results)
        ]
        job.images.add(*images)
        finish(job, Status.SUCCEEDED, compute_seconds=compute_seconds)
    except Cancelled:
        finish(job, Status.CANCELLED)
    except BackendError as exc:
        error, details = split_error(exc, preset.label, hide)
        if details:
            log.warning("generation job %s failed: %s", job.pk, details)
        finish(job, Status.FAILED, error=error, error_details=details)
    except Exception as exc:
        log.exception("generation job %s failed", job.pk)
        finish(
            job,
            Status.FAILED,
            error=f"The worker hit an unexpected error ({type(exc).__name__}). "
            "It has been logged; try again, or pick another model.",
        )
    finally:
        tracker.stop()


def hidden_paths(preset: ModelPreset) -> dict[str, str]:
    """The server path of a model on this machine, and the name people see instead."""
    model_id = resolve_model_id(preset.model_id)
    if preset.backend == "diffusers" and (preset.model_id == TINY_MODEL or "/" in model_id):
        if Path(model_id).is_absolute() or model_id.startswith((".", "~")):
            return {model_id: preset.label}
    return {}


def prepare_model(preset: ModelPreset, tracker) -> None:
    """Before the engine starts: fail at once for a model that cannot be fetched
    (the hub is away: asked once a minute, never a long wait), and say from the
    first second that a model is being downloaded."""
    if preset.backend != "diffusers":
        return
    status = status_of(preset)
    if status.state == INSTALLED:
        return
    if status.hub and not status.usable:
        raise unreachable(preset.label, resolve_model_id(preset.model_id))
    if status.hub:
        size = f" ({status.download_size_text})" if status.download_size else ""
        tracker.report(
            Progress(
                phase="downloading",
                message=f"Downloading {preset.label}{size} — it is not installed yet, "
                "so the first picture with it waits for the download",
            )
        )


def claim(job_id: str, worker: str = ""):
    """Mark a queued job (or an orphaned running one) as running, once, by
    ``worker``. One whose cancellation was asked for meanwhile is cancelled instead."""
    now = timezone.now()
    claimable = GenerationJob.objects.filter(
        Q(status=Status.QUEUED) | Q(status=Status.RUNNING, heartbeat__lt=now - stale_after()),
        pk=job_id,
    )
    claimable.filter(cancel_requested=True).update(status=Status.CANCELLED, finished=now, phase="")
    claimed = claimable.filter(cancel_requested=False).update(
        status=Status.RUNNING,
        started=now,
        heartbeat=now,
        attempts=F("attempts") + 1,
        phase="queued",
        message="",  # what it said while waiting for a worker
        worker=worker,
        error="",
        # A run that starts over shows nothing of a dead worker's run.
        progress=0.0,
        step=0,
        total_steps=0,
    )
    if not claimed:
        return None
    return GenerationJob.objects.get(pk=job_id)


def refuse_what_the_engine_cannot(data: dict, request: GenerationRequest, preset) -> None:
    """The form's refusals again (the preset may have changed since the job
    was queued), before any picture is loaded. Raises BackendError."""
    starts = bool(data.get("init_image"))
    masked = starts and bool(data.get("mask"))
    for operation, asked in (
        # With a mask it is an inpainting (dall-e-2 edits only under a mask).
        ("image_to_image", starts and not masked),
        ("inpainting", masked),
        ("hires_fix", bool(request.hires_scale)),
        ("variations", request.variation_strength > 0 and not starts),
    ):
        if asked and (reason := engine_refusal(preset.backend, operation, preset.model_id)):
            raise BackendError(reason)


def build_request(data: dict, preset: ModelPreset) -> GenerationRequest:
    return GenerationRequest(
        prompt=data["prompt"],
        negative_prompt=data.get("negative_prompt", ""),
        model=preset.key,
        model_id=resolve_model_id(preset.model_id),
        width=data["width"],
        height=data["height"],
        steps=data["steps"],
        cfg_scale=data["cfg_scale"],
        seed=data["seed"],
        sampler=data["sampler"],
        n=data["n"],
        options=engine_options(data, preset),
        # Image to image: the picture itself is read by load_init_image.
        init_image_id=data.get("init_image"),
        init_image_sha256=data.get("init_image_sha256", ""),
        strength=data.get("denoising_strength", DEFAULT_STRENGTH),
        resize_mode=data.get("resize_mode", DEFAULT_RESIZE_MODE),
        hires_scale=data.get("hires_upscale") or 0.0,
        hires_upscaler=data.get("hires_upscaler") or DEFAULT_UPSCALER,
        hires_steps=data.get("hires_steps") or 0,
        style=data.get("style", ""),
        variation_seed=data.get("variation_seed") or 0,
        variation_strength=data.get("variation_seed_strength") or 0.0,
    )


def engine_options(data: dict, preset: ModelPreset) -> dict:
    """The preset's options, and for the local engine the files from the models
    folder this job uses: its LoRAs, embeddings and VAE (a missing one fails here,
    before anything loads)."""
    if preset.backend != "diffusers":
        return preset.options
    folder = Path(settings.ATELIER_MODELS_DIR)
    options = {
        **preset.options,
        **resolve_extras(data["prompt"], data.get("negative_prompt", ""), folder),
    }
    if preset.model_id.startswith(MODELS_PREFIX):  # messages name the file, not its path
        options["display_name"] = preset.model_id[len(MODELS_PREFIX) :]
    if vae := preset.options.get("vae"):
        path = folder / VAE / vae
        if not safe_name(vae) or not path.is_file():
            raise ModelUnavailable(
                f"The VAE '{vae}' chosen for this model is not in the VAE/ folder; "
                "ask staff to add it or to change the model's VAE."
            )
        options["vae_path"] = str(path)
    elif fix := fp16_fix_vae(folder):
        options["vae_fp16_fix_path"] = str(fix)
    return options


def fp16_fix_vae(folder: Path) -> Path | None:
    """An SDXL VAE that runs in float16 (madebyollin's "sdxl-vae-fp16-fix"), if present."""
    vaes = sorted((folder / VAE).glob("*.safetensors")) if (folder / VAE).is_dir() else []
    return next((p for p in vaes if re.search(r"fp16.?fix", p.name, re.IGNORECASE)), None)


def check_checkpoint(preset: ModelPreset) -> None:
    """A scanned checkpoint whose file went away since the scan fails clearly;
    a pickle checkpoint is refused unless staff allowed them."""
    if (
        preset.backend == "diffusers"
        and preset.model_id.lower().endswith((".ckpt", ".pt", ".pth"))
        and not settings.ATELIER_ALLOW_PICKLE_CHECKPOINTS
    ):
        raise ModelNotReady(
            "This model is a pickle (.ckpt) checkpoint, which can run any code when loaded, "
            "so this server does not load it. Pick another model, or ask an admin to convert "
            "it to .safetensors.",
            "Pickle checkpoints are refused unless ATELIER_ALLOW_PICKLE_CHECKPOINTS=true "
            "(set it only for files you trust).",
        )
    if preset.model_id.startswith(MODELS_PREFIX) and not Path(resolve(preset.model_id)).is_file():
        name = preset.model_id[len(MODELS_PREFIX) :]
        raise ModelUnavailable(
            f"The checkpoint '{name}' is no longer in the models folder. Pick another model; "
            "staff can put the file back or rescan the folder."
        )


def recipe_for(request, result, backend: str) -> dict:
    """The recipe stored with an image; its size is the image's own (an engine
    may round the size it was asked for to one it supports), but for a hires
    fix, whose size is the base one, as A1111's "Size" (the image's own is
    that times "Hires upscale")."""
    recipe = request.recipe(result.seed, backend)
    recipe.update(recipe_hashes(request.options))
    if not request.hires_scale:
        recipe["width"], recipe["height"] = result.image.size
    return recipe


def save_result(job, index, picture, recipe):
    owner = get_user_model().objects.get(pk=job.owner_id)
    # The topic chosen on the Generate page; gone if it was deleted meanwhile.
    slug = job.request.get("topic")
    topic = Topic.objects.filter(slug=slug).first() if slug else None
    return store_image(
        owner=owner,
        content=encode_png(picture, recipe),
        picture=picture,
        recipe=recipe,
        source_key=f"job:{job.pk}:{index}",
        visibility=job.request.get("visibility", "private"),
        nsfw=job.request.get("nsfw") is True,
        topic=topic,
    )


def finish(job, status, *, error="", error_details="", compute_seconds=None):
    fields = {
        "status": status,
        "finished": timezone.now(),
        "error": error,
        "error_details": error_details,
        "phase": "",
        "message": "",
    }
    if status == Status.SUCCEEDED:
        fields["progress"] = 1.0
        fields["compute_seconds"] = compute_seconds
    GenerationJob.objects.filter(pk=job.pk).update(**fields)
    run_seconds = (fields["finished"] - job.started).total_seconds() if job.started else 0.0
    metrics.job_finished(job, getattr(job, "engine", "unknown"), status, max(0.0, run_seconds))
    if status in (Status.SUCCEEDED, Status.FAILED):
        kind = Kind.JOB_SUCCEEDED if status == Status.SUCCEEDED else Kind.JOB_FAILED
        prompt = str(job.request.get("prompt", ""))
        notify(job.owner_id, kind, job_id=job.pk, text=error or prompt)
    if status == Status.SUCCEEDED and job.request.get("remix_of"):
        _tell_the_remixed(job)


def _tell_the_remixed(job) -> None:
    """The owner of the image this job remixed (one its owner may see) is told."""
    owner = get_user_model().objects.filter(pk=job.owner_id).first()
    source = viewable_images(owner).filter(pk=job.request["remix_of"]).first() if owner else None
    if source is not None:
        notify(source.owner_id, Kind.REMIX, actor=owner, image=source, text=str(source))


class JobTracker:
    """Writes progress and heartbeats to the job row, and answers whether the
    job was cancelled. Writes are throttled: the engine calls back every step."""

    def __init__(self, job, hide: dict[str, str] | None = None):
        self.job = job
        self.hide = hide or {}  # server paths, and the names people see instead
        self._download = DownloadSpeed()
        self.preview_name = f"previews/{job.pk}.webp"
        self._last_write = 0.0
        self._last_phase = ""
        self._last_cancel_check = 0.0
        self._cancelled = False
        self._stop = threading.Event()
        # The job's context (its id in log lines) goes along into the thread.
        self._thread = threading.Thread(
            target=contextvars.copy_context().run, args=(self._beat,), daemon=True
        )

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=heartbeat_every())

    def _beat(self):
        from django.db import connection

        try:
            while not self._stop.wait(heartbeat_every()):
                GenerationJob.objects.filter(pk=self.job.pk, status=Status.RUNNING).update(
                    heartbeat=timezone.now()
                )
        finally:
            connection.close()

    def report(self, progress: Progress) -> None:
        now = time.monotonic()
        last_step = progress.phase == "sampling" and progress.step >= progress.total
        new_phase = progress.phase != self._last_phase
        if now - self._last_write < PROGRESS_EVERY and not (last_step or new_phase):
            return
        self._last_write = now
        self._last_phase = progress.phase
        message = hide_paths(progress.message, self.hide)
        if progress.phase == "downloading" and progress.total:
            message = self._download.describe(progress.step, progress.total)
        fields = {
            "phase": progress.phase,
            "message": message[:300],
            "step": progress.step if progress.phase == "sampling" else 0,
            "total_steps": progress.total if progress.phase == "sampling" else 0,
            "heartbeat": timezone.now(),
        }
        if progress.phase in ("sampling", "downloading"):
            fields["progress"] = progress.fraction
        if progress.preview is not None:
            fields["preview"] = self._save_preview(progress.preview)
        GenerationJob.objects.filter(pk=self.job.pk).update(**fields)

    def _save_preview(self, picture):
        default_storage.delete(self.preview_name)
        return default_storage.save(self.preview_name, ContentFile(make_preview(picture)))

    def should_cancel(self) -> bool:
        now = time.monotonic()
        if not self._cancelled and now - self._last_cancel_check >= CANCEL_CHECK_EVERY:
            self._last_cancel_check = now
            self._cancelled = GenerationJob.objects.filter(
                pk=self.job.pk, cancel_requested=True
            ).exists()
        return self._cancelled


def configure_worker():
    """Pin torch's thread count: same seed gives the same pixels only then."""
    if settings.ATELIER_TORCH_THREADS:
        from .backends.diffusers_local import pin_threads

        pin_threads(settings.ATELIER_TORCH_THREADS)
