"""500 generations queued at once, through real processes: a person submits
them through the API, then two Celery workers (the ``remote`` queue's thread
pools, as ``make run`` starts them) run them on Redis against a fake
AUTOMATIC1111 server that answers at once. Every job succeeds, none is lost,
none runs twice, no image is stored twice.

The jobs go through ``POST /api/v1/generations/`` rather than being made in
bulk in a shell: the web server's commit-then-enqueue path is part of what
must not lose a job. On two cores that is about half of the test's time.
"""

import os
import time

import pytest
from pytest_httpserver import HTTPServer

from studio.backends.tests.test_a1111 import SD_MODELS, calls_to, serve_basics, serve_txt2img
from tests.stack import Stack, api_client, wait_for

pytestmark = pytest.mark.integration

JOBS = 500
IMAGES_PER_JOB = 2
WORKERS = 2
PRESET = "a1111-small"  # a small-image preset on the fake server, as an admin would add one


@pytest.fixture(scope="module")
def a1111():
    """A fake A1111 (its real wire format, see studio/backends/tests/test_a1111.py)
    that knows the preset's checkpoint and answers txt2img at once."""
    server = HTTPServer(threaded=True)
    server.start()
    serve_basics(server, models=SD_MODELS)
    serve_txt2img(server)
    yield server
    server.clear()
    server.stop()


@pytest.fixture(scope="module")
def stack(a1111, tiny_model_path, django_db_blocker):
    database = "postgres" if "postgres" in os.environ.get("DATABASE_URL", "") else "sqlite"
    with django_db_blocker.unblock():
        running = Stack(
            database=database,
            broker="redis",
            tiny_model=tiny_model_path,
            own_redis_database=True,
            extra_env={
                "ATELIER_A1111_URL": a1111.url_for("").rstrip("/"),
                "ATELIER_MAX_QUEUED_JOBS": str(JOBS),
            },
        )
    try:
        running.start(worker=False)
        running.add_preset(
            PRESET,
            label="SDXL base 1.0, small (AUTOMATIC1111)",
            backend="a1111",
            model_id="sd_xl_base_1.0.safetensors",
            width=64,
            height=64,
            min_size=64,
            max_size=512,
            steps=20,
            cfg_scale=7.0,
            sampler="Euler a",
        )
        yield running
    finally:
        running.stop()


def statuses(stack) -> dict[str, int]:
    rows = stack.database.query("SELECT status, COUNT(*) FROM studio_generationjob GROUP BY status")
    return dict(rows)


def test_five_hundred_jobs_queued_at_once_all_succeed_once(stack, a1111):
    http = api_client(stack, "prolific")
    started = time.monotonic()
    job_ids = []
    for number in range(JOBS):
        answer = http.post(
            "/api/v1/generations/",
            json={
                "prompt": f"lighthouse number {number}",
                "model": PRESET,
                "seed": number * 10,
                "n": IMAGES_PER_JOB,
            },
        )
        assert answer.status_code == 202, answer.text
        job_ids.append(answer.json()["id"])
    submitted = time.monotonic()
    assert statuses(stack) == {"queued": JOBS}  # all of them waiting at once
    for number in range(1, WORKERS + 1):
        stack.start_worker(f"remote-{number}", queues="remote")

    def all_finished():
        counts = statuses(stack)
        return counts if sum(counts.get(s, 0) for s in ("queued", "running")) == 0 else None

    try:
        counts = wait_for(all_finished, timeout=180, what="500 jobs to finish", interval=0.5)
    except AssertionError:
        print(statuses(stack), stack.log("remote-1"), stack.log("remote-2"))
        raise
    done = time.monotonic()
    print(
        f"\n{JOBS} jobs: submitted in {submitted - started:.1f} s, "
        f"run by {WORKERS} workers (started after) in {done - submitted:.1f} s"
    )

    assert counts == {"succeeded": JOBS}, (counts, stack.log("remote-1"))
    assert len(set(job_ids)) == JOBS
    stored = stack.shell(
        "import json; from gallery.models import Image; from studio.models import GenerationJob; "
        "jobs = GenerationJob.objects.filter(owner__username='prolific'); "
        "images = Image.objects.filter(owner__username='prolific'); "
        "print(json.dumps({"
        "'jobs': sorted(str(j) for j in jobs.values_list('pk', flat=True)), "
        "'attempts': sorted(set(jobs.values_list('attempts', flat=True))), "
        "'images_per_job': sorted(set(j.images.count() for j in jobs)), "
        "'source_keys': list(images.values_list('source_key', flat=True)), "
        "'names': [n for i in images for n in (i.file.name, i.thumbnail.name)]}))"
    )
    assert stored["jobs"] == sorted(job_ids)
    assert stored["attempts"] == [1]
    assert stored["images_per_job"] == [IMAGES_PER_JOB]
    expected_keys = {f"job:{job}:{i}" for job in job_ids for i in range(IMAGES_PER_JOB)}
    assert len(stored["source_keys"]) == JOBS * IMAGES_PER_JOB
    assert set(stored["source_keys"]) == expected_keys
    files = {p.relative_to(stack.media).as_posix() for p in stack.media_files()}
    assert len(files) == 2 * JOBS * IMAGES_PER_JOB
    assert files == set(stored["names"])
    # The engine ran each job once: one txt2img call per job, n images each.
    assert len(calls_to(a1111, "/sdapi/v1/txt2img")) == JOBS
