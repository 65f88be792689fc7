"""Facade requests wait for their jobs without taking the web server from
everyone else: with more of them waiting than a threaded server would have
threads, the site still answers at once."""

import base64
import threading

import httpx2
import pytest

from tests.stack import Stack, api_client, wait_for

pytestmark = pytest.mark.integration

# More than the 8 threads of the threaded server these tests used to start.
WAITERS = 12


@pytest.fixture
def stack(tiny_model_path, django_db_blocker):
    """The web server alone: no worker takes the jobs, so they stay queued."""
    with django_db_blocker.unblock():
        running = Stack(
            database="sqlite",
            broker="sqlite",
            tiny_model=tiny_model_path,
            extra_env={"ATELIER_MAX_QUEUED_JOBS": str(WAITERS)},
        )
    try:
        running.start(worker=False)
        yield running
    finally:
        running.stop()


def queued_jobs(stack) -> int:
    [(count,)] = stack.database.query(
        "SELECT COUNT(*) FROM studio_generationjob WHERE status = 'queued'"
    )
    return count


def test_the_site_answers_while_more_facade_requests_wait_than_a_server_has_threads(stack):
    http = api_client(stack, "ada")
    token = http.headers["Authorization"].removeprefix("Token ")
    basic = "Basic " + base64.b64encode(f"ada:{token}".encode()).decode()
    answers = []

    def txt2img():
        with httpx2.Client(base_url=stack.url, timeout=120) as client:
            answer = client.post(
                "/sdapi/v1/txt2img",
                json={"prompt": "a lighthouse", "steps": 2, "width": 64, "height": 64},
                headers={"Authorization": basic},
            )
            answers.append(answer.status_code)

    waiters = [threading.Thread(target=txt2img) for _ in range(WAITERS)]
    for waiter in waiters:
        waiter.start()
    wait_for(
        lambda: queued_jobs(stack) == WAITERS,
        timeout=60,
        what=f"{WAITERS} facade requests waiting on their queued jobs",
    )

    # /healthz answers at once; with no worker and jobs waiting it says so (503).
    health = httpx2.get(stack.url + "/healthz", timeout=5)
    assert health.json()["database"] == "ok" and health.json()["workers"] == {"gpu": 0, "remote": 0}
    assert httpx2.get(stack.url + "/", timeout=5).status_code == 200
    assert answers == []  # all of them still waiting

    # Interrupting cancels the queued jobs: every waiter gets its answer.
    assert http.post("/sdapi/v1/interrupt", headers={"Authorization": basic}).status_code == 200
    for waiter in waiters:
        waiter.join(timeout=60)
    assert answers == [200] * WAITERS
