"""How fast the feeds, search and image page answer at 100k images.

For each database (SQLite, then PostgreSQL when 127.0.0.1:5432 answers) this
makes a fresh database (an SQLite file in a temporary folder; a new PostgreSQL
database ``atelier_bench_<hex>``, dropped afterwards), migrates it, fills it
with ``manage.py seed_demo`` and then measures in process, with Django's test
Client, what the server spends on each request (no network, no browser):

- every feed (Recent, Popular day / week / all, Subscribed, Liked, by topic,
  by user) and search (a word in ~70 % of prompts, a word in ~0.05 %) through
  ``/feed/`` (the partial infinite scroll fetches), page 1 and page 2 000:
  p50/p95 over ``--requests`` requests (page 1 and page N alternate, after
  three unmeasured ones), the query count of one more (CaptureQueriesContext),
  and page N's p50 over page 1's. A feed with fewer pages is measured at its
  last page, and the table says which page that was.
- Recent, Popular, a topic and search again for someone who hides NSFW
  images (seed_demo --nsfw-every 20 flags one in twenty): the feed's query leaves them out,
  from the public indexes alone (they end with the flag).
- full pages: Explore, the visitor's home page, a topic page, a profile, the
  image page of the image with the most comments (≤ 8 queries, whatever its
  number of comments and likes) and ``/api/v1/images/`` page 1 and 2 000.
- the first screen of the Recent feed: the HTML, plus the thumbnails of its
  first 24 tiles (aim: ≤ 600 KB together, ≤ 25 KB a tile).
- a baseline: the same page of 24 at the end of the Recent feed found with
  OFFSET (what the seed app did) against the keyset query the app runs.

Page 2 000 is reached the way a client reaches it, with the cursor of page
1 999's last row; to save following 1 999 cursors, the bench finds that row
with one OFFSET query (the app itself never uses OFFSET) and signs the cursor
with gallery.pagination's encoder. It checks on each feed that a cursor made
this way equals the one the app hands out after following pages 1 and 2.

Aims (issue 3): p50 ≤ 10 ms and ≤ 8 queries a page of 24, page 2 000 within
1.1 × page 1, the image page ≤ 8 queries.

    .venv/bin/python bench/feeds.py [--db sqlite|postgres|both] [--images 100000]

PostgreSQL is reached at BENCH_POSTGRES_URL (default
postgres://postgres@127.0.0.1:5432/postgres), which must be allowed to
create databases.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import math
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from harness import (
    ROOT,
    Column,
    load_average,
    measure,
    measure_together,
    print_table,
    run_facts,
    setup_django,
    verdict,
    yardstick_ms,
)

POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PAGE = 24
AIM_MS = 10.0
AIM_QUERIES = 8
AIM_RATIO = 1.1
AIM_SCREEN_KB = 600
AIM_TILE_KB = 25
NSFW_EVERY = 20  # seed_demo flags one image in this many NSFW
COMMON_WORD = "detailed"
RARE_WORD = "axolotl"

FEED_COLUMNS = [
    Column("feed", "/feed/ (24 tiles)"),
    Column("p50", fmt=".1f"),
    Column("p95", fmt=".1f"),
    Column("cpu", fmt=".1f"),
    Column("q"),
    Column("N", "page N"),
    Column("N p50", fmt=".1f"),
    Column("N p95", fmt=".1f"),
    Column("N cpu", fmt=".1f"),
    Column("N q"),
    Column("N/1", fmt=".2f"),
    Column("aims", align="<"),
]
PAGE_COLUMNS = [
    Column("page", "pages"),
    Column("p50", fmt=".1f"),
    Column("p95", fmt=".1f"),
    Column("cpu", fmt=".1f"),
    Column("q"),
    Column("KB", fmt=".1f"),
    Column("aims", align="<"),
]
BASELINE_COLUMNS = [
    Column("way", "paging"),
    Column("p50", fmt=".2f"),
    Column("p95", fmt=".2f"),
    Column("cpu", fmt=".2f"),
]


# --- one database, in this process --------------------------------------------------


def setup() -> None:
    setup_django()
    from django.test.utils import override_settings

    # In-process requests come from "testserver"; static URLs without a
    # collectstatic manifest (the bench never serves static files).
    override_settings(
        ALLOWED_HOSTS=["testserver"],
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ).enable()


def client_for(user=None, *, token=None):
    from django.test import Client

    client = Client(headers={"authorization": f"Token {token}"} if token else None)
    if user is not None and token is None:
        client.force_login(user)
    return client


def get(client, url) -> bytes:
    answer = client.get(url)
    if answer.status_code != 200:
        raise SystemExit(f"GET {url} answered {answer.status_code}")
    return b"".join(answer.streaming_content) if answer.streaming else answer.content


def measure_urls(client, urls: list[str], repeat: int) -> list[dict]:
    """p50/p95 wall and p50 cpu (ms) of each URL, the URLs taking turns; then
    the queries and size of one more request each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = measure_together([lambda u=url: get(client, u) for url in urls], repeat)
    cells = []
    for url, timing in zip(urls, timings, strict=True):
        with CaptureQueriesContext(connection) as captured:
            size = len(get(client, url))
        cells.append(
            {
                "p50": timing.wall.p50,
                "p95": timing.wall.p95,
                "cpu": timing.cpu.p50,
                "q": len(captured),
                "KB": size / 1024,
            }
        )
    return cells


