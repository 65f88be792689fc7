"""Does the site answer while facade requests wait for their jobs?

Starts a real stack (tests/stack.py): the web server as `make run` serves it
(2 processes), one Celery worker with the tiny model, SQLite and the embedded
broker. One person (the per-person cap on queued jobs raised above --waiters)
sends --waiters (50) A1111 txt2img requests at once, 64x64 with --steps steps,
so that the one worker takes a few seconds a job and most requests wait.

Two phases on the same stack, one probe client each, --seconds (10 s) long:
  no waiters   the site alone;
  N waiting    once every request has queued its job, while they wait.
The probe asks for /healthz and the home page (the gallery's feed) in turn,
one request at a time. Measured: each probe's latency (client side), the
threads of the web server's processes at the phase's end, and how many
facade requests were answered during the phase. Then the jobs are
interrupted and every waiter must get its answer.

    .venv/bin/python bench/facade_wait.py [--waiters 50] [--seconds 10] [--steps 20]
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import threading
import time
from dataclasses import dataclass, field

from harness import Stats, print_table, run_facts, setup_django, tiny_model, transposed, verdict

AIM_P99_MS = 50.0
PAGES = {"/healthz": "healthz", "/": "home page"}


@dataclass
class Phase:
    name: str
    latency_ms: dict[str, list[float]] = field(default_factory=lambda: {p: [] for p in PAGES})
    errors: int = 0
    web_threads: int = 0
    answered: int = 0


def web_threads(stack) -> int:
    """Threads of the web server's processes (the gunicorn master and its workers)."""
    master = stack.processes["web"].pid
    pids = [master]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == master:
                        pids.append(int(entry))
            except OSError:
                continue
    return sum(
        len(os.listdir(f"/proc/{pid}/task")) for pid in pids if os.path.exists(f"/proc/{pid}")
    )


def probe(stack, phase: Phase, seconds: float, answers: list) -> Phase:
    import httpx2

    before = len(answers)
    end = time.monotonic() + seconds
    with httpx2.Client(base_url=stack.url, timeout=30) as client:
        while time.monotonic() < end:
            for path in PAGES:
                began = time.perf_counter()
                try:
                    ok = client.get(path).status_code == 200
                except httpx2.HTTPError:
                    ok = False
                phase.latency_ms[path].append((time.perf_counter() - began) * 1000)
                phase.errors += not ok
    phase.web_threads = web_threads(stack)
    phase.answered = len(answers) - before
    return phase


def queued_or_running(stack) -> int:
    [(count,)] = stack.database.query(
        "SELECT COUNT(*) FROM studio_generationjob WHERE status IN ('queued', 'running')"
    )
    return count


def latency(path: str, which: str):
    return lambda phase: getattr(Stats.of(phase.latency_ms[path]), which)


# The table's rows: name, format, the value of a phase.
METRICS = [
    ("probes", "", lambda phase: sum(len(v) for v in phase.latency_ms.values())),
    *(
        (f"{label} {which} (ms)", ".1f", latency(path, which))
        for path, label in PAGES.items()
        for which in ("p50", "p99", "max")
    ),
    ("probe errors", "", lambda phase: phase.errors),
    ("web server threads", "", lambda phase: phase.web_threads),
    ("facade answers meanwhile", "", lambda phase: phase.answered),
]


def print_report(phases: list[Phase]) -> None:
    print_table(*transposed(phases, METRICS))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--waiters", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10, help="length of each phase")
    parser.add_argument("--steps", type=int, default=20, help="steps of each job")
    parser.add_argument("--web-workers", type=int, default=2)
    args = parser.parse_args(argv)

    setup_django()
    import httpx2

    from tests.stack import Stack, api_client, wait_for

    print("\n".join(run_facts()), flush=True)
    print(
        f"web: gunicorn + uvicorn workers, {args.web_workers} process(es) (as make run);"
        f" worker: 1 Celery worker, tiny model 64x64, {args.steps} steps; SQLite, embedded broker",
        flush=True,
    )
    stack = Stack(
        database="sqlite",
        broker="sqlite",
        tiny_model=tiny_model(),
        extra_env={"ATELIER_MAX_QUEUED_JOBS": str(args.waiters + 10)},
    )
    answers: list[int] = []
    try:
        for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
            stack.manage(*command)
        stack.start_web(workers=args.web_workers)
        stack.start_worker()
        http = api_client(stack, "bench")
        token = http.headers["Authorization"].removeprefix("Token ")
        auth = {"Authorization": "Basic " + base64.b64encode(f"bench:{token}".encode()).decode()}
        body = {"prompt": "a lighthouse", "steps": args.steps, "width": 64, "height": 64}
        # The worker loads the model with the first job; the phases start after it.
        warm = http.post("/sdapi/v1/txt2img", json=body, headers=auth, timeout=300)
        assert warm.status_code == 200, warm.text

        phases = [probe(stack, Phase("no waiters"), args.seconds, answers)]

        def txt2img():
            with httpx2.Client(base_url=stack.url, timeout=600) as client:
                try:
                    answers.append(
                        client.post("/sdapi/v1/txt2img", json=body, headers=auth).status_code
                    )
                except httpx2.HTTPError as exc:
                    answers.append(repr(exc))

        waiters = [threading.Thread(target=txt2img) for _ in range(args.waiters)]
        for waiter in waiters:
            waiter.start()
        wait_for(
            lambda: queued_or_running(stack) + len(answers) >= args.waiters,
            timeout=60,
            what="every facade request to queue its job",
        )
        phases.append(probe(stack, Phase(f"{args.waiters} waiting"), args.seconds, answers))
        still = queued_or_running(stack)
        http.post("/sdapi/v1/interrupt", headers=auth)
        for waiter in waiters:
            waiter.join(timeout=120)
    except BaseException:
        print(stack.log("web"), file=sys.stderr)
        raise
    finally:
        stack.stop()

    print()
    print_report(phases)
    print()
    p99 = Stats.of(phases[1].latency_ms["/healthz"]).p99
    refused = [a for a in answers if a != 200]
    print(f"jobs still waiting at the end of the loaded phase: {still}")
    print(f"facade answers: {len(answers)} of {args.waiters}, not 200: {refused or 'none'}")
    misses = [f"p99 {p99:.1f} ms"] if p99 > AIM_P99_MS else []
    misses += [f"{phases[1].errors} probe errors"] if phases[1].errors else []
    misses += [f"{len(refused)} facade answers not 200"] if refused else []
    print(
        f"Aim /healthz p99 <= {AIM_P99_MS:.0f} ms while {args.waiters} facade requests wait:"
        f" {verdict(misses)} (p99 {p99:.1f} ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
