"""Synchronous, wire-compatible facades (AUTOMATIC1111 and OpenAI Images) on
top of the job system: a request validates through ``GenerationForm``, queues
a job with ``submit_job`` like any other, waits for the job row to finish and
answers with the images read from storage. The images land in the caller's
gallery as any generation's do."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field

from django.conf import settings

from studio.forms import GenerationForm
from studio.jobs import JobLimitReached, submit_job
from studio.models import GenerationJob

POLL_INTERVAL = 0.1  # seconds between two looks at the job row
DEFAULT_TIMEOUT = 600  # seconds; settings.ATELIER_FACADE_TIMEOUT overrides it

__all__ = [
    "FacadeError",
    "Finished",
    "GenerationFailed",
    "JobLimitReached",
    "TimedOut",
    "generate",
]


class FacadeError(Exception):
    """A request the facade refuses; ``field`` names the faulty input."""

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class TimedOut(Exception):
    pass


class GenerationFailed(Exception):
    """The engine could not make the images; the message says why."""


@dataclass
class Finished:
    job: GenerationJob
    request: dict  # the validated request as stored on the job
    images: list = field(default_factory=list)  # gallery Images, in generation order


def timeout() -> float:
    return float(getattr(settings, "ATELIER_FACADE_TIMEOUT", DEFAULT_TIMEOUT))


def validated_request(data: dict) -> dict:
    """``data`` in GenerationForm's terms, validated; the first error raises FacadeError."""
    form = GenerationForm(data)
    if not form.is_valid():
        name, errors = next(iter(form.errors.items()))
        raise FacadeError(str(errors[0]), field=None if name == "__all__" else name)
    return form.generation_request()


def generate(user, data: dict) -> Finished:
    """Validate, queue and wait: the finished job and its images (none if it
    was cancelled). Raises FacadeError, JobLimitReached, GenerationFailed or TimedOut."""
    request = validated_request(data)
    job = submit_job(user, request, max_active=settings.ATELIER_MAX_QUEUED_JOBS)
    job = wait_for_job(job, timeout())
    if job.status == GenerationJob.Status.FAILED:
        raise GenerationFailed(job.error or "The generation failed.")
    return Finished(job=job, request=job.request, images=job_images(job))


def wait_for_job(job: GenerationJob, seconds: float) -> GenerationJob:
    """Poll the job row until it is finished; past the deadline the job is
    cancelled (nobody waits for it any more) and TimedOut is raised."""
    deadline = time.monotonic() + seconds
    while True:
        job.refresh_from_db()
        if job.is_finished:
            return job
        if time.monotonic() >= deadline:
            from studio.jobs import cancel_job

            cancel_job(job)
            raise TimedOut(f"The generation did not finish within {seconds:.0f} seconds.")
        time.sleep(POLL_INTERVAL)


def _index(image) -> int:
    try:
        return int((image.source_key or "").rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return image.pk


def job_images(job: GenerationJob) -> list:
    return sorted(job.images.all(), key=_index)


def image_bytes(image) -> bytes:
    with image.file.open("rb") as stored:
        return stored.read()


def image_base64(image) -> str:
    return base64.b64encode(image_bytes(image)).decode("ascii")
