"""The visitors' hot pages with and without the cache (gallery/hot_pages.py),
under 50 concurrent anonymous visitors.

Starts a real stack (tests/stack.py): a fresh PostgreSQL database of its own
seeded with ``seed_demo`` (--images, 100 000 by default), gunicorn as
``make run`` serves it (2 processes), the cache on Redis (CACHE_URL, a
database number of its own), no worker. Each visitor is a thread with its own
httpx2 connection (kept alive, cookies kept as a browser would: the CSRF
cookie) that GETs, one after the other with no pause, a random one of the
home page, /explore/?feed=popular and /feed/?feed=popular.

Phases, each --seconds long on the same stack and data:
  no cache           ATELIER_HOT_PAGE_SECONDS=0
  cache              10 s (the default); nothing changes
  cache + N likes/s  10 s, and one person likes and unlikes popular images
                     through the API, N a second (--likes-per-second, one
                     phase for each rate given; the client may fall short of
                     N on a loaded machine: the table counts what it did).
                     Likes do not bump the cache's version; until commit
                     4aed1c9 each one did (the first table in bench/RESULTS.md)

Measured client side: latency p50/p95/p99/max and requests/s; from /metrics
(multiprocess, every web process): hits and misses of the cache.

    .venv/bin/python bench/hot_pages.py [--images 100000] [--clients 50]
        [--seconds 20] [--likes-per-second 2 20]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness import Stats, load_average, print_table, run_facts, setup_django, transposed

PAGES = ("/", "/explore/?feed=popular", "/feed/?feed=popular")
METRICS_TOKEN = "bench-hot-pages"


@dataclass
class Phase:
    name: str
    ttl: int
    likes_per_second: float
    ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    likes: int = 0
    hits: float = 0.0
    misses: float = 0.0
    elapsed: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def visitor(url: str, phase: Phase, start: threading.Barrier, end_at: list[float]) -> None:
    import httpx2

    with httpx2.Client(base_url=url, timeout=30, limits=httpx2.Limits(max_connections=1)) as http:
        http.get("/healthz")
        start.wait()
        pick = random.Random()
        while time.monotonic() < end_at[0]:
            path = pick.choice(PAGES)
            began = time.perf_counter()
            try:
                answer = http.get(path)
            except httpx2.HTTPError as exc:
                with phase.lock:
                    phase.errors.append(f"{path}: {type(exc).__name__}")
                continue
            took = (time.perf_counter() - began) * 1000
            with phase.lock:
                if answer.status_code == 200:
                    phase.ms.append(took)
                else:
                    phase.errors.append(f"{path}: {answer.status_code}")


def liker(url, token, image_ids, phase: Phase, start, end_at) -> None:
    import httpx2

    if phase.likes_per_second <= 0:
        start.wait()
        return
    with httpx2.Client(
        base_url=url, timeout=30, headers={"Authorization": f"Token {token}"}
    ) as http:
        start.wait()
        pick = random.Random(1)
        liked: list[int] = []
        next_at = time.monotonic()
        while time.monotonic() < end_at[0]:
            time.sleep(max(0.0, next_at - time.monotonic()))
            next_at += 1 / phase.likes_per_second
            if liked and (len(liked) > 20 or pick.random() < 0.3):
                answer = http.delete(f"/api/v1/images/{liked.pop(0)}/like/")
            else:
                image_id = pick.choice(image_ids)
                answer = http.post(f"/api/v1/images/{image_id}/like/")
                liked.append(image_id)
            if answer.status_code >= 300:
                phase.errors.append(f"like: {answer.status_code}")
            phase.likes += 1


def hot_page_counts(url: str) -> tuple[float, float]:
    import httpx2

    text = httpx2.get(
        url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=30
    ).text
    counts = {"hit": 0.0, "miss": 0.0}
    for result, value in re.findall(
        r'^atelier_hot_pages_total\{[^}]*result="(\w+)"[^}]*\} ([0-9.e+]+)$', text, re.M
    ):
        counts[result] += float(value)
    return counts["hit"], counts["miss"]


def run_phase(stack, phase: Phase, args, token: str, image_ids: list[int]) -> Phase:
    stack.env["ATELIER_HOT_PAGE_SECONDS"] = str(phase.ttl)
    if "web" in stack.processes:
        web = stack.processes["web"]
        web.terminate()
        web.wait(timeout=30)
    stack.start_web(workers=args.web_workers)
    import httpx2

    for _ in range(4):  # every process renders once and opens its connections
        for path in PAGES:
            httpx2.get(stack.url + path, timeout=60)
    hits, misses = hot_page_counts(stack.url)
    end_at = [float("inf")]
    start = threading.Barrier(args.clients + 2)
    threads = [
        threading.Thread(target=visitor, args=(stack.url, phase, start, end_at), daemon=True)
        for _ in range(args.clients)
    ]
    threads.append(
        threading.Thread(
            target=liker, args=(stack.url, token, image_ids, phase, start, end_at), daemon=True
        )
    )
    for thread in threads:
        thread.start()
    began = time.monotonic()
    start.wait(timeout=120)
    end_at[0] = time.monotonic() + args.seconds
    for thread in threads:
        thread.join(timeout=args.seconds + 60)
    phase.elapsed = time.monotonic() - began
    after = hot_page_counts(stack.url)
    phase.hits, phase.misses = after[0] - hits, after[1] - misses
    print(f"  [{phase.name}] {len(phase.ms)} pages, load average {load_average()}", flush=True)
    return phase


METRICS = [
    ("pages (200)", "", lambda ph: len(ph.ms)),
    ("errors", "", lambda ph: len(ph.errors)),
    ("likes + unlikes", "", lambda ph: ph.likes),
    ("requests/s", ".1f", lambda ph: len(ph.ms) / ph.elapsed),
    ("p50 (ms)", ".1f", lambda ph: Stats.of(ph.ms).p50),
    ("p95 (ms)", ".1f", lambda ph: Stats.of(ph.ms).p95),
    ("p99 (ms)", ".1f", lambda ph: Stats.of(ph.ms).p99),
    ("max (ms)", ".1f", lambda ph: Stats.of(ph.ms).max),
    ("cache hits", ".0f", lambda ph: ph.hits),
    ("cache misses", ".0f", lambda ph: ph.misses),
    (
        "hit rate (%)",
        ".1f",
        lambda ph: 100 * ph.hits / (ph.hits + ph.misses) if ph.hits + ph.misses else float("nan"),
    ),
]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument(
        "--likes-per-second", type=float, nargs="+", default=[2, 20], help="one phase each"
    )
    parser.add_argument("--web-workers", type=int, default=2)
    args = parser.parse_args(argv)

    setup_django()
    from tests.stack import RedisDatabase, Stack

    print("\n".join(run_facts()), flush=True)
    cache = RedisDatabase()
    stack = Stack(
        database="postgres",
        tiny_model=Path("/nonexistent"),  # no worker: no model
        extra_env={
            "CACHE_URL": cache.url,
            "ATELIER_METRICS_TOKEN": METRICS_TOKEN,
            "WEB_CONCURRENCY": str(args.web_workers),
        },
    )
    stack.env["PROMETHEUS_MULTIPROC_DIR"] = str(stack.folder / "metrics")
    (stack.folder / "metrics").mkdir()
    phases = [
        Phase("no cache", 0, 0),
        Phase("cache", 10, 0),
        *(Phase(f"cache + {rate:g} likes/s", 10, rate) for rate in args.likes_per_second),
    ]
    try:
        for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
            stack.manage(*command)
        began = time.monotonic()
        stack.manage("seed_demo", "--images", str(args.images))
        print(f"  seed_demo --images {args.images}: {time.monotonic() - began:.0f} s", flush=True)
        setup = stack.shell(
            "import json\n"
            "from django.contrib.auth import get_user_model\n"
            "from accounts.tokens import create_token\n"
            "from gallery.models import Image\n"
            "user = get_user_model().objects.create_user("
            "'liker', 'liker@example.com', 'a-long-Passw0rd!')\n"
            "ids = list(Image.objects.filter(visibility='public')"
            ".order_by('-like_count', '-id').values_list('id', flat=True)[:200])\n"
            "print(json.dumps([create_token(user, 'bench')[1], ids]))"
        )
        token, image_ids = setup
        for phase in phases:
            run_phase(stack, phase, args, token, image_ids)
    except BaseException:
        print(stack.log("web"), file=sys.stderr)
        raise
    finally:
        stack.stop()
        cache.release()

    print(
        f"\n{args.clients} anonymous visitors, {args.seconds:g} s a phase, {args.images} images,"
        f" PostgreSQL, cache on Redis, gunicorn {args.web_workers} processes"
    )
    print_table(*transposed(phases, METRICS))
    for phase in phases:
        for error in sorted(set(phase.errors))[:5]:
            print(f"  {phase.name} error: {error}")
    print(f"load average at the end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
