"""How much time a generation job spends outside the engine.

For each broker (the embedded SQLite broker, then Redis when reachable) this
starts a real stack (gunicorn + Celery worker, fresh SQLite database; see
tests/stack.py), signs a user up, takes an API token, warms the worker up with
two jobs (the first loads the pipeline) and then runs tiny-model jobs (64×64,
4 steps, one image) one at a time through the API. The numbers come from each
job's own row (read from the stack's database), not from the polling:

    wall       = finished − created        (enqueue → succeeded)
    compute    = compute_seconds           (the engine's own generate() time)
    overhead   = wall − compute
    queue wait = started − created         (enqueue → claimed by the worker)

The bench waits for each job by reading its status from the stack's database
every 10 ms (--wait db, the default), then checks the result once through the
API. --wait api polls GET /api/v1/generations/{id}/ instead; on a 2-core
machine that keeps the web server so busy that compute_seconds itself grows
by about half, so it is not the default.

Redis is used at BENCH_REDIS_URL (default redis://127.0.0.1:6379/14: its own
database number, so that test stacks on database 0 cannot take its jobs).

With --breakdown the worker is bench/probe_worker.py (the same worker with a
stopwatch on each stage) and a table shows where the overhead goes.

    .venv/bin/python bench/job_overhead.py [--jobs 50] [--brokers sqlite,redis] [--breakdown]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness import (
    ROOT,
    Column,
    Stats,
    epoch,
    load_average,
    print_table,
    redis_reachable,
    run_facts,
    setup_django,
    stack_db_path,
    tiny_model,
    verdict,
)

PASSWORD = "a-long-Passw0rd!"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
AIM_MS = 100.0  # the aim: overhead p50 on Redis
JOB_TIMEOUT = 60.0  # seconds one job may take before the bench gives up


def broker_label(broker: str) -> str:
    if broker == "sqlite":
        from atelier.broker import Transport

        return f"embedded SQLite broker (atelier-sqla, polled every {Transport.polling_interval} s)"
    return f"Redis broker ({REDIS_URL})"


# --- one broker ---------------------------------------------------------------


@dataclass
class Job:
    id: str
    submitted: float  # client clock, time.time()
    accepted: float  # the 202 arrived
    seen: float = 0.0  # the client saw "succeeded"
    created: float = 0.0  # the row's timestamps, as time.time() seconds
    started: float = 0.0
    finished: float = 0.0
    compute: float = 0.0

    @property
    def wall(self):
        return self.finished - self.created

    @property
    def overhead(self):
        return self.wall - self.compute

    @property
    def queue_wait(self):
        return self.started - self.created


@dataclass
class Run:
    broker: str
    jobs: list[Job] = field(default_factory=list)
    probes: dict[str, dict] = field(default_factory=dict)


class Client:
    """A signed-up user talking to the stack's API with a token.

    It waits for each job by reading the job's status from the stack's
    database every ``poll_interval`` (``wait="db"``, about 0.1 ms of CPU a
    look) or through ``GET`` on the job's API url (``wait="api"``), then reads
    the finished job once through the API. Polling the API every 10 ms makes
    the web server busy enough, on 2 cores, to slow the engine itself.
    """

    def __init__(self, stack, username: str, *, wait: str, poll_interval: float):
        import httpx2

        from tests.stack import Browser

        Browser(stack).signup(username, PASSWORD)
        self.http = httpx2.Client(base_url=stack.url, timeout=30)
        answer = self.http.post(
            "/api/v1/auth/token/", json={"username": username, "password": PASSWORD}
        )
        answer.raise_for_status()
        self.http.headers["Authorization"] = "Token " + answer.json()["token"]
        self.wait = wait
        self.poll_interval = poll_interval
        self.db = sqlite3.connect(f"file:{stack_db_path(stack)}?mode=ro", uri=True)

    def close(self):
        self.db.close()
        self.http.close()

    def status(self, job_id: str, url: str) -> str:
        if self.wait == "api":
            return self.http.get(url).json()["status"]
        row = self.db.execute(
            "SELECT status FROM studio_generationjob WHERE id = ?", (job_id.replace("-", ""),)
        ).fetchone()
        return row[0] if row else "queued"

    def generate(self, seed: int) -> Job:
        body = {
            "prompt": "a lighthouse at dawn, oil painting",
            "model": "tiny",
            "width": 64,
            "height": 64,
            "steps": 4,
            "seed": seed,
            "n": 1,
        }
        submitted = time.time()
        answer = self.http.post("/api/v1/generations/", json=body)
        accepted = time.time()
        if answer.status_code != 202:
            raise SystemExit(
                f"POST /api/v1/generations/ answered {answer.status_code}: {answer.text}"
            )
        job = Job(answer.json()["id"], submitted, accepted)
        url = answer.json()["url"]
        deadline = time.monotonic() + JOB_TIMEOUT
        while self.status(job.id, url) not in ("succeeded", "failed", "cancelled"):
            if time.monotonic() > deadline:
                raise SystemExit(f"job {job.id} not done after {JOB_TIMEOUT:.0f} s")
            time.sleep(self.poll_interval)
        job.seen = time.time()
        state = self.http.get(url).json()
        if state["status"] != "succeeded" or len(state["images"]) != 1:
            raise SystemExit(f"job {job.id}: {state['status']} {state.get('error')!r}")
        return job


def read_rows(stack, jobs: list[Job]) -> None:
    with sqlite3.connect(f"file:{stack_db_path(stack)}?mode=ro", uri=True) as db:
        for job in jobs:
            row = db.execute(
                "SELECT status, created, started, finished, compute_seconds"
                " FROM studio_generationjob WHERE id = ?",
                (job.id.replace("-", ""),),
            ).fetchone()
            if row is None or row[0] != "succeeded":
                raise SystemExit(f"job {job.id}: row {row!r}")
            job.created, job.started, job.finished = (epoch(v) for v in row[1:4])
            job.compute = row[4]


def run_broker(broker: str, args, model: Path) -> Run:
    from tests.stack import Stack

    extra = {"CELERY_BROKER_URL": REDIS_URL} if broker == "redis" else {}
    stack = Stack(database="sqlite", broker=broker, tiny_model=model, extra_env=extra)
    probe_log = stack.folder / "probe.jsonl"
    run = Run(broker)
    try:
        started = time.monotonic()
        if args.breakdown:
            stack.env["BENCH_PROBE_LOG"] = str(probe_log)
            stack.start(worker=False)
            stack._spawn("worker", [sys.executable, str(ROOT / "bench" / "probe_worker.py")])
        else:
            stack.start()
        client = Client(stack, "bench", wait=args.wait, poll_interval=args.poll_interval)
        try:
            for seed in range(args.warmup):
                client.generate(seed)
            ready = time.monotonic()
            for seed in range(args.jobs):
                run.jobs.append(client.generate(1000 + seed))
            done = time.monotonic()
        finally:
            client.close()
        read_rows(stack, run.jobs)
        if args.breakdown:
            wanted = {job.id for job in run.jobs}
            for line in probe_log.read_text().splitlines():
                record = json.loads(line)
                if record["job"] in wanted:
                    run.probes[record["job"]] = record
        print(
            f"  [{broker}] stack up + warm-up {ready - started:.1f} s,"
            f" {args.jobs} jobs {done - ready:.1f} s",
            flush=True,
        )
    except BaseException:
        print(stack.log("worker"), file=sys.stderr)
        raise
    finally:
        stack.stop()
    return run


# --- reporting ------------------------------------------------------------------

MS = 1000.0
COLUMNS = [
    Column("row", ""),
    Column("p50", fmt=".1f"),
    Column("p95", fmt=".1f"),
    Column("max", fmt=".1f"),
]
# The main table's rows: name, the value of one job (seconds unless said), scale.
JOB_ROWS = [
    ("wall = finished - created (ms)", lambda j: j.wall, MS),
    ("compute = compute_seconds (ms)", lambda j: j.compute, MS),
    ("overhead = wall - compute (ms)", lambda j: j.overhead, MS),
    ("queue wait = started - created (ms)", lambda j: j.queue_wait, MS),
    ("overhead / compute", lambda j: j.overhead / j.compute, 1.0),
    ("client: POST -> 202 (ms)", lambda j: j.accepted - j.submitted, MS),
    ("client: finished -> seen (ms)", lambda j: j.seen - j.finished, MS),
]


def stats_row(name: str, values: list[float], scale: float) -> dict:
    stats = Stats.of(values, scale)
    cells = {"p50": stats.p50, "p95": stats.p95, "max": stats.max}
    if scale == 1.0:  # a ratio: two decimals
        cells = {key: f"{value:.2f}" for key, value in cells.items()}
    return {"row": name, **cells}


def print_main_table(run: Run) -> None:
    rows = [stats_row(name, [value(j) for j in run.jobs], scale) for name, value, scale in JOB_ROWS]
    title = f"{broker_label(run.broker)}: {len(run.jobs)} jobs, one at a time"
    print_table(rows, COLUMNS, title=title)


def _total(events, stage, start=float("-inf"), end=float("inf")) -> float:
    return sum(b - a for name, a, b in events if name == stage and a >= start and b <= end)


def _span(events, stage) -> tuple[float, float]:
    return next((a, b) for name, a, b in events if name == stage)


def breakdown_rows(job: Job, probe: dict) -> list[tuple[str, float]]:
    """Consecutive segments from enqueue to the `finished` timestamp (they add
    up to wall), with what is inside the bigger ones indented."""
    ev = probe["events"]
    run_start, _ = _span(ev, "run_job")
    claim_start, claim_end = _span(ev, "claim")
    gen_start, gen_end = _span(ev, "generate")
    save_start, save_end = _span(ev, "save_result")
    store_start, store_end = _span(ev, "store_image")
    finish_start, _ = _span(ev, "finish")
    received = probe["received"] or run_start

    rows = [("enqueue (row created) -> worker receives task", received - job.created)]
    hits = [(a, b) for name, a, b in ev if name == "broker.hit" and b <= received]
    if hits:  # the embedded broker: the worker polls the queue table
        hit_start, hit_end = hits[-1]
        empty = _total(ev, "broker.poll", job.created, hit_start)
        rows += [
            ("  waiting for the worker's next poll", hit_start - job.created - empty),
            ("  polls of the gpu/remote tables that found none", empty),
            ("  the poll that took the message", hit_end - hit_start),
            ("  message -> task request (kombu, celery)", received - hit_end),
        ]

    def inside(stage, start, end):
        return _total(ev, stage, start, end)

    png = inside("encode_png", save_start, save_end)
    thumb = inside("make_thumbnail", store_start, store_end)
    files = inside("storage.save", store_start, store_end)
    thumbhash = inside("image_to_thumbhash", store_start, store_end)
    row = inside("image_row", store_start, store_end)
    rows += [
        ("worker receives -> claim (celery dispatch)", claim_start - received),
        ("claim: UPDATE x2 + SELECT job (sets started)", claim_end - claim_start),
        ("preset, backend, request, heartbeat thread", gen_start - claim_end),
        ("generate() = compute_seconds", gen_end - gen_start),
        ("  progress writes to the job row", inside("tracker.report", gen_start, gen_end)),
        ("    of which latent preview WebP", inside("tracker._save_preview", gen_start, gen_end)),
        ("  cancellation look-ups", inside("tracker.should_cancel", gen_start, gen_end)),
        ("generate() end -> save_result", save_start - gen_end),
        ("save_result", save_end - save_start),
        ("  owner SELECT", store_start - save_start - png),
        ("  encode_png (PNG + recipe chunks)", png),
        ("  make_thumbnail (WebP 384)", thumb),
        ("  storage: write PNG + WebP files", files),
        ("  thumbhash", thumbhash),
        ("  INSERT image row", row),
        (
            "  source_key SELECT, sha256, COMMIT",
            store_end - store_start - thumb - files - thumbhash - row,
        ),
        ("job.images.add (M2M INSERT)", finish_start - save_end),
        ("total = wall (enqueue -> `finished` stamp)", finish_start - job.created),
        ("after the stamp: UPDATE job row", inside("finish", finish_start, float("inf"))),
        (
            "after the stamp: heartbeat thread stop",
            inside("tracker.stop", finish_start, float("inf")),
        ),
    ]
    return rows


def print_breakdown_table(run: Run) -> None:
    per_job = [breakdown_rows(job, run.probes[job.id]) for job in run.jobs if job.id in run.probes]
    if not per_job:
        print("  (no probe records)")
        return
    columns: dict[str, list[float]] = {}
    for job_rows in per_job:
        for name, value in job_rows:
            columns.setdefault(name, []).append(value)
    rows = [stats_row(name, values, MS) for name, values in columns.items()]
    title = f"Where the time goes (ms), {broker_label(run.broker)}, {len(per_job)} jobs"
    print_table(rows, COLUMNS, title=title)


def machine_facts() -> list[str]:
    import torch

    return [
        *run_facts(f", torch {torch.__version__}"),
        "torch threads in the worker: 1 (the stack sets ATELIER_TORCH_THREADS=1);"
        f" torch's own default here: {torch.get_num_threads()}",
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=50, help="measured jobs per broker")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured jobs first")
    parser.add_argument("--brokers", default="sqlite,redis", help="comma-separated")
    parser.add_argument(
        "--poll-interval", type=float, default=0.01, help="seconds between API polls"
    )
    parser.add_argument(
        "--wait",
        choices=["db", "api"],
        default="db",
        help="poll the job's status in the stack's database (cheap) or through the API",
    )
    parser.add_argument(
        "--breakdown", action="store_true", help="time each stage (bench/probe_worker.py)"
    )
    args = parser.parse_args(argv)
    brokers = args.brokers.split(",")
    if unknown := set(brokers) - {"sqlite", "redis"}:
        parser.error(f"unknown broker(s): {', '.join(sorted(unknown))} (sqlite, redis)")

    setup_django()
    facts = machine_facts()
    print("\n".join(facts), flush=True)
    model = tiny_model()

    runs: list[Run] = []
    for broker in brokers:
        if broker == "redis" and (why := redis_reachable(REDIS_URL)):
            print(f"\nRedis at {REDIS_URL} is not reachable ({why}): skipping it.")
            continue
        runs.append(run_broker(broker, args, model))

    for run in runs:
        print()
        print_main_table(run)
        if args.breakdown:
            print()
            print_breakdown_table(run)

    print(
        f"\nload average after the run: {load_average()} (other work on the machine slows compute)"
    )
    p50 = {run.broker: Stats.of([j.overhead for j in run.jobs], MS).p50 for run in runs}
    print()
    if "redis" in p50 and "sqlite" in p50:
        print(
            f"Redis overhead p50 {p50['redis']:.1f} ms vs embedded {p50['sqlite']:.1f} ms"
            f" ({p50['sqlite'] - p50['redis']:+.1f} ms for the embedded broker,"
            f" x{p50['sqlite'] / p50['redis']:.2f})"
        )
    if "redis" in p50:
        misses = [f"p50 > {AIM_MS:.0f} ms"] if p50["redis"] > AIM_MS else []
        print(
            f"Aim: overhead <= {AIM_MS:.0f} ms p50 on Redis: {verdict(misses)}"
            f" ({p50['redis']:.1f} ms)"
        )
    else:
        print(f"Aim: overhead <= {AIM_MS:.0f} ms p50 on Redis: not measured (no Redis)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
