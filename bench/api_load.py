"""Enqueue latency of POST /api/v1/generations/ under 50 concurrent API clients.

Starts a real stack (tests/stack.py): gunicorn served as `make run` serves it
(2 uvicorn processes with their thread pools, WEB_CONCURRENCY's default; --web-workers changes it),
one Celery worker (tiny random-weight model, one torch thread) on the Redis
broker, in a Redis database number of its own, and a fresh PostgreSQL
database of its own, dropped afterwards. The stack turns
the rate limits off (every client would otherwise hit the per-IP limit: they
all come from 127.0.0.1); the per-person cap on queued jobs
(ATELIER_MAX_QUEUED_JOBS, 10) stays on.

It makes one person and one API token per client and then runs two phases on
the same stack: a baseline with 1 client for --baseline-seconds (10 s), then
--clients (50) clients for --seconds (60 s), started over --ramp (2 s). Each
client is a thread with its own httpx2 connection (kept alive) and behaves as
an API script would: it submits a generation (64×64, 4 steps, one image),
polls GET /api/v1/generations/{id}/ until the job is done, waiting between
looks what the answer's Retry-After says (the work ahead of the job, 1-10 s;
studio/wait_hint.py), or --poll (0.5 s) without one or with
--ignore-retry-after, and only then submits the next (--in-flight 2 keeps
two queued instead). With one worker the jobs queue up, so most of the traffic is
polls, as in a real studio; the POSTs land amid them.

Measured: enqueue latency = from sending the POST to reading its 202,
client side (time.perf_counter around the call). Errors: any non-2xx answer (POST or
poll), connection errors, jobs that end failed or cancelled. Jobs still
queued or running when the phase ends are counted as unfinished, not errors.
Also the CPU each part used during the phase (from /proc): the web server,
the worker, the clients (this process) and PostgreSQL (the whole server: other
users of it count too), in cores, and the web server's CPU per request.
DATABASE_CONN_MAX_AGE in the environment reaches the stack.

    .venv/bin/python bench/api_load.py [--seconds 60] [--clients 50] [--poll 0.5]
        [--in-flight 1] [--web-workers 2]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from harness import (
    Stats,
    load_average,
    print_table,
    redis_reachable,
    run_facts,
    setup_django,
    tiny_model,
    transposed,
    verdict,
)

AIM_P99_MS = 50.0
BODY = {
    "prompt": "a lighthouse at dawn, oil painting",
    "model": "tiny",
    "width": 64,
    "height": 64,
    "steps": 4,
    "n": 1,
}
DONE = ("succeeded", "failed", "cancelled")
SETTLE_SECONDS = 10.0


@dataclass
class Phase:
    name: str
    clients: int
    seconds: float
    post_ms: list[float] = field(default_factory=list)
    post_at: list[float] = field(default_factory=list)  # seconds into the phase, per POST
    began: float = 0.0
    poll_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    finished: int = 0
    unfinished: int = 0
    elapsed: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds used in the phase
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)


class Client(threading.Thread):
    """One person's API script: submit, poll until done, submit again."""

    def __init__(self, url: str, token: str, phase: Phase, args, delay: float, connected):
        import httpx2

        super().__init__(daemon=True)
        self.http = httpx2.Client(
            base_url=url,
            timeout=30,
            headers={"Authorization": f"Token {token}"},
            limits=httpx2.Limits(max_connections=1, max_keepalive_connections=1),
        )
        self.phase, self.args = phase, args
        self.delay, self.connected = delay, connected
        self.seed = 0

    def request(self, method: str, path: str, **kwargs):
        """The answer and its latency in ms; None (an error counted) on failure."""
        import httpx2

        started = time.perf_counter()
        try:
            answer = self.http.request(method, path, **kwargs)
        except httpx2.HTTPError as exc:
            self.phase.error(f"{method} {path}: {type(exc).__name__}: {exc}")
            return None, 0.0
        took = (time.perf_counter() - started) * 1000
        if not 200 <= answer.status_code < 300:
            self.phase.error(f"{method} {path}: {answer.status_code} {answer.text[:200]}")
            return None, took
        return answer, took

    def submit(self) -> str | None:
        self.seed += 1
        body = {**BODY, "seed": self.seed}
        sent = time.monotonic() - self.phase.began
        answer, took = self.request("POST", "/api/v1/generations/", json=body)
        if answer is None:
            return None
        with self.phase.lock:
            self.phase.post_ms.append(took)
            self.phase.post_at.append(sent)
        if answer.status_code != 202:
            self.phase.error(f"POST answered {answer.status_code}, not 202")
            return None
        return answer.json()["url"]

    def status(self, url: str) -> tuple[str | None, float]:
        """The job's status, and the seconds until the next look: the answer's
        Retry-After (unless --ignore-retry-after), else --poll."""
        answer, took = self.request("GET", url)
        if answer is None:
            return None, self.args.poll
        with self.phase.lock:
            self.phase.poll_ms.append(took)
        hint = answer.headers.get("Retry-After")
        wait = float(hint) if hint and not self.args.ignore_retry_after else self.args.poll
        return answer.json()["status"], wait

    def run(self):
        try:
            self.http.get("/api/v1/models/")  # open the keep-alive connection
            # The phase begins once every client is connected (a client still
            # connecting would take this process's time from the measured ones).
            self.connected.wait()
            self.end_at = self.phase.began + self.phase.seconds
            time.sleep(max(0.0, self.phase.began + self.delay - time.monotonic()))
            waiting: dict[str, float] = {}  # job URL -> when to look at it next
            while time.monotonic() < self.end_at:
                while len(waiting) < self.args.in_flight and time.monotonic() < self.end_at:
                    url = self.submit()
                    if url is None:
                        time.sleep(self.args.poll)  # as a script would, before retrying
                        break
                    waiting[url] = time.monotonic() + self.args.poll
                if not waiting:
                    continue
                next_look = min(min(waiting.values()), self.end_at)
                time.sleep(max(0.0, next_look - time.monotonic()))
                for url, due in list(waiting.items()):
                    if due > time.monotonic():
                        continue
                    state, wait = self.status(url)
                    if state in DONE:
                        del waiting[url]
                        with self.phase.lock:
                            self.phase.finished += state == "succeeded"
                        if state != "succeeded":
                            self.phase.error(f"job {url} ended {state}")
                    elif state is None:
                        del waiting[url]  # the error is counted; stop polling it
                    else:
                        waiting[url] = time.monotonic() + wait
            with self.phase.lock:
                self.phase.unfinished += len(waiting)
        finally:
            self.http.close()


