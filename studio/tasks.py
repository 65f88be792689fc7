from functools import cache

from celery import shared_task
from celery.signals import worker_ready, worker_shutdown


@cache
def _configure_once():
    from .checkpoints import scan_once
    from .runner import configure_worker

    configure_worker()
    scan_once()  # checkpoints added to the models folder while the worker was down


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


@worker_shutdown.connect
def _stop_heartbeat(sender, **kwargs):
    from .workers import heartbeat

    heartbeat.stop()
