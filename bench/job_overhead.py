"""How much time a generation job spends outside the engine.

For each broker (the embedded SQLite broker, then Redis when reachable) this
starts a real stack (gunicorn + Celery worker, fresh SQLite database; see
tests/stack.py), signs a user up, takes an API token, warms the worker up with
two jobs (the first loads the pipeline) and then runs tiny-model jobs (64×64,
4 steps, one image) one at a time through the API. The numbers come from each
job's own row, not from the polling:

    wall       = finished − created        (enqueue → succeeded)
    compute    = compute_seconds           (the engine's own generate() time)
    overhead   = wall − compute
    queue wait = started − created         (enqueue → claimed by the worker)

With --breakdown the worker is bench/probe_worker.py (the same worker with a
stopwatch on each stage) and a table shows where the overhead goes.

    .venv/bin/python bench/job_overhead.py [--jobs 50] [--brokers sqlite,redis] [--breakdown]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a-long-Passw0rd!"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
AIM_MS = 100.0  # the aim: overhead p50 on Redis
JOB_TIMEOUT = 60.0  # seconds one job may take before the bench gives up
BROKER_LABELS = {
    "sqlite": "embedded SQLite broker (atelier-sqla, polled every 0.1 s)",
    "redis": "Redis broker",
}


def setup_django() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atelier.settings")
    import django

    django.setup()


def tiny_model() -> Path:
    from studio.backends.tiny_model import TINY_MODEL_VERSION, build_tiny_pipeline

    return build_tiny_pipeline(ROOT / ".cache" / f"tiny-model-v{TINY_MODEL_VERSION}")


def redis_reachable(url: str) -> str | None:
    """None when Redis answers, else why not."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return str(exc)
    return None


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
    """A signed-up user talking to the stack's API with a token."""

    def __init__(self, stack, username: str, poll_interval: float):
        import httpx

        from tests.stack import Browser

        Browser(stack).signup(username, PASSWORD)
        self.http = httpx.Client(base_url=stack.url, timeout=30)
        answer = self.http.post(
            "/api/v1/auth/token/", json={"username": username, "password": PASSWORD}
        )
        answer.raise_for_status()
        self.http.headers["Authorization"] = "Token " + answer.json()["token"]
        self.poll_interval = poll_interval

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
        while True:
            state = self.http.get(url).json()
            if state["status"] == "succeeded":
                job.seen = time.time()
                return job
            if state["status"] in ("failed", "cancelled"):
                raise SystemExit(f"job {job.id} {state['status']}: {state.get('error')}")
            if time.monotonic() > deadline:
                raise SystemExit(f"job {job.id} not done after {JOB_TIMEOUT:.0f} s: {state}")
            time.sleep(self.poll_interval)


def db_path(stack) -> str:
    import dj_database_url

    return dj_database_url.parse(stack.env["DATABASE_URL"])["NAME"]


def epoch(value: str) -> float:
    """A DateTimeField as SQLite stores it (naive UTC text) → time.time() seconds."""
    return datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp()


def read_rows(stack, jobs: list[Job]) -> None:
    with sqlite3.connect(f"file:{db_path(stack)}?mode=ro", uri=True) as db:
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
        client = Client(stack, "bench", args.poll_interval)
        for seed in range(args.warmup):
            client.generate(seed)
        ready = time.monotonic()
        for seed in range(args.jobs):
            run.jobs.append(client.generate(1000 + seed))
        done = time.monotonic()
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


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def stats(values: list[float]) -> tuple[float, float, float]:
    return percentile(values, 50), percentile(values, 95), max(values)


def table(rows: list[tuple[str, list[float], str]], title: str) -> list[str]:
    lines = [title, f"  {'':<34}{'p50':>9}{'p95':>9}{'max':>9}"]
    for label, values, unit in rows:
        scale, digits = (1000.0, 1) if unit == "ms" else (1.0, 2)
        cells = "".join(f"{v * scale:>9.{digits}f}" for v in stats(values))
        lines.append(f"  {label + ' (' + unit + ')':<34}{cells}")
    return lines


def main_table(run: Run) -> list[str]:
    jobs = run.jobs
    title = f"{BROKER_LABELS[run.broker]}: {len(jobs)} jobs, one at a time"
    return table(
        [
            ("wall = finished - created", [j.wall for j in jobs], "ms"),
            ("compute = compute_seconds", [j.compute for j in jobs], "ms"),
            ("overhead = wall - compute", [j.overhead for j in jobs], "ms"),
            ("queue wait = started - created", [j.queue_wait for j in jobs], "ms"),
            ("overhead / compute", [j.overhead / j.compute for j in jobs], "x"),
            ("client: POST -> 202", [j.accepted - j.submitted for j in jobs], "ms"),
            ("client: finished -> seen", [j.seen - j.finished for j in jobs], "ms"),
        ],
        title,
    )


def _total(events, stage, start=float("-inf"), end=float("inf")) -> float:
    return sum(b - a for name, a, b in events if name == stage and a >= start and b <= end)


def _span(events, stage) -> tuple[float, float]:
    return next((a, b) for name, a, b in events if name == stage)


