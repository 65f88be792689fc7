"""`make run` (``manage.py serve``) when one of its processes dies: the
workers and the reaper are SIGKILLed in the middle of a job, as the kernel's
OOM killer would; serve starts each again, the web server answers all along,
and the restarted reaper and worker finish the interrupted job. Only Ctrl-C
stops everything."""

import os
import re
import signal

import httpx2
import pytest

from tests.stack import Stack, api_client, wait_for

pytestmark = pytest.mark.integration

SUPERVISED = ("gpu-worker", "remote-worker", "reaper")
SLOW_JOB = {
    "prompt": "a lighthouse in a storm",
    "model": "tiny",
    "width": 64,
    "height": 64,
    "steps": 16,
    "seed": 4321,
    "n": 1,
}


@pytest.fixture
def stack(tiny_model_path, django_db_blocker):
    with django_db_blocker.unblock():
        running = Stack(
            tiny_model=tiny_model_path,
            extra_env={
                "ATELIER_JOB_STALE_SECONDS": "3",
                # The test is about restarts, not priorities: on a busy
                # machine an idle-priority worker could wait long for the CPU.
                "ATELIER_GPU_WORKER_IDLE": "0",
                "ATELIER_GPU_WORKER_NICE": "0",
            },
        )
    try:
        yield running
    finally:
        running.stop()


def serve_log(stack) -> str:
    return (stack.folder / "serve.log").read_text(errors="replace")


def started_pids(stack) -> dict[str, list[int]]:
    """Every pid serve has started each process under, in order."""
    pids = {}
    for name, pid in re.findall(r"Started ([\w-]+) \(pid (\d+)\)", serve_log(stack)):
        pids.setdefault(name, []).append(int(pid))
    return pids


def job(http, job_id: str) -> dict:
    return http.get(f"/api/v1/generations/{job_id}/").json()


def healthz(stack) -> tuple[int, dict]:
    answer = httpx2.get(stack.url + "/healthz", timeout=10)
    return answer.status_code, answer.json()["workers"]


def test_make_run_restarts_what_was_killed_and_keeps_serving(stack):
    serve = stack.serve("--web-workers", "1", "--reap-every", "1")
    http = api_client(stack, "crashy")
    first = wait_for(
        lambda: (pids := started_pids(stack)) and all(name in pids for name in SUPERVISED) and pids,
        timeout=30,
        what="serve to start the workers and the reaper",
    )
    wait_for(
        lambda: healthz(stack) == (200, {"gpu": 1, "remote": 1}),
        timeout=30,
        what="/healthz to see both workers",
    )
    answer = http.post("/api/v1/generations/", json=SLOW_JOB)
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["id"]
    wait_for(
        lambda: job(http, job_id)["step"] > 0,
        timeout=60,
        what="the job to be sampling",
        interval=0.1,
    )

    for name in SUPERVISED:
        os.kill(first[name][-1], signal.SIGKILL)

    def all_restarted():
        healthz(stack)  # the web server answers every time we ask while they are down
        pids = started_pids(stack)
        return all(len(pids.get(name, [])) == 2 for name in SUPERVISED)

    wait_for(all_restarted, timeout=30, what="serve to restart what was killed", interval=0.2)
    log = serve_log(stack)
    for name in SUPERVISED:
        assert f"The {name} process was killed by SIGKILL; restarting it in 1 s." in log

    done = wait_for(
        lambda: (state := job(http, job_id))["status"] in ("succeeded", "failed") and state,
        timeout=60,
        what="the interrupted job to finish",
        interval=0.2,
    )
    assert (done["status"], done["attempts"], len(done["images"])) == ("succeeded", 2, 1), done
    assert healthz(stack) == (200, {"gpu": 1, "remote": 1})
    assert serve.poll() is None

    serve.send_signal(signal.SIGINT)  # Ctrl-C
    assert serve.wait(timeout=30) == 0
    children = [pid for pids in started_pids(stack).values() for pid in pids]
    assert [pid for pid in children if os.path.exists(f"/proc/{pid}")] == []
