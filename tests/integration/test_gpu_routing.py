"""Many GPU machines (studio/routing.py, studio/capabilities.py), through real
processes: each Celery worker's heartbeat says what its machine has, and a
job for a local model runs only on a worker that has the model. A machine
without the tiny model is a worker whose ATELIER_TINY_MODEL_PATH holds nothing."""

import re

import httpx2
import pytest

pytest.importorskip(
    "torch", reason="needs the local engine (torch, diffusers): pip install -e '.[local]'"
)

from tests.stack import Browser, Stack, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "redis"])
def stack(request, tiny_model_path, django_db_blocker):
    """On both brokers: the worker changes its queues on the embedded broker's
    polling loop and on Redis' event loop alike."""
    with django_db_blocker.unblock():
        running = Stack(broker=request.param, tiny_model=tiny_model_path)
    try:
        running.start(worker=False)
        yield running
    finally:
        running.stop()


def readyz(stack) -> dict:
    return httpx2.get(stack.url + "/readyz", timeout=10).json()


def member(stack, prefix: str) -> dict | None:
    """The /readyz fleet entry of the worker started as ``prefix``, once it has beaten."""
    found = [w for w in readyz(stack)["fleet"] if w["name"].startswith(prefix + "-")]
    return found[0] if found else None


def generate(person: Browser) -> str:
    response = person.post_form(
        "/generate/",
        {
            "prompt": "a lighthouse",
            "model": "tiny",
            "width": 64,
            "height": 64,
            "steps": 2,
            "cfg_scale": 7,
            "seed": 1,
            "sampler": "Euler a",
            "n": 1,
            "visibility": "private",
        },
    )
    assert response.status_code == 302, response.text[:2000]
    return re.search(r"/jobs/([0-9a-f-]+)/", response.headers["location"]).group(1)


def ran_on(stack, job_id: str) -> str:
    [(worker,)] = stack.database.query(
        f"SELECT worker FROM studio_generationjob WHERE id = '{job_id.replace('-', '')}'"
    )
    return worker


def test_a_job_waits_for_a_worker_that_has_its_model_and_runs_only_there(stack, tmp_path):
    stack.start_worker("without", queues="gpu", env={"ATELIER_TINY_MODEL_PATH": str(tmp_path)})
    without = wait_for(lambda: member(stack, "without"), timeout=60, what="the first beat")
    assert without["kind"] == "gpu" and without["gpu"] == "CPU"
    assert without["models"] == [] and without["memory_total"] > 0
    assert without["hostname"] and without["last_seen"]

    person = Browser(stack)
    person.signup("ada")
    job_id = generate(person)
    # No live worker has the tiny model: the job waits on its model's queue, and says so.
    ready = wait_for(
        lambda: (r := readyz(stack))["starved"] == ["gpu.tiny"] and r,
        timeout=30,
        what="/readyz to name the starved queue",
    )
    assert ready["status"] == "not ready" and ready["workers"]["gpu"] == 1
    status = person.http.get(f"/jobs/{job_id}/status/").text
    assert "Waiting for a worker that has Tiny test model (random weights, offline)." in status
    assert 'data-status="queued"' in status

    stack.start_worker("with", queues="gpu")
    has = wait_for(lambda: member(stack, "with"), timeout=60, what="the second worker's beat")
    assert has["models"] == ["tiny"]

    def finished(job_id):
        page = person.http.get(f"/jobs/{job_id}/status/").text
        return page if re.search(r'data-status="(succeeded|failed|cancelled)"', page) else None

    page = wait_for(lambda: finished(job_id), timeout=120, what="the job to finish")
    assert 'data-status="succeeded"' in page, stack.log("with")
    assert ran_on(stack, job_id).startswith("with-")
    assert readyz(stack)["starved"] == []
    # Sent now that a worker has it: on the model's queue, which the other never takes.
    second = generate(person)
    page = wait_for(lambda: finished(second), timeout=120, what="the second job to finish")
    assert 'data-status="succeeded"' in page, stack.log("with")
    assert ran_on(stack, second).startswith("with-")
    assert "Started consuming from gpu.tiny" not in stack.log("without")
