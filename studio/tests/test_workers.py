"""Workers' heartbeats (studio/workers.py): what /healthz counts."""

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from studio.models import Worker
from studio.workers import Heartbeat, beat, live_workers
from tests.stack import wait_for


def test_a_worker_is_counted_from_its_first_beat_until_its_clean_shutdown(transactional_db):
    heartbeat = Heartbeat()
    heartbeat.start("gpu-123@box", ["gpu"])
    wait_for(lambda: live_workers()["gpu"] == 1, timeout=10, what="the first beat")
    heartbeat.stop()
    assert live_workers() == {"gpu": 0, "remote": 0}
    assert not Worker.objects.exists()


def test_each_beat_moves_the_same_row(db):
    beat("remote-1@box", ["remote"])
    first = Worker.objects.get().beat
    beat("remote-1@box", ["remote"])
    assert Worker.objects.count() == 1 and Worker.objects.get().beat > first


def test_the_reaper_forgets_workers_gone_for_an_hour(db):
    now = timezone.now()
    Worker.objects.create(name="killed@box", queues="gpu", beat=now - timedelta(minutes=61))
    Worker.objects.create(name="quiet@box", queues="gpu", beat=now - timedelta(minutes=5))
    call_command("reap_jobs")
    assert list(Worker.objects.values_list("name", flat=True)) == ["quiet@box"]