def breakdown_rows(job: Job, probe: dict) -> list[tuple[str, float]]:
    """Consecutive segments from enqueue to the `finished` timestamp, and
    what is inside the bigger ones (indented)."""
    ev = probe["events"]
    run_start, _ = _span(ev, "run_job")
    claim_start, claim_end = _span(ev, "claim")
    gen_start, gen_end = _span(ev, "generate")
    save_start, save_end = _span(ev, "save_result")
    store_start, store_end = _span(ev, "store_image")
    finish_start, _ = _span(ev, "finish")
    received = probe["received"] or run_start
    in_store = [(n, a, b) for n, a, b in ev if a >= store_start and b <= store_end]
    thumb = _total(in_store, "make_thumbnail")
    files = _total(in_store, "storage.save")
    thumbhash = _total(in_store, "image_to_thumbhash")
    row = _total(in_store, "image_row")
    rest = (store_end - store_start) - thumb - files - thumbhash - row
    png = _total(ev, "encode_png", save_start, save_end)
    progress = _total(ev, "tracker.report", gen_start, gen_end)
    previews = _total(ev, "tracker._save_preview", gen_start, gen_end)
    return [
        ("web commit + publish + broker -> worker receives", received - job.created),
        ("worker receives -> claim starts (celery dispatch)", claim_start - received),
        ("claim (UPDATE + SELECT job)", claim_end - claim_start),
        ("preset, backend, request, heartbeat thread", gen_start - claim_end),
        ("generate() = compute", gen_end - gen_start),
        ("  of which progress writes (incl. previews)", progress),
        ("  of which latent preview WebP to storage", previews),
        (
            "  of which should_cancel look-ups",
            _total(ev, "tracker.should_cancel", gen_start, gen_end),
        ),
        ("generate end -> save_result", save_start - gen_end),
        ("save_result (all below)", save_end - save_start),
        ("  encode_png (PNG + recipe chunks)", png),
        ("  owner SELECT", store_start - save_start - png),
        ("  make_thumbnail (WebP)", thumb),
        ("  storage: write PNG + WebP", files),
        ("  thumbhash", thumbhash),
        ("  INSERT image row", row),
        ("  rest: source_key SELECT, sha256, COMMIT", rest),
        ("job.images.add (M2M insert)", finish_start - save_end),
        ("sum = wall (up to `finished`)", finish_start - job.created),
        ("after `finished`: UPDATE job row", _total(ev, "finish")),
        ("after: heartbeat thread stop", _total(ev, "tracker.stop")),
    ]


def breakdown_table(run: Run) -> list[str]:
    per_job = [breakdown_rows(job, run.probes[job.id]) for job in run.jobs if job.id in run.probes]
    if not per_job:
        return ["  (no probe records)"]
    labels = [label for label, _ in per_job[0]]
    rows = [(label, [r[i][1] for r in per_job], "ms") for i, label in enumerate(labels)]
    lines = table(rows, f"Where the time goes, {BROKER_LABELS[run.broker]} ({len(per_job)} jobs)")
    return [line.replace(" (ms)", "     ") if line.startswith("  ") else line for line in lines]


def machine_facts() -> list[str]:
    import torch

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"command: {shlex.join(['.venv/bin/python', *sys.argv])}",
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"machine: {os.cpu_count()} CPUs, {platform.platform()},"
        f" Python {platform.python_version()}, torch {torch.__version__}",
        "torch threads: the stack's worker pins ATELIER_TORCH_THREADS=1"
        f" (this process: {torch.get_num_threads()})",
        f"load average before the run: {load}",
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
        "--breakdown", action="store_true", help="time each stage (bench/probe_worker.py)"
    )
    args = parser.parse_args(argv)

    setup_django()
    facts = machine_facts()
    print("\n".join(facts), flush=True)
    model = tiny_model()

    runs: list[Run] = []
    for broker in args.brokers.split(","):
        if broker == "redis" and (why := redis_reachable(REDIS_URL)):
            print(f"\nRedis at {REDIS_URL} is not reachable ({why}): skipping it.")
            continue
        runs.append(run_broker(broker, args, model))

    for run in runs:
        print()
        print("\n".join(main_table(run)))
        if args.breakdown:
            print()
            print("\n".join(breakdown_table(run)))

    p50 = {run.broker: percentile([j.overhead for j in run.jobs], 50) * 1000 for run in runs}
    print()
    if "redis" in p50 and "sqlite" in p50:
        print(
            f"Redis overhead p50 {p50['redis']:.1f} ms vs embedded {p50['sqlite']:.1f} ms"
            f" ({p50['sqlite'] - p50['redis']:+.1f} ms for the embedded broker,"
            f" x{p50['sqlite'] / p50['redis']:.2f})"
        )
    if "redis" in p50:
        verdict = "MET" if p50["redis"] <= AIM_MS else "NOT MET"
        print(f"Aim: overhead <= {AIM_MS:.0f} ms p50 on Redis: {verdict} ({p50['redis']:.1f} ms)")
    else:
        print(f"Aim: overhead <= {AIM_MS:.0f} ms p50 on Redis: not measured (no Redis)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
