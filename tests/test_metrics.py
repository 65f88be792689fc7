"""GET /metrics (atelier/metrics.py): refused without the token, and what
Prometheus reads after requests and jobs."""

import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx2
import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from atelier.management.commands.serve import prepare_metrics_dir
from atelier.metrics import JOBS, serve_worker_metrics
from studio.models import ModelPreset, Worker
from studio.runner import run_job
from studio.tests.test_job_page import make_job

TOKEN = "scrape-me-4f1c"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def token(settings):
    settings.ATELIER_METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client) -> dict:
    """Every sample of /metrics, as {(name, sorted labels): value}."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_without_a_token_configured_there_is_no_metrics_page(client, db, settings):
    settings.ATELIER_METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


def test_anonymous_and_wrong_tokens_are_refused_in_json(client, db, token):
    anonymous = client.get("/metrics")
    assert anonymous.status_code == 401
    assert "Bearer" in anonymous.json()["error"]
    assert anonymous["WWW-Authenticate"].startswith("Bearer")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert wrong.status_code == 403
    assert "not the right one" in wrong.json()["error"]
    assert "atelier_" not in wrong.content.decode()


def test_a_request_is_counted_under_its_route_name_not_its_path(client, db, token):
    before = scrape(client)
    assert client.get("/").status_code == 200
    assert client.get("/no/such/page/123").status_code == 404
    after = scrape(client)
    labels = {"route": "home", "method": "GET", "status": "2xx"}
    count = "atelier_request_seconds_count"
    assert value(after, count, **labels) == value(before, count, **labels) + 1
    unmatched = {"route": "unmatched", "method": "GET", "status": "4xx"}
    assert value(after, count, **unmatched) == value(before, count, **unmatched) + 1
    assert not any("no/such/page" in str(key) for key in after)


def job_for(owner, model):
    job = make_job(owner)
    type(job).objects.filter(pk=job.pk).update(model=model)
    return job


def test_a_finished_job_is_counted_by_engine_and_status(client, owner, token, tiny_settings):
    job = make_job(owner)
    job.request.update(width=64, height=32, steps=2, n=1)
    job.save()
    before = scrape(client)
    run_job(str(job.pk))
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    after = scrape(client)
    done = {"engine": "diffusers", "status": "succeeded"}
    assert (
        value(after, "atelier_jobs_total", **done)
        == value(before, "atelier_jobs_total", **done) + 1
    )
    assert (
        value(after, "atelier_job_seconds_count", **done)
        == value(before, "atelier_job_seconds_count", **done) + 1
    )
    wait = "atelier_job_queue_wait_seconds_count"
    assert value(after, wait, queue="gpu") == value(before, wait, queue="gpu") + 1


def test_a_job_whose_model_is_gone_is_counted_as_failed(client, owner, token):
    job = job_for(owner, "deleted-model")
    before = scrape(client)
    run_job(str(job.pk))
    after = scrape(client)
    failed = {"engine": "unknown", "status": "failed"}
    assert (
        value(after, "atelier_jobs_total", **failed)
        == value(before, "atelier_jobs_total", **failed) + 1
    )


def test_queue_depth_and_live_workers_are_read_at_scrape_time(client, owner, token):
    assert ModelPreset.objects.get(key="tiny").backend == "diffusers"
    ModelPreset.objects.create(key="dalle", label="DALL-E", backend="openai", model_id="dall-e-3")
    make_job(owner)
    make_job(owner)
    job_for(owner, "dalle")
    make_job(owner, status="running")
    make_job(owner, status="succeeded")
    Worker.objects.create(name="remote-1@a", queues="remote", beat=timezone.now())
    Worker.objects.create(name="both-1@b", queues="gpu,remote", beat=timezone.now())
    Worker.objects.create(
        name="gone@c", queues="gpu", beat=timezone.now() - timedelta(seconds=3600)
    )
    samples = scrape(client)
    assert value(samples, "atelier_queue_depth", queue="gpu") == 2
    assert value(samples, "atelier_queue_depth", queue="remote") == 1
    assert value(samples, "atelier_workers", queue="gpu") == 1
    assert value(samples, "atelier_workers", queue="remote") == 2


def test_with_a_multiprocess_dir_it_adds_up_every_process(client, db, token, tmp_path, monkeypatch):
    """Two other processes (a worker each) record jobs in the shared folder;
    the web process's scrape shows their sum."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    record = (
        "from atelier.metrics import JOBS, REQUEST_SECONDS\n"
        "JOBS.labels('openai', 'succeeded').inc()\n"
        "REQUEST_SECONDS.labels('home', 'GET', '2xx').observe(0.01)\n"
    )
    for _ in range(2):
        subprocess.run([sys.executable, "-c", record], cwd=REPO, env=env, check=True)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scrape(client)
    assert value(samples, "atelier_jobs_total", engine="openai", status="succeeded") == 2
    home = {"route": "home", "method": "GET", "status": "2xx"}
    assert value(samples, "atelier_request_seconds_count", **home) == 2
    assert value(samples, "atelier_queue_depth", queue="gpu") == 0


def test_the_grafana_dashboard_reads_only_metrics_that_exist(client, owner, token):
    """Every series deploy/grafana-dashboard.json queries is served (after a
    request and a job, the histograms have their buckets)."""
    client.get("/")
    run_job(str(job_for(owner, "deleted-model").pk))
    served = {name for name, _ in scrape(client)}
    dashboard = json.loads((REPO / "deploy" / "grafana-dashboard.json").read_text())
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\batelier_\w+", target["expr"])
    }
    assert "atelier_request_seconds_bucket" in queried
    assert queried - served - {"atelier_gpu_memory_bytes"} == set()


def test_a_worker_on_its_own_machine_serves_its_job_metrics(settings):
    server = serve_worker_metrics(0, "127.0.0.1")
    try:
        JOBS.labels("comfyui", "cancelled").inc()
        response = httpx2.get(f"http://127.0.0.1:{server.server_port}/metrics")
        assert response.status_code == 200
        assert 'atelier_jobs_total{engine="comfyui",status="cancelled"}' in response.text
    finally:
        server.shutdown()
        server.server_close()


def test_serve_empties_the_metrics_folder_of_an_earlier_run(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "counter_123.db").write_bytes(b"old")
    (tmp_path / "metrics" / "keep.txt").write_text("not ours")
    assert prepare_metrics_dir() == tmp_path / "metrics"
    assert sorted(p.name for p in (tmp_path / "metrics").iterdir()) == ["keep.txt"]
