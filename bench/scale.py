"""Atelier in its production shape, under load and faults (issue 16, "Scale,
measured"). Not part of `make test`.

On this machine it runs what a small cluster runs: 2 gunicorn processes,
PostgreSQL, a Redis broker of the bench's own (so that it can be restarted),
4 remote workers against a fake AUTOMATIC1111 that answers at once, 1 local
worker with the tiny model, and the reaper. 50 clients push --jobs jobs
through `POST /api/v1/generations/` (1 in --tiny-every for the tiny model,
the rest for the fake A1111), while

- every --kill-every seconds a random worker is SIGKILLed and started again
  (as a container's restart policy would), and
- Redis is stopped and started once, halfway through the submissions. It keeps
  nothing on disk (as the project's Redis runs), so the messages it held are
  gone; the reaper sends those jobs again after ATELIER_JOB_RESEND_SECONDS.

Then every job must have finished: succeeded, or failed with a message for
its person. None lost (every 202 answer's job is in the database and
finished), none stored twice (each job has exactly its n images). The table
gives submit latency, jobs per second and what the faults cost.

    .venv/bin/python bench/scale.py [--jobs 10000] [--clients 50] [--kill-every 20]
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from harness import Column, Stats, print_table, run_facts, setup_django, tiny_model

A1111_PRESET = "a1111-bench"
WORKERS = {
    **{f"remote-{n}": "remote" for n in range(1, 5)},
    "gpu-1": "gpu",
}
IMAGES_PER_JOB = 1
STALE_SECONDS = 10  # a killed worker's job goes back to the queue after this
RESEND_SECONDS = 180  # a job queued this long is sent again (Redis forgot it)


class OwnRedis:
    """A redis-server on a free port, without persistence, that the bench may
    stop and start again."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = None

    def start(self):
        from tests.stack import wait_for

        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        command = [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--logfile", "", "--loglevel", "warning"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        wait_for(self._up, timeout=20, what="the bench's Redis")

    def _up(self):
        import redis

        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=1).ping()
        except redis.RedisError:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def fake_a1111():
    from pytest_httpserver import HTTPServer

    from studio.backends.tests.test_a1111 import SD_MODELS, serve_basics, serve_txt2img

    server = HTTPServer(threaded=True)
    server.start()
    serve_basics(server, models=SD_MODELS)
    serve_txt2img(server)
    return server


def start_stack(redis, a1111, jobs: int):
    from tests.stack import Stack

    stack = Stack(
        database="postgres",
        broker="sqlite",  # replaced by the bench's own Redis below
        tiny_model=tiny_model(),
        extra_env={
            "CELERY_BROKER_URL": redis.url,
            "ATELIER_A1111_URL": a1111.url_for("").rstrip("/"),
            "ATELIER_MAX_QUEUED_JOBS": str(jobs),
            "ATELIER_JOB_STALE_SECONDS": str(STALE_SECONDS),
            "ATELIER_JOB_RESEND_SECONDS": str(RESEND_SECONDS),
            # 50 people sign up from one address in a few seconds.
            "ATELIER_RATE_SIGNUP": "",
            "ATELIER_RATE_LOGIN": "",
        },
    )
    stack.migrate()
    stack.start_web(workers=2)
    stack.add_preset(
        A1111_PRESET,
        label="SDXL (fake AUTOMATIC1111)",
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
    for name, queues in WORKERS.items():
        stack.start_worker(name, queues=queues)
    stack.start_reaper(every=1.0)
    return stack


class Chaos(threading.Thread):
    """Kills a random worker every ``every`` seconds and starts it again; stops
    and starts Redis once when ``redis_at`` is set."""

    def __init__(self, stack, redis, every: float):
        super().__init__(daemon=True)
        self.stack, self.redis, self.every = stack, redis, every
        self.kills = 0
        self.redis_restarts = 0
        self.restart_redis = threading.Event()
        self.done = threading.Event()
        self.chance = random.Random(16)

    def run(self):
        next_kill = time.monotonic() + self.every
        while not self.done.wait(0.2):
            if self.restart_redis.is_set() and not self.redis_restarts:
                self.redis.stop()
                time.sleep(2)  # down for a moment, as a restarting pod is
                self.redis.start()
                self.redis_restarts += 1
            if time.monotonic() >= next_kill:
                name = self.chance.choice(sorted(WORKERS))
                self.stack.kill(name)
                self.stack.start_worker(name, queues=WORKERS[name])
                self.kills += 1
                next_kill += self.every


def submit_all(stack, clients: int, jobs: int, tiny_every: int, chaos: Chaos):
    """Each client signs up, takes a token and submits its share of the jobs
    one after another; halfway through the submissions Redis restarts."""
    from tests.stack import api_client

    sessions = [api_client(stack, f"client{n}") for n in range(clients)]
    latencies, accepted, refused = [], [], []
    lock = threading.Lock()
    counter = iter(range(jobs))

    def client(http):
        for number in counter:
            if number == jobs // 2:
                chaos.restart_redis.set()
            tiny = number % tiny_every == 0
            body = {
                "prompt": f"lighthouse {number}",
                "model": "tiny" if tiny else A1111_PRESET,
                "seed": number,
                "n": IMAGES_PER_JOB,
                **({"width": 64, "height": 64, "steps": 2} if tiny else {}),
            }
            started = time.perf_counter()
            answer = http.post("/api/v1/generations/", json=body)
            took = time.perf_counter() - started
            with lock:
                latencies.append(took)
                if answer.status_code == 202:
                    accepted.append(answer.json()["id"])
                else:
                    refused.append(f"{answer.status_code}: {answer.text[:200]}")

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, sessions))
    return latencies, accepted, refused, time.monotonic() - started


