"""A worker that dies in the middle of a job, through real processes: the
worker is SIGKILLed (no clean-up of any kind, as when the OOM killer strikes)
while the tiny model is sampling, and the reaper (``manage.py reap_jobs``)
notices the stale heartbeat. Either another worker finishes the job exactly
once, or, when every worker dies, the job fails with a message after the
attempt limit. No orphan files either way.

On the embedded broker a killed worker's message stays taken for good
(kombu's SQL transport marks a delivered message invisible; only the worker's
own clean shutdown would put it back), so the reaper is what recovers the
job. On Redis the message also stays in the "unacked" set and is handed out
again after the visibility timeout; the test makes that redelivery happen and
checks that the job does not run again.
"""

import os
import re

import pytest

from tests.stack import Stack, api_client, wait_for

pytestmark = pytest.mark.integration

STALE_SECONDS = 3
MAX_ATTEMPTS = 2
# Slow enough to be killed while sampling (50–150 ms a step on one thread,
# depending on the machine's load), fast enough to finish in a few seconds.
SLOW_JOB = {
    "prompt": "a lighthouse in a storm",
    "model": "tiny",
    "width": 64,
    "height": 64,
    "steps": 30,
    "cfg_scale": 7,
    "seed": 4321,
    "sampler": "Euler a",
    "n": 2,
}
FINISHED = ("succeeded", "failed", "cancelled")


EMBEDDED = pytest.param("sqlite", id="embedded-broker")
REDIS = pytest.param("redis", id="redis-broker")


@pytest.fixture(scope="module")
def stack(request, tiny_model_path, django_db_blocker):
    database = "postgres" if "postgres" in os.environ.get("DATABASE_URL", "") else "sqlite"
    with django_db_blocker.unblock():
        running = Stack(
            database=database,
            broker=request.param,
            tiny_model=tiny_model_path,
            own_redis_database=True,
            extra_env={
                "ATELIER_JOB_STALE_SECONDS": str(STALE_SECONDS),
                "ATELIER_JOB_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
            },
        )
    try:
        running.start(worker=False)
        running.start_reaper(every=1)
        yield running
    finally:
        running.stop()


@pytest.fixture(autouse=True)
def no_worker_outlives_its_test(stack):
    yield
    for name, process in stack.processes.items():
        if name.startswith("worker") and process.poll() is None:
            stack.kill(name)


def submit(http) -> str:
    answer = http.post("/api/v1/generations/", json=SLOW_JOB)
    assert answer.status_code == 202, answer.text
    return answer.json()["id"]


def sampling(stack, http, job_id: str, attempt: int, seen: list, worker: str) -> dict:
    """Wait until the job's ``attempt``-th run is sampling (step > 0); every
    state read on the way is appended to ``seen``."""

    def check():
        job = http.get(f"/api/v1/generations/{job_id}/").json()
        seen.append(job)
        if job["status"] in FINISHED:
            raise AssertionError(f"the job ended before it could be killed: {job}")
        running = job["status"] == "running" and job["attempts"] == attempt
        return job if running and job["phase"] == "sampling" and job["step"] > 0 else None

    try:
        return wait_for(check, timeout=120, what=f"attempt {attempt} to sample", interval=0.1)
    except AssertionError:
        print(stack.log(worker), stack.log("reaper"))
        raise


def finished(stack, http, job_id: str, worker: str) -> dict:
    def check():
        job = http.get(f"/api/v1/generations/{job_id}/").json()
        return job if job["status"] in FINISHED else None

    try:
        return wait_for(check, timeout=120, what="the job to finish", interval=0.1)
    except AssertionError:
        print(stack.log(worker), stack.log("reaper"))
        raise


def stored(stack, username: str) -> dict:
    """What the database holds for the user: images (files, source keys), job previews."""
    return stack.shell(
        "import json; from gallery.models import Image; from studio.models import GenerationJob; "
        f"images = Image.objects.filter(owner__username={username!r}); "
        f"jobs = GenerationJob.objects.filter(owner__username={username!r}); "
        "print(json.dumps({"
        "'owner': images.first().owner_id if images else None, "
        "'images': [[i.source_key, i.file.name, i.thumbnail.name] for i in images], "
        "'previews': [j.preview.name for j in jobs if j.preview]}))"
    )


def all_referenced(stack) -> set[str]:
    """Every storage name a row points at: images, thumbnails, job previews."""
    names = stack.shell(
        "import json; from gallery.models import Image; from studio.models import GenerationJob; "
        "print(json.dumps([n for i in Image.objects.all() for n in (i.file.name, i.thumbnail.name)]"
        " + [j.preview.name for j in GenerationJob.objects.exclude(preview='')]))"
    )
    return set(names)


def files_in_storage(stack) -> set[str]:
    return {p.relative_to(stack.media).as_posix() for p in stack.media_files()}


