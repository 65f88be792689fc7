from datetime import timedelta

import pytest
from django.utils import timezone

from studio.models import GenerationJob
from studio.reaper import reap
from studio.tests.test_job_page import make_job


def ago(seconds):
    return timezone.now() - timedelta(seconds=seconds)


def test_a_running_job_with_a_stale_heartbeat_goes_back_to_the_queue(owner, settings):
    settings.ATELIER_JOB_STALE_SECONDS = 30
    job = make_job(owner, status="running", heartbeat=ago(31), attempts=1)
    assert reap()["requeued"] == 1
    job.refresh_from_db()
    assert job.status == "queued" and job.enqueued is not None


def test_a_job_that_lost_its_worker_too_often_fails_with_a_message(owner, settings):
    settings.ATELIER_JOB_MAX_ATTEMPTS = 2
    job = make_job(owner, status="running", heartbeat=ago(3600), attempts=2)
    assert reap()["failed"] == 1
    job.refresh_from_db()
    assert job.status == "failed" and "stopped responding, 2 times" in job.error


def test_a_job_with_a_fresh_heartbeat_is_left_alone(owner):
    job = make_job(owner, status="running", heartbeat=ago(1), attempts=1)
    assert reap() == {"requeued": 0, "failed": 0, "resent": 0}
    job.refresh_from_db()
    assert job.status == "running"


def test_a_queued_job_sent_long_ago_is_sent_again(owner):
    job = make_job(owner, enqueued=ago(3600))
    recent = make_job(owner, enqueued=ago(5))
    assert reap()["resent"] == 1
    job.refresh_from_db()
    recent.refresh_from_db()
    assert job.enqueued > ago(60) and recent.enqueued < ago(4)


def test_finished_jobs_are_never_touched(owner):
    for status in ("succeeded", "failed", "cancelled"):
        make_job(owner, status=status, heartbeat=ago(3600), enqueued=ago(3600))
    assert reap() == {"requeued": 0, "failed": 0, "resent": 0}
    assert GenerationJob.objects.filter(status="queued").count() == 0


def test_how_long_a_queued_job_waits_before_it_is_sent_again_is_a_setting(owner, settings):
    """A broker restarted without persistence forgets its messages: a cluster
    may resend sooner than the default ten minutes."""
    settings.ATELIER_JOB_RESEND_SECONDS = 30
    job = make_job(owner, enqueued=ago(31))
    waiting = make_job(owner, enqueued=ago(20))
    assert reap()["resent"] == 1
    job.refresh_from_db()
    waiting.refresh_from_db()
    assert job.enqueued > ago(5) and waiting.enqueued < ago(19)


def test_a_repeating_reaper_outlives_a_round_that_fails(monkeypatch, caplog, db):
    """The broker restarting made a round raise, and the reaper process died
    with it: queued jobs whose messages Redis forgot were never sent again
    (bench/scale.py found it). The next round now runs."""
    from kombu.exceptions import OperationalError

    from studio.management.commands import reap_jobs

    rounds = []

    def reap_once():
        rounds.append(1)
        if len(rounds) == 1:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        if len(rounds) == 3:
            raise KeyboardInterrupt  # stops the loop, as Ctrl-C does
        return {"requeued": 0, "failed": 0, "resent": 0}

    monkeypatch.setattr(reap_jobs, "reap", reap_once)
    monkeypatch.setattr(reap_jobs.time, "sleep", lambda seconds: None)
    reap_jobs.Command().handle(every=1.0)
    assert len(rounds) == 3
    assert "reaping failed; trying again in 1.0 s" in caplog.text


def test_a_single_reaper_round_that_fails_says_so(monkeypatch, db):
    from studio.management.commands import reap_jobs

    def broken():
        raise RuntimeError("the broker is down")

    monkeypatch.setattr(reap_jobs, "reap", broken)
    with pytest.raises(RuntimeError):
        reap_jobs.Command().handle(every=0)
