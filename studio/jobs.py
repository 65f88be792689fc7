"""Submitting and cancelling generation jobs. The job row is the source of
truth; the broker only ever carries its id."""

import logging

from django.db import transaction
from django.utils import timezone

from .models import GenerationJob, ModelPreset
from .tasks import run_generation_job

log = logging.getLogger(__name__)

LOCAL_BACKENDS = {"diffusers"}


class JobLimitReached(Exception):
    pass


def queue_for(backend: str) -> str:
    return "gpu" if backend in LOCAL_BACKENDS else "remote"


def active_jobs(owner):
    return GenerationJob.objects.filter(
        owner=owner, status__in=[GenerationJob.Status.QUEUED, GenerationJob.Status.RUNNING]
    )


def submit_job(owner, request: dict, *, max_active: int) -> GenerationJob:
    if active_jobs(owner).count() >= max_active:
        raise JobLimitReached(
            f"You already have {max_active} generations waiting or running. "
            "Wait for one to finish or cancel one, then try again."
        )
    backend = ModelPreset.objects.get(key=request["model"]).backend
    with transaction.atomic():
        job = GenerationJob.objects.create(owner=owner, model=request["model"], request=request)
        # robust: a broker hiccup must not turn a saved job into an error page;
        # the reaper sends jobs that stay queued too long again.
        transaction.on_commit(lambda: enqueue(job.pk, backend), robust=True)
    return job


def enqueue(job_id, backend: str) -> None:
    """Send the job's id to its queue, on a broker connection of its own.

    Celery's shared producer pool, used from the web server's threads, once
    handed kombu's SQL transport a channel that another thread had closed
    (AttributeError deep in kombu, the job never sent). A connection per send
    costs about a millisecond and shares nothing; one retry covers a broker
    hiccup, and the reaper resends anything still lost.
    """
    GenerationJob.objects.filter(pk=job_id).update(enqueued=timezone.now())
    for attempt in (1, 2):
        try:
            with run_generation_job.app.connection_for_write() as connection:
                run_generation_job.apply_async(
                    args=[str(job_id)], queue=queue_for(backend), connection=connection
                )
            return
        except Exception:
            if attempt == 2:
                raise
            log.warning("sending job %s failed; trying once more", job_id, exc_info=True)


def cancel_job(job: GenerationJob) -> GenerationJob:
    """A queued job is cancelled at once and never runs; a running one is asked
    to stop and the worker stops it between two steps."""
    now = timezone.now()
    GenerationJob.objects.filter(pk=job.pk, status=GenerationJob.Status.QUEUED).update(
        status=GenerationJob.Status.CANCELLED, finished=now, phase=""
    )
    GenerationJob.objects.filter(pk=job.pk, status=GenerationJob.Status.RUNNING).update(
        cancel_requested=True
    )
    job.refresh_from_db()
    return job
