"""GET /healthz: database, queue, and live workers across every machine
(atelier/health.py, studio/workers.py)."""

from datetime import timedelta

from django.utils import timezone

from studio.models import GenerationJob, Worker


def worker(name, queues, *, seconds_ago=0):
    Worker.objects.create(
        name=name, queues=queues, beat=timezone.now() - timedelta(seconds=seconds_ago)
    )


def test_it_reports_database_queue_and_workers(client, db):
    worker("gpu-1@box", "gpu")
    worker("remote-1@box", "remote")
    worker("both-1@other-box", "gpu,remote")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "queue": "ok",
        "workers": {"gpu": 2, "remote": 2},
    }


def test_it_is_degraded_when_no_worker_is_alive(client, db):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "queue": "ok",
        "workers": {"gpu": 0, "remote": 0},
    }


def test_a_worker_that_stopped_beating_is_not_counted(client, db, settings):
    settings.ATELIER_JOB_STALE_SECONDS = 60
    worker("gpu-1@box", "gpu", seconds_ago=61)
    worker("remote-1@box", "remote", seconds_ago=61)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["workers"] == {"gpu": 0, "remote": 0}


def test_a_queue_without_a_worker_is_fine_until_a_job_waits_on_it(client, owner):
    worker("gpu-1@box", "gpu")
    assert client.get("/healthz").status_code == 200
    # An OpenAI preset's job: it waits on the remote queue.
    GenerationJob.objects.create(owner=owner, model="gpt-image-1", request={"prompt": "p"})
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["workers"] == {"gpu": 1, "remote": 0}


def test_it_reports_an_unreachable_queue(client, db):
    from atelier.celery import app

    worker("gpu-1@box", "gpu,remote")
    kept, app.conf.broker_url = app.conf.broker_url, "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = kept
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["queue"] == "error"


# ---- /readyz: may this web server take requests -------------------------------


def test_ready_without_workers_while_no_job_waits(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "database": "ok",
        "queue": "ok",
        "storage": "ok",
        "workers": {"gpu": 0, "remote": 0},
        "starved": [],
        "fleet": [],
    }


def test_not_ready_when_a_job_waits_on_a_queue_no_worker_serves(client, owner):
    worker("gpu-1@box", "gpu")
    GenerationJob.objects.create(owner=owner, model="gpt-image-1", request={"prompt": "p"})
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "not ready"
    assert response.json()["starved"] == ["remote"]
    worker("remote-1@box", "remote")
    assert client.get("/readyz").status_code == 200


def test_not_ready_when_files_cannot_be_stored(client, db, settings, tmp_path, local_storage):
    """The local folder's check (local_storage: the S3 pass's bucket is writable)."""
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a folder")
    settings.MEDIA_ROOT = in_the_way / "media"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["storage"] == "error"


def test_not_ready_when_the_queue_is_unreachable(client, db):
    from atelier.celery import app

    kept, app.conf.broker_url = app.conf.broker_url, "redis://127.0.0.1:1/0"
    try:
        response = client.get("/readyz")
    finally:
        app.conf.broker_url = kept
    assert response.status_code == 503
    assert response.json()["queue"] == "error"
