"""GET /healthz: is the database reachable, is the job queue reachable, and
are there workers to run the jobs (studio/workers.py). GET /readyz: may this
web server take requests (a load balancer's or Kubernetes' readiness probe).

``status`` is ``ok`` (200), ``error`` (503) when the database or the queue
cannot be reached, or ``degraded`` (503) when jobs would wait for ever: no
worker alive at all, or jobs waiting on a queue that no live worker serves.
``workers`` counts the live workers of each engine's queue (``gpu``,
``remote``), across every machine; /readyz's ``fleet`` lists them with what
each offers (GPU, free memory, the models whose ``gpu.<key>`` queues they
take, studio/routing.py)."""

import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from studio.workers import engine_queues, fleet, live_workers, starved_queues, unserved_queues

from .celery import app
from .stored_files import is_local


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def queue_ok() -> bool:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


def storage_ok() -> bool:
    """Can files be stored: on S3, the bucket answers; on this machine, the
    media folder (or the nearest folder above it, where it is not made yet)
    is writable."""
    try:
        if not is_local(default_storage):
            default_storage.exists("readyz")
            return True
        folder = Path(settings.MEDIA_ROOT)
        while not folder.exists():
            folder = folder.parent
        return folder.is_dir() and os.access(folder, os.W_OK)
    except Exception:
        return False


@never_cache
def healthz(request):
    checks = {"database": database_ok(), "queue": queue_ok()}
    body = {name: "ok" if ok else "error" for name, ok in checks.items()}
    workers = live_workers() if checks["database"] else {}
    if not all(checks.values()):
        status = "error"
    elif unserved_queues(workers):
        status = "degraded"
    else:
        status = "ok"
    body = {"status": status, **body, "workers": engine_queues(workers)}
    return JsonResponse(body, status=200 if status == "ok" else 503)


@never_cache
def readyz(request):
    """``ready`` (200) when the database, the job queue and the file storage
    answer and every queue with jobs waiting has a live worker; else 503, with
    ``error`` for a service that does not answer and ``starved`` naming the
    queues whose jobs wait for a worker (``gpu.<key>``: for a worker that has
    that model); ``fleet`` lists the live workers. No worker and no job waiting is
    ready: the pages and the API serve, and a job's page says it waits."""
    checks = {"database": database_ok(), "queue": queue_ok(), "storage": storage_ok()}
    body = {name: "ok" if ok else "error" for name, ok in checks.items()}
    workers = live_workers() if checks["database"] else {}
    starved = starved_queues(workers) if checks["database"] else []
    ready = all(checks.values()) and not starved
    body = {"status": "ready" if ready else "not ready", **body}
    body["workers"] = engine_queues(workers)
    body["starved"] = starved
    body["fleet"] = [worker_json(w) for w in fleet()] if checks["database"] else []
    return JsonResponse(body, status=200 if ready else 503)


def worker_json(worker) -> dict:
    return {
        "name": worker.name,
        "hostname": worker.hostname,
        "kind": worker.kind,
        "gpu": worker.gpu,
        "memory_total": worker.memory_total,
        "memory_free": worker.memory_free,
        "models": worker.model_keys,
        "last_seen": worker.beat.isoformat(),
    }
