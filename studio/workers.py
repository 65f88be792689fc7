"""Which job workers are alive and what they offer, for /healthz, /readyz
and the Models page.

Each Celery worker writes a heartbeat row (``Worker``) when it is ready and
every few seconds after, from a thread of its own, so that a long generation
does not hold it back; a clean shutdown deletes the row. Each beat also
writes what the worker's machine offers (studio/capabilities.py: GPU, free
memory, installed models), and a GPU worker starts or stops consuming the
queue of each model as it appears on or leaves its machine (studio/routing.py). A worker whose beat
is older than ``ATELIER_JOB_STALE_SECONDS`` (the same bound as a job's
heartbeat) is gone: killed, frozen, or its machine down. The rows are in the
database, so this works the same on the embedded broker and on Redis, and
costs /healthz one small query.
"""

import logging
import threading
import time
from datetime import timedelta

from django.db import connection
from django.db.models import Count
from django.utils import timezone

from .capabilities import describe
from .models import GenerationJob, ModelPreset, Worker
from .routing import GPU, is_model_queue, queue_for
from .runner import heartbeat_every, stale_after

log = logging.getLogger(__name__)

QUEUES = ("gpu", "remote")
FORGET_AFTER = timedelta(hours=1)


def beat(name: str, queues: list[str]) -> list[str]:
    """Write the worker's row: alive now, with what its machine offers.
    Returns the queues it should consume."""
    offers = describe(queues)
    consume = offers.queues(queues)
    fields = {"beat": timezone.now(), "queues": ",".join(consume), **offers.row()}
    if not Worker.objects.filter(name=name).update(**fields):
        Worker.objects.update_or_create(name=name, defaults=fields)
    return consume


def fleet(now=None) -> list[Worker]:
    """The live workers, by name."""
    now = now or timezone.now()
    return list(Worker.objects.filter(beat__gte=now - stale_after()).order_by("name"))


def workers_by_model(workers: list[Worker]) -> dict[str, list[Worker]]:
    """Which of ``workers`` has each local model."""
    found: dict[str, list[Worker]] = {}
    for worker in workers:
        for key in worker.model_keys or ():
            found.setdefault(key, []).append(worker)
    return found


def live_workers(now=None) -> dict[str, int]:
    """How many live workers serve each queue."""
    now = now or timezone.now()
    counts = dict.fromkeys(QUEUES, 0)
    alive = Worker.objects.filter(beat__gte=now - stale_after())
    for queues in alive.values_list("queues", flat=True):
        for queue in queues.split(","):
            counts[queue] = counts.get(queue, 0) + 1
    return counts


def engine_queues(counts: dict[str, int]) -> dict[str, int]:
    """``counts`` without the models' queues (``gpu.<key>``): what /healthz
    and /readyz count; /readyz's fleet says which worker has which model."""
    return {queue: count for queue, count in counts.items() if not is_model_queue(queue)}


def queue_depth() -> dict[str, int]:
    """How many jobs wait for a worker on each queue (for /metrics)."""
    counts = dict.fromkeys(QUEUES, 0)
    for queue, count in _jobs_by_queue([GenerationJob.Status.QUEUED]).items():
        counts[queue] = counts.get(queue, 0) + count
    return counts


def _jobs_by_queue(statuses) -> dict[str, int]:
    """How many jobs of ``statuses`` each queue holds (a job sent before jobs
    kept their queue counts on its engine's)."""
    found = (
        GenerationJob.objects.filter(status__in=statuses)
        .order_by()
        .values_list("queue", "model")
        .annotate(n=Count("pk"))
    )
    rows = list(found)
    unknown = {model for queue, model, _ in rows if not queue}
    backends = dict(ModelPreset.objects.filter(key__in=unknown).values_list("key", "backend"))
    counts: dict[str, int] = {}
    for queue, model, count in rows:
        queue = queue or queue_for(backends.get(model, ""))
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
    """The queues with jobs waiting and no live worker to run them: an engine's
    (``gpu``, ``remote``) or a model's (``gpu.<key>``: no live worker has it)."""
    waiting = _jobs_by_queue(GenerationJob.ACTIVE)
    return sorted(queue for queue in waiting if not counts.get(queue))


def forget_gone(now=None) -> int:
    """Delete the rows of workers gone for a while (killed ones never delete theirs)."""
    now = now or timezone.now()
    return Worker.objects.filter(beat__lt=now - FORGET_AFTER).delete()[0]


class Heartbeat:
    """The worker process's beating thread. Given the Celery consumer, it
    makes it consume each model's queue while the model is on this machine."""

    ASK_AGAIN_AFTER = 10.0  # seconds: a change the consumer has not made yet is asked again

    def __init__(self):
        self._stop = threading.Event()
        self._thread = None
        self.name = ""
        self.consumer = None
        self._asked: tuple[set[str], float] = (set(), 0.0)

    def start(self, name: str, queues: list[str], consumer=None) -> None:
        self.name = name
        self.consumer = consumer
        self._thread = threading.Thread(target=self._run, args=(queues,), daemon=True)
        self._thread.start()

    def _run(self, queues):
        try:
            while True:
                try:
                    consume = beat(self.name, queues)
                    if self.consumer is not None and GPU in queues:
                        self.follow(set(consume))
                except Exception:  # the database may be away a moment: beat again later
                    log.exception("worker %s could not write its heartbeat", self.name)
                if self._stop.wait(heartbeat_every()):
                    return
        finally:
            connection.close()

    def follow(self, wanted: set[str]) -> None:
        """Have the consumer add and cancel queues until it consumes ``wanted``.
        The changes run on the consumer's own loop (``call_soon``), between two
        jobs: a Celery consumer is not to be touched from another thread."""
        consumer = self.consumer
        tasks = consumer.task_consumer
        if tasks is None:
            return
        consuming = {queue.name for queue in tasks.queues}
        if consuming == wanted:
            return
        asked, when = self._asked
        if asked == wanted and time.monotonic() - when < self.ASK_AGAIN_AFTER:
            return
        self._asked = (set(wanted), time.monotonic())
        for queue in sorted(wanted - consuming):
            log.info("worker %s now takes the jobs of queue %s", self.name, queue)
            consumer.call_soon(consumer.add_task_queue, queue)
        for queue in sorted(consuming - wanted):
            log.info("worker %s no longer takes the jobs of queue %s", self.name, queue)
            consumer.call_soon(consumer.cancel_task_queue, queue)

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