def feed_row(name: str, first: dict, deep: dict | None, page: int) -> dict:
    """A feed's row: page 1, page N (when the feed has more than one page),
    N/1 and whether the aims are met."""
    ratio = deep["p50"] / first["p50"] if deep else None
    timings = [first] + ([deep] if deep else [])
    misses = [f"p50>{AIM_MS:.0f}"] if any(t["p50"] > AIM_MS for t in timings) else []
    misses += [f"q>{AIM_QUERIES}"] if any(t["q"] > AIM_QUERIES for t in timings) else []
    misses += [f"N/1>{AIM_RATIO}"] if ratio is not None and ratio > AIM_RATIO else []
    row = {"feed": name, **{k: first[k] for k in ("p50", "p95", "cpu", "q")}, "N": "(one page)"}
    if deep:
        row |= {"N": page, **{f"N {k}": deep[k] for k in ("p50", "p95", "cpu", "q")}}
    return {**row, "N/1": ratio, "aims": verdict(misses), "met": not misses}


def page_row(name: str, cells: dict, aim_ms: bool) -> dict:
    misses = [f"p50>{AIM_MS:.0f}"] if aim_ms and cells["p50"] > AIM_MS else []
    misses += [f"q>{AIM_QUERIES}"] if cells["q"] > AIM_QUERIES else []
    return {"page": name, **cells, "aims": verdict(misses), "met": not misses}


def cursor_for_page(viewer, params: dict, page: int) -> tuple[str | None, int, int]:
    """The cursor that asks for ``page`` (or, in a shorter feed, for its last
    page of 24: the one before the last), the page it asks for and how many
    pages the feed has. Bench only: it finds
    the last row of the page before with one OFFSET query."""
    from gallery.feeds import FEEDS, FeedRequest, images_for
    from gallery.pagination import encode_cursor

    feed = FEEDS[params.get("feed", "recent")]
    images = images_for(viewer, FeedRequest(**params)).order_by(*feed.ordering)
    pages = max(1, math.ceil(images.count() / PAGE))
    if page >= pages:  # a feed this short: its last full page
        page = pages - 1 if pages > 2 else pages
    if page == 1:
        return None, 1, pages
    row = images[PAGE * (page - 1) - 1]
    values = [getattr(row, key.removeprefix("-")) for key in feed.ordering]
    return encode_cursor(values, feed.ordering, salt=feed.name), page, pages