def make_people(stack, count: int) -> list[str]:
    """``count`` people, one API token each (as /me/tokens/ makes them)."""
    return stack.shell(
        "import json\n"
        "from django.contrib.auth import get_user_model\n"
        "from accounts.tokens import create_token\n"
        "tokens = []\n"
        f"for i in range({count}):\n"
        "    user = get_user_model().objects.create_user("
        "f'load{i}', f'load{i}@example.com', 'a-long-Passw0rd!')\n"
        "    tokens.append(create_token(user, 'bench')[1])\n"
        "print(json.dumps(tokens))"
    )


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()  # state, ppid, ... (fields 3 on)


def tree_cpu(root: int) -> float:
    """CPU seconds of ``root`` and its descendants (Linux /proc), the children
    it has already reaped included."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    fields: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields[int(entry)] = _stat(int(entry))
            except OSError:  # gone meanwhile
                continue
            parents[int(entry)] = int(fields[int(entry)][1])
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in fields:
            utime, stime, cutime, cstime = (int(v) for v in fields[pid][11:15])
            total += (utime + stime + cutime + cstime) / tick
        todo += [child for child, parent in parents.items() if parent == pid]
    return total


def postgres_pid() -> int | None:
    """The PostgreSQL server's main process, if it runs on this machine."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as comm:
                if comm.read().strip() != "postgres":
                    continue
            with open(f"/proc/{_stat(int(entry))[1]}/comm") as comm:
                if comm.read().strip() != "postgres":
                    return int(entry)
        except OSError:
            continue
    return None


def cpu_now(stack) -> dict[str, float]:
    times = os.times()
    cpu = {
        "web": tree_cpu(stack.processes["web"].pid),
        "worker": tree_cpu(stack.processes["worker"].pid),
        "clients": times.user + times.system,
    }
    if pid := postgres_pid():
        cpu["postgres, whole server"] = tree_cpu(pid)
    return cpu


