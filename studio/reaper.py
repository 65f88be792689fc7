"""Jobs whose worker vanished. A worker killed mid-job leaves its job
"running" with a heartbeat that stops moving; a message lost by the broker
leaves a job "queued" that nobody will pick up. The reaper finds both:

- a running job whose heartbeat is older than ``ATELIER_JOB_STALE_SECONDS`` goes back
  to the queue, until it has used ``ATELIER_JOB_MAX_ATTEMPTS`` attempts; then
  it fails with a message;
- a queued job whose id was last sent ``ATELIER_JOB_RESEND_SECONDS`` ago is
  sent again (a broker restarted without persistence forgets its messages).

Both are safe to repeat: a job is claimed by one worker only, and its images
are stored under keys made of the job id and index, so none is stored twice.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .jobs import enqueue
from .models import GenerationJob, ModelPreset
from .runner import stale_after

log = logging.getLogger(__name__)

Status = GenerationJob.Status


def reap(now=None) -> dict:
    now = now or timezone.now()
    counts = {"requeued": 0, "failed": 0, "resent": 0}
    stale = GenerationJob.objects.filter(status=Status.RUNNING, heartbeat__lt=now - stale_after())
    for job in stale:
        if job.attempts >= settings.ATELIER_JOB_MAX_ATTEMPTS:
            failed = stale.filter(pk=job.pk).update(
                status=Status.FAILED,
                finished=now,
                phase="",
                message="",
                error=(
                    f"The worker running this generation stopped responding, "
                    f"{job.attempts} times. Try again; if it keeps happening, the model "
                    "may need more memory than the worker has."
                ),
            )
            counts["failed"] += failed
        elif stale.filter(pk=job.pk).update(
            status=Status.QUEUED, phase="", message="", progress=0.0, step=0, total_steps=0
        ):
            log.warning("job %s lost its worker; sending it again", job.pk)
            _send(job)
            counts["requeued"] += 1
    resend_after = timedelta(seconds=settings.ATELIER_JOB_RESEND_SECONDS)
    forgotten = GenerationJob.objects.filter(
        Q(enqueued__lt=now - resend_after)
        | Q(enqueued__isnull=True, created__lt=now - resend_after),
        status=Status.QUEUED,
    )
    for job in forgotten:
        _send(job)
        counts["resent"] += 1
    return counts


def _send(job):
    enqueue(job.pk, ModelPreset.objects.filter(key=job.model).first())