def check_cursor(viewer, params: dict) -> str | None:
    """None when a cursor made by cursor_for_page equals the one the app gives
    out after pages 1 and 2; else what differs."""
    from gallery.feeds import FEEDS, FeedRequest, load_page
    from gallery.pagination import decode_cursor

    built, page, _ = cursor_for_page(viewer, params, 3)
    if page < 3:
        return None
    request, shown = FeedRequest(**params), []
    for _ in range(2):
        result = load_page(viewer, request)
        shown += [image.pk for image in result.items]
        request = result.next_request
    feed = FEEDS[params.get("feed", "recent")]

    def values(cursor):
        return decode_cursor(cursor, feed.ordering, salt=feed.name)

    # Compared decoded: the same row's values may be encoded differently (the
    # signature covers a timestamp), which is no difference for the app.
    if request.cursor == built or values(request.cursor) == values(built):
        return None
    return (
        f"cursor check failed for {params}: the app's cursor after page 2 is "
        f"{values(request.cursor)}, the OFFSET row's {values(built)}; "
        f"pages 1-2 showed {len(shown)} rows ({len(set(shown))} different)"
    )


def who_and_what():
    """The people and things the feeds are read for: the person with the most
    likes among subscribers, the subscribers with the most and with few
    subscribed images, the biggest topic, the biggest poster and the image
    with the most comments."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Q

    from accounts.models import Profile
    from gallery.models import Like, Subscription, Topic
    from gallery.permissions import listed_images

    User = get_user_model()
    topic_sizes = dict(
        listed_images().exclude(topic=None).values_list("topic").annotate(n=Count("pk"))
    )
    subscribed = {}
    for user, topic in Subscription.objects.values_list("user", "topic"):
        subscribed[user] = subscribed.get(user, 0) + topic_sizes.get(topic, 0)
    many = max(subscribed, key=subscribed.get)
    few = max((u for u, n in subscribed.items() if 0 < n <= 1000), key=subscribed.get, default=None)
    liker = (
        User.objects.filter(pk__in=[u for u, n in subscribed.items() if n])
        .annotate(n=Count("likes"))
        .order_by("-n")
        .first()
    )
    topic = Topic.objects.get(pk=max(topic_sizes, key=topic_sizes.get))
    poster = (
        User.objects.annotate(n=Count("images", filter=Q(images__visibility="public")))
        .order_by("-n")
        .values_list("username", flat=True)
        .first()
    )
    # Someone else, who hides NSFW images (Settings): the feeds they read
    # leave them out in the query (gallery.nsfw).
    taken = {liker.pk, many, few}
    hider = User.objects.exclude(pk__in=[pk for pk in taken if pk]).order_by("pk").first()
    Profile.objects.update_or_create(user=hider, defaults={"nsfw_preference": "hide"})
    return {
        "liker": liker,
        "hider": hider,
        "liked": Like.objects.filter(user=liker).count(),
        "many": (User.objects.get(pk=many), subscribed[many]),
        "few": (User.objects.get(pk=few), subscribed[few]) if few and few != many else None,
        "topic": topic,
        "topic_size": topic_sizes[topic.pk],
        "poster": poster,
        "poster_size": listed_images().filter(owner__username=poster).count(),
        "commented": listed_images().order_by("-comment_count", "-like_count").first(),
    }


def feed_cases(w: dict) -> list[tuple[str, dict, object]]:
    """(name, /feed/ parameters, viewer) of each feed measured."""
    liker = w["liker"]
    cases = [
        ("recent", {"feed": "recent"}, liker),
        ("popular, day", {"feed": "popular", "window": "day"}, liker),
        ("popular, week", {"feed": "popular", "window": "week"}, liker),
        ("popular, all", {"feed": "popular"}, liker),
    ]
    for who in (w["many"], w["few"]):
        if who:
            cases.append((f"subscribed ({who[1]} images)", {"feed": "subscribed"}, who[0]))
    topic, poster, hider = w["topic"], w["poster"], w["hider"]
    hiding = [
        ("recent", {"feed": "recent"}),
        ("popular, week", {"feed": "popular", "window": "week"}),
        ("popular, all", {"feed": "popular"}),
        ("topic", {"feed": "recent", "topic": topic.slug}),
        (f"search {COMMON_WORD!r}", {"feed": "recent", "q": COMMON_WORD}),
    ]
    return cases + [
        (f"liked ({w['liked']} likes)", {"feed": "liked"}, liker),
        (f"topic ({w['topic_size']} images)", {"feed": "recent", "topic": topic.slug}, liker),
        (f"user ({w['poster_size']} images)", {"feed": "recent", "user": poster}, liker),
        *(
            (f"search {word!r} ({count_search(word)} found)", {"feed": "recent", "q": word}, liker)
            for word in (COMMON_WORD, RARE_WORD)
        ),
        *((f"{name}, NSFW hidden", params, hider) for name, params in hiding),
    ]


def page_cases(w: dict, api, anonymous, logged_in, deep_page: int) -> list[tuple]:
    """(name, client, url, whether the p50 aim holds) of each full page
    measured; every one has the query aim."""
    topic, poster, commented = w["topic"], w["poster"], w["commented"]
    cursor, page, _ = cursor_for_page(w["liker"], {"feed": "recent"}, deep_page)
    return [
        ("Explore, Recent (logged in)", logged_in, "/explore/?feed=recent", True),
        ("home, visitor (Popular)", anonymous, "/", True),
        ("topics list", logged_in, "/topics/", True),
        (f"topic page {topic.slug}", logged_in, f"/topics/{topic.slug}/", True),
        (f"profile {poster}", logged_in, f"/u/{poster}/", True),
        (
            f"image page ({commented.comment_count} comments, {commented.like_count} likes)",
            logged_in,
            f"/images/{commented.pk}/",
            False,
        ),
        ("API /api/v1/images/ page 1 (token)", api, "/api/v1/images/", True),
        (
            f"API /api/v1/images/ page {page} (token)",
            api,
            f"/api/v1/images/?{urlencode({'cursor': cursor})}",
            True,
        ),
    ]


def run_engine(args) -> dict:
    setup()
    from django.core.management import call_command
    from django.db import connection

    from accounts.tokens import create_token
    from gallery.permissions import listed_images

    vendor = connection.vendor
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter() - started
    print(f"[{vendor}] migrate: {migrated:.1f} s", flush=True)
    call_command(
        "seed_demo",
        images=args.images,
        users=args.users,
        topics=args.topics,
        seed=args.seed,
        nsfw_every=NSFW_EVERY,
    )
    seeded = time.perf_counter() - started - migrated
    settle(connection)
    w = who_and_what()
    liker = w["liker"]
    result = {"engine": vendor, "warnings": [], "feeds": [], "pages": []}

    clients = {}
    cases = feed_cases(w)
    print(f"[{vendor}] measuring {len(cases)} feeds", flush=True)
    yardstick_before = yardstick_ms()
    for name, params, viewer in cases:
        if problem := check_cursor(viewer, params):
            print(f"[{vendor}] {problem}", flush=True)
            result["warnings"].append(problem)
        cursor, page, _ = cursor_for_page(viewer, params, args.page)
        client = clients.setdefault(viewer.pk, client_for(viewer))
        urls = [f"/feed/?{urlencode(params)}"]
        if cursor:
            urls.append(f"/feed/?{urlencode({**params, 'cursor': cursor})}")
        first, *deep = measure_urls(client, urls, args.requests)
        result["feeds"].append(feed_row(name, first, deep[0] if deep else None, page))

    anonymous = client_for()
    api = client_for(token=create_token(liker, "bench")[1])
    logged_in = clients.setdefault(liker.pk, client_for(liker))
    for name, client, url, aim_ms in page_cases(w, api, anonymous, logged_in, args.page):
        [cells] = measure_urls(client, [url], args.requests)
        result["pages"].append(page_row(name, cells, aim_ms))
    yardstick_after = yardstick_ms()

    result["screen"] = first_screen(anonymous)
    result["baseline_title"], result["baseline"] = offset_baseline(args.requests)
    result["facts"] = [
        f"{vendor} ({connection.display_name} {db_version(connection)}): "
        f"{args.images} images ({listed_images().count()} public), {args.users} people, "
        f"{args.topics} topics; migrate {migrated:.1f} s, seed_demo {seeded:.1f} s",
        f"server time in process (Django test Client), ms; {args.requests} requests a row "
        f"after 3 unmeasured; cpu = this process's CPU time (p50; on SQLite that is all the "
        f"work, on PostgreSQL the server's share is not in it); q = queries of one request; "
        f"logged in as {liker.username} (session + user: 2 of the queries) unless said",
        "page N is asked for with the cursor of page N-1's last row, which the bench finds with "
        "one OFFSET query and signs with gallery.pagination.encode_cursor (the app never uses "
        "OFFSET); on every feed such a cursor was checked equal to the one the app hands out "
        "after pages 1 and 2",
        f"the machine's speed: a fixed pure-Python loop took {yardstick_before:.1f} ms before "
        f"these rows and {yardstick_after:.1f} ms after them (p50 of 15; lower is faster: "
        "compare runs by it, this kind of machine changes speed from one minute to the next)",
    ]
    return result


def settle(connection) -> None:
    """Measure the steady state, not the aftermath of a bulk load: on
    PostgreSQL, write the 100k new rows' dirty pages out now (CHECKPOINT), or
    the background checkpointer writes them during the measurements, on the
    same two cores (it made PostgreSQL rows 30-50 % slower in wall clock)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    # And measure as a server process would: what is alive now (the loaded
    # app, and whatever seeding left) is frozen out of the cyclic collector's
    # work, as atelier/wsgi.py does after loading.
    print(f"[{connection.vendor}] objects alive after seeding: {len(gc.get_objects()):,}")
    gc.collect()
    gc.freeze()


