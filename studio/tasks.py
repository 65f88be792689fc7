from functools import cache

from celery import shared_task


@cache
def _configure_once():
    from .runner import configure_worker

    configure_worker()


@shared_task(name="studio.run_generation_job", acks_late=True, ignore_result=True)
def run_generation_job(job_id: str) -> None:
    from .runner import run_job

    _configure_once()
    run_job(job_id)
