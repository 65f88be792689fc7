from functools import cache

from celery import shared_task
from celery.signals import task_postrun, task_prerun, worker_ready, worker_shutdown

from atelier.log_context import job_id


@cache
def _configure_once():
    from .checkpoints import scan_once
    from .runner import configure_worker

    configure_worker()
    scan_once()  # checkpoints added to the models folder while the worker was down


@shared_task(name="studio.run_generation_job", acks_late=True, ignore_result=True)
def run_generation_job(job_id: str) -> None:
    from .runner import run_job
    from .workers import heartbeat

    _configure_once()
    run_job(job_id, heartbeat.name)


# The job id on Celery's own lines about the task too ("... succeeded in 2.1s");
# the runner sets it again for its part (atelier/log_context.py).
_log_tokens = {}


@task_prerun.connect(sender=run_generation_job)
def _job_id_on_log_lines(task_id, args, **kwargs):
    _log_tokens[task_id] = job_id.set(str(args[0]) if args else "")


@task_postrun.connect(sender=run_generation_job)
def _job_id_off_log_lines(task_id, **kwargs):
    token = _log_tokens.pop(task_id, None)
    if token is not None:
        job_id.reset(token)


@worker_ready.connect
def _start_heartbeat(sender, **kwargs):
    """Tell /healthz this worker is alive and what it offers, and take the jobs
    of the models on this machine (studio/workers.py, studio/routing.py)."""
    from .workers import heartbeat

    queues = sorted(sender.app.amqp.queues.consume_from)
    heartbeat.start(sender.hostname, queues, consumer=sender)


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