def count_search(word: str) -> int:
    from gallery.permissions import listed_images
    from gallery.search import search

    return search(listed_images(), word).count()


def db_version(connection) -> str:
    if connection.vendor == "sqlite":
        import sqlite3

        return sqlite3.sqlite_version
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def first_screen(client) -> list[str]:
    """The Recent feed's first page as a visitor gets it, with its thumbnails."""
    from django.contrib.staticfiles import finders

    url = "/explore/?feed=recent"
    html = get(client, url)
    text = html.decode()
    thumbs = re.findall(r'<img src="([^"]+/thumb\.webp)"', text)[:PAGE]
    sizes = [len(get(client, thumb)) for thumb in thumbs]
    assets = re.findall(r'(?:href|src)="/static/([^"]+\.(?:css|js))"', text)
    assets.append("vendor/bootstrap-icons/fonts/bootstrap-icons.woff2")
    static = static_gzip = 0
    names = []
    for asset in assets:
        if not (path := finders.find(asset)):
            continue
        data = Path(path).read_bytes()
        static += len(data)
        static_gzip += len(data) if asset.endswith("woff2") else len(gzip.compress(data))
        names.append(f"{Path(asset).name} {len(data) / 1024:.0f}")
    total, largest = len(html) + sum(sizes), max(sizes, default=0)
    misses = [f">{AIM_SCREEN_KB} KB"] if total > AIM_SCREEN_KB * 1024 else []
    misses += [f"tile>{AIM_TILE_KB} KB"] if largest > AIM_TILE_KB * 1024 else []
    return [
        f"  First screen of the Recent feed ({url}, a visitor):",
        f"    HTML {len(html) / 1024:.1f} KB ({len(gzip.compress(html)) / 1024:.1f} KB gzipped)"
        f" + {len(sizes)} thumbnails {sum(sizes) / 1024:.1f} KB (largest {largest / 1024:.1f} KB,"
        f" mean {sum(sizes) / max(1, len(sizes)) / 1024:.1f} KB) = {total / 1024:.1f} KB: "
        + verdict(misses),
        f"    not counted: static assets, cached after the first visit: {static / 1024:.0f} KB"
        f" ({static_gzip / 1024:.0f} KB gzipped): " + ", ".join(names),
    ]