def run_phase(stack, tokens: list[str], phase: Phase, args) -> Phase:
    ramp = args.ramp if phase.clients > 1 else 0.0
    # When the last client is connected, the phase begins (in 0.2 s).
    connected = threading.Barrier(
        phase.clients + 1, action=lambda: setattr(phase, "began", time.monotonic() + 0.2)
    )
    clients = [
        Client(stack.url, tokens[i], phase, args, ramp * i / phase.clients, connected)
        for i in range(phase.clients)
    ]
    for client in clients:
        client.start()
    connected.wait(timeout=60)
    begin = phase.began
    cpu_begin = cpu_now(stack)
    for client in clients:
        client.join(timeout=phase.seconds + 60)
    phase.elapsed = time.monotonic() - begin
    cpu_end = cpu_now(stack)
    phase.cpu = {name: cpu_end[name] - cpu_begin[name] for name in cpu_end}
    return phase


def warm_up(stack, token: str) -> None:
    """Load the pipeline in the worker and touch both web processes."""
    import httpx2

    with httpx2.Client(base_url=stack.url, timeout=60) as http:
        http.headers["Authorization"] = f"Token {token}"
        for _ in range(2):
            answer = http.post("/api/v1/generations/", json={**BODY, "seed": 0})
            answer.raise_for_status()
            url = answer.json()["url"]
            deadline = time.monotonic() + 120
            while http.get(url).json()["status"] not in DONE:
                if time.monotonic() > deadline:
                    raise SystemExit("the warm-up job did not finish in 120 s")
                time.sleep(0.1)
    for _ in range(8):  # new connections spread over the gunicorn processes
        httpx2.get(stack.url + "/healthz", timeout=10)


def settle(stack) -> None:
    """Measure the steady state: PostgreSQL writes out now what creating the
    database, migrating it and making the people dirtied (CHECKPOINT), rather
    than its checkpointer during the measurement. (It was tried as the cause
    of a stall in the first second; that was the clients' own set-up, see
    run_phase.)"""
    import psycopg

    with psycopg.connect(stack.database.url, autocommit=True) as connection:
        connection.execute("CHECKPOINT")


def settled_posts(phase: Phase) -> list[float]:
    """The enqueue latencies after the first SETTLE_SECONDS: those hold the
    arrival of every client at once (each submits as it starts); the steady
    state is what follows."""
    return [ms for at, ms in zip(phase.post_at, phase.post_ms, strict=True) if at >= SETTLE_SECONDS]


def requests(phase: Phase) -> int:
    return len(phase.post_ms) + len(phase.poll_ms)


# The table's rows: name, format, the value of a phase.
METRICS = [
    ("clients", "", lambda ph: ph.clients),
    ("seconds", ".1f", lambda ph: ph.elapsed),
    ("POST requests (202)", "", lambda ph: len(ph.post_ms)),
    ("poll requests (GET)", "", lambda ph: len(ph.poll_ms)),
    ("errors", "", lambda ph: len(ph.errors)),
    ("enqueue p50 (ms)", ".1f", lambda ph: Stats.of(ph.post_ms).p50),
    ("enqueue p95 (ms)", ".1f", lambda ph: Stats.of(ph.post_ms).p95),
    ("enqueue p99 (ms)", ".1f", lambda ph: Stats.of(ph.post_ms).p99),
    ("enqueue max (ms)", ".1f", lambda ph: Stats.of(ph.post_ms).max),
    (f"POSTs after the first {SETTLE_SECONDS:.0f} s", "", lambda ph: len(settled_posts(ph))),
    ("  their enqueue p50 (ms)", ".1f", lambda ph: Stats.of(settled_posts(ph)).p50),
    ("  their enqueue p99 (ms)", ".1f", lambda ph: Stats.of(settled_posts(ph)).p99),
    ("poll GET p50 (ms)", ".1f", lambda ph: Stats.of(ph.poll_ms).p50),
    ("poll GET p99 (ms)", ".1f", lambda ph: Stats.of(ph.poll_ms).p99),
    ("requests/s (POST + GET)", ".1f", lambda ph: requests(ph) / ph.elapsed),
    ("POST/s", ".2f", lambda ph: len(ph.post_ms) / ph.elapsed),
    ("jobs finished (succeeded)", "", lambda ph: ph.finished),
    ("jobs unfinished at the end", "", lambda ph: ph.unfinished),
]


def cores(name: str):
    """The CPU one part used in a phase, in cores; "-" where it was not read."""
    return lambda ph: ph.cpu.get(name, float("nan")) / ph.elapsed


def print_report(phases: list[Phase]) -> None:
    cpu = [(f"CPU {name} (cores)", ".2f", cores(name)) for name in phases[-1].cpu]
    per_request = (
        "web CPU per request (ms)",
        ".1f",
        lambda ph: ph.cpu["web"] * 1000 / max(requests(ph), 1),
    )
    print_table(*transposed(phases, [*METRICS, *cpu, per_request]))


