"""Submitting and cancelling generation jobs. The job row is the source of
truth; the broker only ever carries its id."""

import logging
import os
import threading

from django.db import transaction
from django.utils import timezone

from .models import GenerationJob, ModelPreset
from .routing import LOCAL_BACKENDS, queue_for, route
from .tasks import run_generation_job

__all__ = ["LOCAL_BACKENDS", "queue_for"]  # where the deploy files' checks look

log = logging.getLogger(__name__)


class JobLimitReached(Exception):
    pass


def active_jobs(owner):
    return GenerationJob.objects.filter(owner=owner, status__in=GenerationJob.ACTIVE)


def submit_job(
    owner, request: dict, *, max_active: int, preset: ModelPreset | None = None
) -> GenerationJob:
    """Save the job and send its id to its queue (studio/routing.py).
    ``preset``: the job's, where the caller has it at hand (it spares a query)."""
    if active_jobs(owner).count() >= max_active:
        raise JobLimitReached(
            f"You already have {max_active} generations waiting or running. "
            "Wait for one to finish or cancel one, then try again."
        )
    if preset is None:
        preset = ModelPreset.objects.get(key=request["model"])
    where = route(preset)
    # One INSERT, committed on its own (no BEGIN/COMMIT round trips: under
    # load each round trip waits for the CPU); ``enqueued`` is stamped in it,
    # which spares an UPDATE. The id is sent once the row is committed: at
    # once, or when the caller's own transaction commits.
    job = GenerationJob.objects.create(
        owner=owner,
        model=request["model"],
        request=request,
        enqueued=timezone.now(),
        queue=where.queue,
        message=where.note,
    )
    # robust: a broker hiccup must not turn a saved job into an error page;
    # the reaper sends jobs that stay queued too long again.
    transaction.on_commit(lambda: send(job.pk, where.queue), robust=True)
    return job


def enqueue(job_id, preset: ModelPreset | None) -> None:
    """Stamp the job as sent now and send its id to the queue its model has
    now (the reaper's way of sending a job again: the workers that have the
    model may have changed)."""
    where = route(preset)
    GenerationJob.objects.filter(pk=job_id).update(
        enqueued=timezone.now(), queue=where.queue, message=where.note
    )
    send(job_id, where.queue)


# Broker connections are kept and reused: opening one per send cost ~6.5 ms
# of a 20 ms submission on Redis (two TCP connects and the redis-py
# handshakes; see bench/RESULTS.md, API load). The web server runs each
# request in a thread of its own (ASGI), so they are kept in a pool, not per
# thread: a send takes one for itself and gives it back after. A connection
# is never used by two threads at once, which is what went wrong once with
# Celery's shared producer pool: it handed kombu's SQL transport a channel
# that another thread had closed (AttributeError deep in kombu, the job never
# sent).
_idle_connections: list = []  # (pid, connection): no send is using them
_idle_lock = threading.Lock()


def _take_connection():
    with _idle_lock:
        while _idle_connections:
            pid, connection = _idle_connections.pop()
            if pid == os.getpid():
                return connection
            # Inherited through fork(): the parent's socket is not ours to use or close.
    return run_generation_job.app.connection_for_write()


def _give_back(connection) -> None:
    with _idle_lock:
        _idle_connections.append((os.getpid(), connection))


def _close(connection) -> None:
    try:
        connection.close()
    except Exception:
        log.debug("closing a broken broker connection failed", exc_info=True)


def send(job_id, queue: str) -> None:
    """Send the job's id to ``queue`` on a kept broker connection.

    kombu reconnects a connection that the broker dropped; if the send still
    fails, the connection is thrown away and the send tried once more on a new
    one. The reaper resends anything still lost.
    """
    for attempt in (1, 2):
        connection = _take_connection()
        try:
            run_generation_job.apply_async(args=[str(job_id)], queue=queue, connection=connection)
        except Exception:
            _close(connection)
            if attempt == 2:
                raise
            log.warning("sending job %s failed; trying once more", job_id, exc_info=True)
        else:
            _give_back(connection)
            return


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