def offset_baseline(requests: int) -> tuple[str, list[dict]]:
    """The last page of the Recent feed: OFFSET (the seed app's way) against
    the keyset query gallery.pagination runs, the same rows and joins."""
    from gallery.feeds import RECENT
    from gallery.pagination import encode_cursor, paginate
    from gallery.permissions import listed_images

    images = listed_images().select_related("owner__profile", "topic").order_by(*RECENT)
    offset = (math.ceil(images.count() / PAGE) - 1) * PAGE
    before = images[offset - 1]
    cursor = encode_cursor([before.created, before.id], RECENT, salt="recent")
    cases = [
        (
            f"OFFSET {offset} LIMIT {PAGE + 1} (the seed app's paging)",
            lambda: list(images[offset : offset + PAGE + 1]),
        ),
        (
            "keyset cursor at the same page (the app)",
            lambda: paginate(images, RECENT, cursor, salt="recent"),
        ),
        ("keyset page 1", lambda: paginate(images, RECENT, None, salt="recent")),
    ]
    rows = []
    for name, run in cases:
        timing = measure(run, requests)
        rows.append({"way": name, "p50": timing.wall.p50, "p95": timing.wall.p95})
        rows[-1]["cpu"] = timing.cpu.p50
    title = (
        f"  Baseline, the rows of the Recent feed's last page (page {offset // PAGE + 1}) alone"
        f" (same joins, {PAGE + 1} rows), ms:"
    )
    return title, rows