def wait_until_finished(stack, timeout: float) -> float:
    from tests.stack import wait_for

    def finished():
        rows = stack.database.query(
            "SELECT COUNT(*) FROM studio_generationjob WHERE status IN ('queued', 'running')"
        )
        return rows[0][0] == 0

    started = time.monotonic()
    wait_for(finished, timeout=timeout, what="every job to finish", interval=1.0)
    return time.monotonic() - started


def check(stack, accepted: list[str]) -> dict:
    """Lost, duplicated and failed jobs, from the stack's database."""
    query = stack.database.query
    statuses = dict(query("SELECT status, COUNT(*) FROM studio_generationjob GROUP BY status"))
    known = {str(row[0]) for row in query("SELECT id FROM studio_generationjob")}
    silent = query(
        "SELECT COUNT(*) FROM studio_generationjob WHERE status = 'failed' AND error = ''"
    )[0][0]
    wrong_count = query(
        "SELECT COUNT(*) FROM (SELECT j.id FROM studio_generationjob j "
        "LEFT JOIN studio_generationjob_images i ON i.generationjob_id = j.id "
        "WHERE j.status = 'succeeded' GROUP BY j.id "
        f"HAVING COUNT(i.image_id) <> {IMAGES_PER_JOB}) AS wrong"
    )[0][0]
    orphans = query(
        "SELECT COUNT(*) FROM gallery_image g WHERE NOT EXISTS (SELECT 1 FROM "
        "studio_generationjob_images i WHERE i.image_id = g.id) AND g.owner_id IN "
        "(SELECT id FROM auth_user WHERE username LIKE 'client%')"
    )[0][0]
    errors = query(
        "SELECT error, COUNT(*) FROM studio_generationjob WHERE status = 'failed' "
        "GROUP BY error ORDER BY COUNT(*) DESC LIMIT 3"
    )
    attempts = dict(query("SELECT attempts, COUNT(*) FROM studio_generationjob GROUP BY attempts"))
    return {
        "statuses": statuses,
        "lost": len(set(accepted) - known) + statuses.get("queued", 0) + statuses.get("running", 0),
        "failed_silently": silent,
        "wrong_image_count": wrong_count,
        "images_without_job": orphans,
        "errors": errors,
        "attempts": attempts,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--kill-every", type=float, default=20.0)
    parser.add_argument("--tiny-every", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds to finish")
    args = parser.parse_args()
    print("\n".join(run_facts()))
    setup_django()
    from tests.stack import free_port

    redis = OwnRedis(free_port())
    redis.start()
    a1111 = fake_a1111()
    stack = start_stack(redis, a1111, args.jobs)
    chaos = Chaos(stack, redis, args.kill_every)
    try:
        chaos.start()
        latencies, accepted, refused, submit_seconds = submit_all(
            stack, args.clients, args.jobs, args.tiny_every, chaos
        )
        drain_seconds = wait_until_finished(stack, args.timeout)
        chaos.done.set()
        chaos.join()
        found = check(stack, accepted)
    finally:
        chaos.done.set()
        stack.stop()
        a1111.stop()
        redis.stop()

    total = submit_seconds + drain_seconds
    submit = Stats.of(latencies, scale=1000)
    rows = [
        {"": "jobs submitted (202)", "value": len(accepted)},
        {"": "submissions refused", "value": len(refused)},
        {"": "submit p50 (ms)", "value": submit.p50},
        {"": "submit p99 (ms)", "value": submit.p99},
        {"": "submit max (ms)", "value": submit.max},
        {"": "submitting took (s)", "value": submit_seconds},
        {"": "last job finished after (s)", "value": total},
        {"": "jobs/s (submitted to all finished)", "value": len(accepted) / total},
        {"": "workers killed", "value": chaos.kills},
        {"": "Redis restarts", "value": chaos.redis_restarts},
        {"": "succeeded", "value": found["statuses"].get("succeeded", 0)},
        {"": "failed, with a message", "value": found["statuses"].get("failed", 0)},
        {"": "failed without a message", "value": found["failed_silently"]},
        {"": "lost", "value": found["lost"]},
        {"": "jobs without exactly their images", "value": found["wrong_image_count"]},
        {"": "images without a job", "value": found["images_without_job"]},
    ]
    for row in rows:
        row["value"] = round(row["value"], 1) if isinstance(row["value"], float) else row["value"]
    print_table(rows, [Column(""), Column("value", fmt=",")], title="\nScale under faults")
    print(f"  attempts per job: {found['attempts']}")
    for error, count in found["errors"]:
        print(f"  failed x{count}: {error}")
    for line in refused[:5]:
        print(f"  refused: {line}")
    clean = (
        not refused
        and found["lost"] == 0
        and found["failed_silently"] == 0
        and found["wrong_image_count"] == 0
        and found["images_without_job"] == 0
    )
    print("  verdict:", "0 lost, 0 duplicated, every job finished" if clean else "NOT clean")
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