def machine_facts(args, gunicorn: str) -> list[str]:
    return [
        *run_facts(),
        f"web: {gunicorn}",
        "worker: 1 Celery worker (gpu queue), tiny model 64x64, 4 steps, 1 image,"
        " torch on 1 thread",
        "broker: Redis, a database number of its own; database: PostgreSQL, a fresh database",
        "rate limits: OFF (the stack turns them off; all clients share 127.0.0.1);"
        " per-person cap on queued jobs: on",
        "clients: each its own person, API token and keep-alive connection; submits,"
        + (
            " polls as Retry-After says (else"
            if not args.ignore_retry_after
            else " ignores Retry-After (polls"
        )
        + f" every {args.poll} s) until done, keeps {args.in_flight} job(s) in flight;"
        f" {args.clients} clients started over {args.ramp} s",
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="length of the loaded phase")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--baseline-seconds", type=float, default=10, help="1 client; 0 skips")
    parser.add_argument(
        "--poll", type=float, default=0.5, help="seconds between polls without Retry-After"
    )
    parser.add_argument(
        "--ignore-retry-after",
        action="store_true",
        help="poll every --poll seconds whatever the server's Retry-After says",
    )
    parser.add_argument("--in-flight", type=int, default=1, help="jobs each client keeps queued")
    parser.add_argument("--ramp", type=float, default=2.0, help="seconds to start the clients")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes")
    args = parser.parse_args(argv)

    setup_django()
    from tests.stack import REDIS_URL, Stack

    gunicorn = (
        f"gunicorn, {args.web_workers} uvicorn process(es) (atelier.asgi: WSGI threads,"
        " ASGI for the facades' waits), keep-alive 15 s (as make run), DATABASE_CONN_MAX_AGE="
        + os.environ.get("DATABASE_CONN_MAX_AGE", "60 (the default)")
    )
    print("\n".join(machine_facts(args, gunicorn)), flush=True)
    if why := redis_reachable(REDIS_URL):
        raise SystemExit(f"Redis is not reachable ({why})")
    model = tiny_model()

    stack = Stack(database="postgres", broker="redis", tiny_model=model)
    phases = []
    try:
        for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
            stack.manage(*command)
        stack.start_web(workers=args.web_workers)
        stack.start_worker()
        tokens = make_people(stack, max(args.clients, 1))
        warm_up(stack, tokens[0])
        settle(stack)
        if args.baseline_seconds > 0:
            phase = Phase("1 client", 1, args.baseline_seconds)
            phases.append(run_phase(stack, tokens, phase, args))
            print(f"  [baseline] {len(phase.post_ms)} POSTs", flush=True)
        phase = Phase(f"{args.clients} clients", args.clients, args.seconds)
        phases.append(run_phase(stack, tokens, phase, args))
    except BaseException:
        print(stack.log("web"), file=sys.stderr)
        print(stack.log("worker"), file=sys.stderr)
        raise
    finally:
        stack.stop()

    print()
    print_report(phases)
    loaded = phases[-1]
    kinds = Counter(
        re.sub(r"https?://[^/]+|[0-9a-f]{8}-[0-9a-f-]{27}", "…", error) for error in loaded.errors
    )
    for kind, count in kinds.most_common(10):
        print(f"  errors: {count} x {kind}")
    if len(phases) == 2 and phases[0].post_ms and loaded.post_ms:
        base = phases[0].post_ms
        print(
            f"\n{loaded.name} vs 1 client: enqueue p50 x"
            f"{Stats.of(loaded.post_ms).p50 / Stats.of(base).p50:.2f},"
            f" p99 x{Stats.of(loaded.post_ms).p99 / Stats.of(base).p99:.2f}"
        )
    print(f"load average at the end: {load_average()}")
    p99 = Stats.of(loaded.post_ms).p99 if loaded.post_ms else float("inf")
    misses = [f"p99 > {AIM_P99_MS:.0f} ms"] if p99 > AIM_P99_MS else []
    misses += ["errors"] if loaded.errors else []
    print(
        f"Aim p99 ≤ {AIM_P99_MS:.0f} ms and 0 errors: {verdict(misses)}"
        f" (p99 {p99:.1f} ms, {len(loaded.errors)} errors)"
    )
    if settled := settled_posts(loaded):
        print(
            f"  after the first {SETTLE_SECONDS:.0f} s (the clients' arrival):"
            f" p99 {Stats.of(settled).p99:.1f} ms over {len(settled)} POSTs"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