def print_result(result: dict) -> None:
    print()
    print("\n".join(result["facts"]))
    print()
    print_table(result["feeds"], FEED_COLUMNS)
    print()
    print_table(result["pages"], PAGE_COLUMNS)
    print()
    print("\n".join(result["screen"]))
    print()
    print_table(result["baseline"], BASELINE_COLUMNS, title=result["baseline_title"], indent="    ")
    for warning in result["warnings"]:
        print(f"  WARNING: {warning}")


# --- fresh databases -----------------------------------------------------------------


def postgres_reachable() -> str | None:
    import psycopg

    try:
        psycopg.connect(POSTGRES_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        return str(exc).strip()
    return None


def run_child(engine: str, args, folder: Path) -> dict:
    """Run one engine in its own process (settings read DATABASE_URL once)."""
    env = {
        **os.environ,
        "MEDIA_ROOT": str(folder / "media"),
        # Measured as deployed: DEBUG off, which makes this a deployment that
        # names its key, hosts and origins (atelier/settings.py); plain HTTP,
        # as the in-process test client speaks.
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "testserver",
        "CSRF_TRUSTED_ORIGINS": "http://testserver",
        "ATELIER_HTTPS": "false",
        "PYTHONUNBUFFERED": "1",
    }
    database = None
    if engine == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    else:
        import psycopg

        database = f"atelier_bench_{secrets.token_hex(4)}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {database}")
        env["DATABASE_URL"] = f"{POSTGRES_URL.rsplit('/', 1)[0]}/{database}"
    out = folder / f"{engine}.json"
    options = ["images", "users", "topics", "seed", "requests", "page"]
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--json", str(out)]
    command += [f"--{name}={getattr(args, name)}" for name in options]
    try:
        subprocess.run(command, env=env, check=True, cwd=ROOT)
    finally:
        if database:
            import psycopg

            with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    return json.loads(out.read_text())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--topics", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=30, help="measured requests a row")
    parser.add_argument("--page", type=int, default=2000, help="the deep page")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        Path(args.json).write_text(json.dumps(run_engine(args)))
        return 0

    print("\n".join(run_facts()), flush=True)
    engines = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="atelier-bench-feeds-") as tmp:
        for engine in engines:
            if engine == "postgres" and (why := postgres_reachable()):
                print(f"\nPostgreSQL at {POSTGRES_URL} is not reachable ({why}): skipping it.")
                continue
            folder = Path(tmp) / engine
            folder.mkdir()
            results.append(run_child(engine, args, folder))
    for result in results:
        print_result(result)
    elapsed = time.perf_counter() - started
    print(f"\nwhole run {elapsed:.0f} s; load average after: {load_average()}")
    for result in results:
        rows = result["feeds"] + result["pages"]
        met = sum(row["met"] for row in rows)
        print(f"{result['engine']}: aims met on {met} of {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
