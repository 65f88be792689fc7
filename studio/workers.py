"""Which job workers are alive, for /healthz and /readyz.

Each Celery worker writes a heartbeat row (``Worker``) when it is ready and
every few seconds after, from a thread of its own, so that a long generation
does not hold it back; a clean shutdown deletes the row. A worker whose beat
is older than ``ATELIER_JOB_STALE_SECONDS`` (the same bound as a job's
heartbeat) is gone: killed, frozen, or its machine down. The rows are in the
database, so this works the same on the embedded broker and on Redis, and
costs /healthz one small query.
"""

import logging
import threading
from datetime import timedelta

from django.db import connection
from django.db.models import Count
from django.utils import timezone

from .jobs import queue_for
from .models import GenerationJob, ModelPreset, Worker
from .runner import heartbeat_every, stale_after

log = logging.getLogger(__name__)

QUEUES = ("gpu", "remote")
FORGET_AFTER = timedelta(hours=1)


def beat(name: str, queues: list[str]) -> None:
    if not Worker.objects.filter(name=name).update(beat=timezone.now()):
        Worker.objects.update_or_create(
            name=name, defaults={"queues": ",".join(queues), "beat": timezone.now()}
        )


def live_workers(now=None) -> dict[str, int]:
    """How many live workers serve each queue."""
    now = now or timezone.now()
    counts = dict.fromkeys(QUEUES, 0)
    alive = Worker.objects.filter(beat__gte=now - stale_after())
    for queues in alive.values_list("queues", flat=True):
        for queue in queues.split(","):
            counts[queue] = counts.get(queue, 0) + 1
    return counts


def queue_depth() -> dict[str, int]:
    """How many jobs wait for a worker on each queue (for /metrics)."""
    counts = dict.fromkeys(QUEUES, 0)
    waiting = dict(
        GenerationJob.objects.filter(status=GenerationJob.Status.QUEUED)
        .order_by()
        .values_list("model")
        .annotate(n=Count("pk"))
    )
    backends = dict(ModelPreset.objects.filter(key__in=waiting).values_list("key", "backend"))
    for model, count in waiting.items():
        queue = queue_for(backends.get(model, ""))
        counts[queue] = counts.get(queue, 0) + count
    return counts


def unserved_queues(counts: dict[str, int]) -> list[str]:
    """The queues on which jobs would wait for ever: all of them when no
    worker is alive; else those without a worker that have jobs waiting (a
    machine may well run no ``remote`` worker, if it uses no remote engine)."""
    if not any(counts.values()):
        return list(counts)
    return starved_queues(counts)


def starved_queues(counts: dict[str, int]) -> list[str]:
    """The queues with jobs waiting and no live worker to run them."""
    idle = [queue for queue, count in counts.items() if not count]
    if not idle:
        return []
    models = GenerationJob.objects.filter(status__in=GenerationJob.ACTIVE).values("model")
    backends = ModelPreset.objects.filter(key__in=models).values_list("backend", flat=True)
    waiting = {queue_for(backend) for backend in backends}
    return [queue for queue in idle if queue in waiting]


def forget_gone(now=None) -> int:
    """Delete the rows of workers gone for a while (killed ones never delete theirs)."""
    now = now or timezone.now()
    return Worker.objects.filter(beat__lt=now - FORGET_AFTER).delete()[0]


class Heartbeat:
    """The worker process's beating thread."""

    def __init__(self):
        self._stop = threading.Event()
        self._thread = None
        self.name = ""

    def start(self, name: str, queues: list[str]) -> None:
        self.name = name
        self._thread = threading.Thread(target=self._run, args=(queues,), daemon=True)
        self._thread.start()

    def _run(self, queues):
        try:
            while True:
                try:
                    beat(self.name, queues)
                except Exception:  # the database may be away a moment: beat again later
                    log.exception("worker %s could not write its heartbeat", self.name)
                if self._stop.wait(heartbeat_every()):
                    return
        finally:
            connection.close()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=heartbeat_every())
        try:  # gone at once, rather than after the stale bound
            Worker.objects.filter(name=self.name).delete()
        except Exception:
            log.exception("worker %s could not delete its heartbeat", self.name)
        connection.close()


heartbeat = Heartbeat()
