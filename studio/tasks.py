from functools import cache

from celery import shared_task
from celery.signals import worker_ready, worker_shutdown


@cache
def _configure_once():
    from .runner import configure_worker

    configure_worker()


@shared_task(name="studio.run_generation_job", acks_late=True, ignore_result=True)
def run_generation_job(job_id: str) -> None:
    from .runner import run_job

    _configure_once()
    run_job(job_id)


@worker_ready.connect
def _start_heartbeat(sender, **kwargs):
    """Tell /healthz this worker is alive (studio/workers.py)."""
    from .workers import heartbeat

    heartbeat.start(sender.hostname, sorted(sender.app.amqp.queues.consume_from))


@worker_ready.connect
def _serve_metrics(sender, **kwargs):
    """Job metrics on a port of the worker's own, where it is set
    (atelier/metrics.py: a worker on a machine without a web process)."""
    from django.conf import settings

    if settings.ATELIER_WORKER_METRICS_PORT:
        from atelier.metrics import serve_worker_metrics

        serve_worker_metrics(
            settings.ATELIER_WORKER_METRICS_PORT, settings.ATELIER_WORKER_METRICS_ADDR
        )


@worker_shutdown.connect
def _stop_heartbeat(sender, **kwargs):
    from .workers import heartbeat

    heartbeat.stop()