def shown_before_sampling(seen: list, attempt: int) -> set:
    """The (phase, step, progress) a person saw on the job page between the
    attempt's claim and its first step, other than a fresh start's zeros."""
    return {
        (job["phase"], job["step"], job["progress"])
        for job in seen
        if job["attempts"] == attempt and job["phase"] != "sampling"
    } - {(phase, 0, 0) for phase in ("", "queued", "loading", "downloading", "waiting")}


@pytest.mark.parametrize("stack", [EMBEDDED, REDIS], indirect=True)
def test_a_job_whose_worker_is_killed_is_finished_once_by_another_worker(stack):
    http = api_client(stack, "survivor")
    stack.start_worker("worker-a1", queues="gpu")
    job_id = submit(http)
    sampling(stack, http, job_id, attempt=1, seen=[], worker="worker-a1")
    stack.kill("worker-a1")

    stack.start_worker("worker-a2", queues="gpu")
    seen = []
    second = sampling(stack, http, job_id, attempt=2, seen=seen, worker="worker-a2")
    assert second["total_steps"] == SLOW_JOB["steps"]
    assert shown_before_sampling(seen, attempt=2) == set(), "the dead attempt's progress"
    job = finished(stack, http, job_id, worker="worker-a2")

    assert job["status"] == "succeeded", (job["error"], stack.log("worker-a2"))
    assert job["attempts"] == 2
    assert job["error"] == ""
    assert len(job["images"]) == SLOW_JOB["n"]
    rows = stored(stack, "survivor")
    assert sorted(key for key, _, _ in rows["images"]) == [
        f"job:{job_id}:{index}" for index in range(SLOW_JOB["n"])
    ]
    owner = rows["owner"]
    files = files_in_storage(stack)
    mine = {name for name in files if name.startswith((f"images/{owner}/", f"thumbs/{owner}/"))}
    assert mine == {name for _, *names in rows["images"] for name in names}
    assert len(mine) == 2 * SLOW_JOB["n"]
    assert files <= all_referenced(stack), "orphan files in storage"

    if stack.redis:
        # The killed worker's message is still "unacked" on Redis: hand it out
        # again now, as Redis does after its visibility timeout (an hour).
        assert redeliver_unacked(stack) == 1
        wait_for(
            lambda: handled(stack, "worker-a2") == 2 and broker_is_empty(stack),
            timeout=60,
            what="the worker to take the redelivered message",
        )  # the reaper's message was the first
        again = http.get(f"/api/v1/generations/{job_id}/").json()
        assert (again["status"], again["attempts"], again["finished"]) == (
            "succeeded",
            2,
            job["finished"],
        )
        assert len(stored(stack, "survivor")["images"]) == SLOW_JOB["n"]
        assert files_in_storage(stack) == files


# The reaper does the same on both brokers: the embedded one is enough here.
@pytest.mark.parametrize("stack", [EMBEDDED], indirect=True)
def test_a_job_whose_workers_all_die_fails_after_the_attempt_limit(stack):
    http = api_client(stack, "unlucky")
    job_id = submit(http)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        worker = f"worker-b{attempt}"
        stack.start_worker(worker, queues="gpu")
        sampling(stack, http, job_id, attempt=attempt, seen=[], worker=worker)
        stack.kill(worker)

    job = finished(stack, http, job_id, worker="worker-b2")  # no worker left: the reaper ends it

    assert job["status"] == "failed"
    assert job["attempts"] == MAX_ATTEMPTS
    assert "stopped responding, 2 times" in job["error"], job["error"]
    assert job["images"] == []
    assert stored(stack, "unlucky")["images"] == []
    files = files_in_storage(stack)
    assert files <= all_referenced(stack), "orphan files in storage"
    assert {name for name in files if job_id in name} <= {f"previews/{job_id}.webp"}


def handled(stack, worker: str) -> int:
    """How many generation tasks the worker has run to the end (Celery logs each)."""
    log = (stack.folder / f"{worker}.log").read_text(errors="replace")
    return len(re.findall(r"Task studio\.run_generation_job\[[^\]]+\] succeeded", log))


def redeliver_unacked(stack) -> int:
    """Put every unacknowledged message back in its queue, through kombu's own
    restore (what a worker does once the visibility timeout has passed)."""
    from kombu import Connection

    pending = stack.redis.client.zcard("unacked_index")
    with Connection(
        stack.env["CELERY_BROKER_URL"], transport_options={"visibility_timeout": 0}
    ) as connection:
        connection.default_channel.qos.restore_visible(num=100, interval=1)
    return pending


def broker_is_empty(stack) -> bool:
    client = stack.redis.client
    # The tiny model's jobs go to its own queue (studio/routing.py).
    waiting = client.llen("gpu") + client.llen("gpu.tiny")
    return waiting == 0 and client.zcard("unacked_index") == 0
