"""GET /healthz: is the database reachable, is the job queue reachable, and
are there workers to run the jobs (studio/workers.py).

``status`` is ``ok`` (200), ``error`` (503) when the database or the queue
cannot be reached, or ``degraded`` (503) when jobs would wait for ever: no
worker alive at all, or jobs waiting on a queue that no live worker serves.
``workers`` counts the live workers of each queue, across every machine."""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from studio.workers import live_workers, unserved_queues

from .celery import app


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
    body = {"status": status, **body, "workers": workers}
    return JsonResponse(body, status=200 if status == "ok" else 503)
