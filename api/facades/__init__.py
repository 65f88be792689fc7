"""Wire-compatible facades (AUTOMATIC1111 and OpenAI Images) on top of the
job system: a request validates through ``GenerationForm``, queues a job with
``submit_job`` like any other, waits for the job row to finish and answers
with the images read from storage. The images land in the caller's gallery as
any generation's do.

The wait is asynchronous (``waiting.py``): a request waiting for its job holds
no server thread and no database connection, so that a person's long batch
never keeps the pages from answering (docs/decisions.md)."""

from __future__ import annotations

import asyncio
import base64
import functools
import time
from dataclasses import dataclass, field

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from studio.forms import GenerationForm
from studio.init_images import forget_upload, store_upload
from studio.jobs import JobLimitReached, cancel_job, submit_job
from studio.models import GenerationJob

POLL_INTERVAL = 0.25  # seconds between two looks at the job row
DEFAULT_TIMEOUT = 600  # seconds; settings.ATELIER_FACADE_TIMEOUT overrides it

__all__ = [
    "FacadeError",
    "Finished",
    "GenerationFailed",
    "JobLimitReached",
    "Outcome",
    "TimedOut",
    "queue",
    "submit",
    "valid_form",
    "wait_for_job",
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


@dataclass
class Outcome:
    """How the wait for a job ended: the job as it finished, or the timeout."""

    job: GenerationJob
    timed_out: TimedOut | None = None

    def finished(self) -> Finished:
        """The finished job and its images (none if it was cancelled). Raises
        TimedOut or GenerationFailed."""
        if self.timed_out is not None:
            raise self.timed_out
        if self.job.status == GenerationJob.Status.FAILED:
            raise GenerationFailed(self.job.error or "The generation failed.")
        return Finished(job=self.job, request=self.job.request, images=job_images(self.job))


def timeout() -> float:
    return float(getattr(settings, "ATELIER_FACADE_TIMEOUT", DEFAULT_TIMEOUT))


def valid_form(data: dict, user=None, files=None, *, prompt_required=True) -> GenerationForm:
    """``data`` (and ``files``: a starting image as ``init_upload``) in
    GenerationForm's terms, validated for ``user`` (their own styles); the
    first error raises FacadeError. Without ``prompt_required`` an empty
    prompt is fine (a variation of a picture that carries none)."""
    form = GenerationForm(data, files, user=user)
    if not prompt_required:
        form.fields["prompt"].required = False
    if not form.is_valid():
        name, errors = next(iter(form.errors.items()))
        raise FacadeError(str(errors[0]), field=None if name == "__all__" else name)
    return form


def submit(user, data: dict, files=None, *, prompt_required=True) -> GenerationJob:
    """Validate and queue. Raises FacadeError or JobLimitReached."""
    return queue(user, valid_form(data, user, files, prompt_required=prompt_required))


def queue(user, form: GenerationForm) -> GenerationJob:
    """Queue a valid form's job as the Generate page does: an uploaded
    starting image is kept as a private image of ``user`` first
    (studio.init_images), and forgotten if the job is refused. Raises
    JobLimitReached."""
    upload, created = None, False
    if form.cleaned_data.get("init_upload"):
        upload, created = store_upload(user, form.cleaned_data["init_upload"])
    try:
        return submit_job(
            user,
            form.generation_request(upload),
            max_active=settings.ATELIER_MAX_QUEUED_JOBS,
            preset=form.preset,
        )
    except JobLimitReached:
        if upload is not None:
            forget_upload(upload, created)
        raise


def released(function):
    """``function``, giving the thread's database connection back when it
    returns. The waiting views' synchronous parts run in a thread of their
    request's own (Django's ASGI handler) that serves no other request: a
    connection kept there would sit unused while the request waits. Inside a
    transaction (a test's) it is kept, as closing it would end the transaction."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        finally:
            if not connection.in_atomic_block:
                connection.close()

    return run


@released
def _look(job: GenerationJob) -> bool:
    """Whether the job has finished (``job`` refreshed if so)."""
    status = GenerationJob.objects.filter(pk=job.pk).values_list("status", flat=True).first()
    if status not in GenerationJob.ACTIVE:
        job.refresh_from_db()
        return True
    return False


async def wait_for_job(job: GenerationJob, seconds: float) -> GenerationJob:
    """Look at the job row until it is finished, sleeping (not holding a
    thread) between two looks; past the deadline the job is cancelled (nobody
    waits for it any more) and TimedOut is raised.

    A client that goes away cancels this coroutine (the server does); the job
    runs on and its images land in the person's gallery, as A1111's do."""
    deadline = time.monotonic() + seconds
    while not await sync_to_async(_look)(job):
        if time.monotonic() >= deadline:
            await sync_to_async(released(cancel_job))(job)
            raise TimedOut(f"The generation did not finish within {seconds:.0f} seconds.")
        await asyncio.sleep(POLL_INTERVAL)
    return job


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
