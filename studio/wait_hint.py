"""When it is worth asking about a job again: the ``Retry-After`` of
``GET /api/v1/generations/{id}/`` while the job is not finished.

A client that polls at a fixed interval asks about a job far down the queue
many times for nothing; on a small server those polls take the CPU that
submissions and pages need (bench/RESULTS.md, API load). The hint is the work
ahead of the job, from what recent jobs took:

- queued: the jobs queued or running before it, plus itself, times the
  recent mean compute time;
- running: its remaining steps at the pace of its steps so far.

Bounded to 1..``MAX_SECONDS``, so that a client following it never misses
much, and rounded up to whole seconds (what ``Retry-After`` carries).
"""

import math
import time

from django.utils import timezone

from .models import GenerationJob

MAX_SECONDS = 10
DEFAULT_JOB_SECONDS = 2.0  # before any job has finished here
RECENT_JOBS = 20
_MEAN_TTL = 10.0  # seconds a process keeps the recent mean

_mean_cache: tuple[float, float] | None = None  # (when, seconds)


def retry_after(job: GenerationJob) -> int | None:
    """Whole seconds until the job is worth asking about again; None once it
    is finished (nothing will change)."""
    if job.is_finished:
        return None
    if job.status == GenerationJob.Status.RUNNING:
        seconds = _remaining_running(job)
    else:
        ahead = GenerationJob.objects.filter(
            status__in=GenerationJob.ACTIVE, created__lt=job.created
        ).count()
        seconds = (ahead + 1) * recent_job_seconds()
    return max(1, min(MAX_SECONDS, math.ceil(seconds)))


def _remaining_running(job) -> float:
    if not job.started or not job.step or job.total_steps <= job.step:
        return 1.0
    per_step = (timezone.now() - job.started).total_seconds() / job.step
    return per_step * (job.total_steps - job.step)


def recent_job_seconds() -> float:
    """The mean compute time of the last finished jobs (kept a few seconds
    per process: every poll of a queued job needs it)."""
    global _mean_cache
    now = time.monotonic()
    if _mean_cache and now - _mean_cache[0] < _MEAN_TTL:
        return _mean_cache[1]
    recent = list(
        GenerationJob.objects.filter(
            status=GenerationJob.Status.SUCCEEDED, compute_seconds__isnull=False
        )
        .order_by("-created")
        .values_list("compute_seconds", flat=True)[:RECENT_JOBS]
    )
    mean = sum(recent) / len(recent) if recent else DEFAULT_JOB_SECONDS
    _mean_cache = (now, mean)
    return mean
