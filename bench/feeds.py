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
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PAGE = 24
AIM_MS = 10.0
AIM_QUERIES = 8
AIM_RATIO = 1.1
AIM_SCREEN_KB = 600
AIM_TILE_KB = 25
COMMON_WORD = "detailed"
RARE_WORD = "axolotl"


# --- reporting ------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Timing:
    p50: float  # ms, wall clock
    p95: float
    queries: int
    bytes: int = 0
    cpu: float = 0.0  # ms, p50 of this process's CPU time (all of it on SQLite)


@dataclass
class FeedRow:
    label: str
    first: Timing
    deep: Timing | None
    page: int  # the deep page's number (1 when the feed has one page)
    pages: int  # how many pages the feed has

    @property
    def ratio(self) -> float | None:
        return self.deep.p50 / self.first.p50 if self.deep else None

    def misses(self) -> list[str]:
        out = []
        timings = [self.first] + ([self.deep] if self.deep else [])
        if any(t.p50 > AIM_MS for t in timings):
            out.append(f"p50>{AIM_MS:.0f}")
        if any(t.queries > AIM_QUERIES for t in timings):
            out.append(f"q>{AIM_QUERIES}")
        if self.ratio is not None and self.ratio > AIM_RATIO:
            out.append(f"N/1>{AIM_RATIO}")
        return out


@dataclass
class PageRow:
    label: str
    timing: Timing
    aim_queries: bool = True
    aim_ms: bool = True

    def misses(self) -> list[str]:
        out = []
        if self.aim_ms and self.timing.p50 > AIM_MS:
            out.append(f"p50>{AIM_MS:.0f}")
        if self.aim_queries and self.timing.queries > AIM_QUERIES:
            out.append(f"q>{AIM_QUERIES}")
        return out


@dataclass
class Result:
    engine: str
    facts: list[str] = field(default_factory=list)
    feeds: list[FeedRow] = field(default_factory=list)
    pages: list[PageRow] = field(default_factory=list)
    screen: dict = field(default_factory=dict)
    baseline: list[str] = field(default_factory=list)


def verdict(misses: list[str]) -> str:
    return "met" if not misses else "NOT met (" + ", ".join(misses) + ")"


def print_result(result: Result) -> None:
    print()
    print("\n".join(result.facts))
    width = max(len(row.label) for row in result.feeds) + 2
    print()
    print(
        f"  {'/feed/ (24 tiles)':<{width}}{'page 1':^26}  {'page N (2000 or last full)':^34}"
        f"{'N/1':>6}  aims"
    )
    print(
        f"  {'':<{width}}{'p50':>7}{'p95':>7}{'cpu':>7}{'q':>4}  |{'N':>6}{'p50':>8}{'p95':>7}"
        f"{'cpu':>7}{'q':>4}  {'':>6}"
    )
    for row in result.feeds:
        f, d = row.first, row.deep
        first = f"{f.p50:>7.1f}{f.p95:>7.1f}{f.cpu:>7.1f}{f.queries:>4}"
        if d:
            deep = f"{row.page:>6}{d.p50:>8.1f}{d.p95:>7.1f}{d.cpu:>7.1f}{d.queries:>4}"
            ratio = f"{row.ratio:>6.2f}"
        else:
            deep, ratio = f"{'(one page)':>32}", f"{'':>6}"
        print(f"  {row.label:<{width}}{first}  |{deep}  {ratio}  {verdict(row.misses())}")
    width = max(len(row.label) for row in result.pages) + 2
    print()
    print(f"  {'pages':<{width}}{'p50':>7}{'p95':>7}{'cpu':>7}{'q':>4}{'KB':>7}  aims")
    for row in result.pages:
        t = row.timing
        print(
            f"  {row.label:<{width}}{t.p50:>7.1f}{t.p95:>7.1f}{t.cpu:>7.1f}{t.queries:>4}"
            f"{t.bytes / 1024:>7.1f}  {verdict(row.misses())}"
        )
    s = result.screen
    print()
    print(f"  First screen of the Recent feed ({s['url']}, a visitor):")
    print(
        f"    HTML {s['html'] / 1024:.1f} KB ({s['html_gzip'] / 1024:.1f} KB gzipped) + "
        f"{s['tiles']} thumbnails {s['thumbs'] / 1024:.1f} KB "
        f"(largest {s['largest'] / 1024:.1f} KB, mean {s['thumbs'] / max(1, s['tiles']) / 1024:.1f}"
        f" KB) = {s['total'] / 1024:.1f} KB: "
        + verdict(
            ([f">{AIM_SCREEN_KB} KB"] if s["total"] > AIM_SCREEN_KB * 1024 else [])
            + ([f"tile>{AIM_TILE_KB} KB"] if s["largest"] > AIM_TILE_KB * 1024 else [])
        )
    )
    print(
        f"    not counted: static assets, cached after the first visit: "
        f"{s['static'] / 1024:.0f} KB ({s['static_gzip'] / 1024:.0f} KB gzipped): "
        + ", ".join(s["static_files"])
    )
    print()
    print("\n".join(result.baseline))


# --- one database, in this process --------------------------------------------------


def setup_django() -> None:
    warnings.filterwarnings("ignore", "No directory at", UserWarning)  # no collectstatic here
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atelier.settings")
    import django

    django.setup()
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


class Bench:
    def __init__(self, requests: int):
        from django.test import Client

        self.requests = requests
        self.Client = Client

    def client(self, user=None, *, token=None):
        client = self.Client(headers={"authorization": f"Token {token}"} if token else None)
        if user is not None and token is None:
            client.force_login(user)
        return client

    def get(self, client, url):
        answer = client.get(url)
        if answer.status_code != 200:
            raise SystemExit(f"GET {url} answered {answer.status_code}")
        body = b"".join(answer.streaming_content) if answer.streaming else answer.content
        return body

    def queries(self, client, url) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            self.get(client, url)
        return len(captured)

    def measure(self, client, *urls) -> list[Timing]:
        """p50/p95 of each URL, the URLs taking turns so that a slower moment
        of the machine hits them alike."""
        for _ in range(3):
            for url in urls:
                self.get(client, url)
        times = {url: [] for url in urls}
        cpu = {url: [] for url in urls}
        sizes = {}
        for _ in range(self.requests):
            for url in urls:
                start, start_cpu = time.perf_counter(), time.process_time()
                body = self.get(client, url)
                cpu[url].append((time.process_time() - start_cpu) * 1000)
                times[url].append((time.perf_counter() - start) * 1000)
                sizes[url] = len(body)
        return [
            Timing(
                percentile(times[url], 50),
                percentile(times[url], 95),
                self.queries(client, url),
                sizes[url],
                percentile(cpu[url], 50),
            )
            for url in urls
        ]


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


def run_engine(args) -> Result:
    setup_django()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count, Q

    from accounts.tokens import create_token
    from gallery.models import Like, Subscription, Topic
    from gallery.permissions import listed_images

    result = Result(engine=connection.vendor)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter() - started
    print(f"[{connection.vendor}] migrate: {migrated:.1f} s", flush=True)
    call_command(
        "seed_demo",
        images=args.images,
        users=args.users,
        topics=args.topics,
        seed=args.seed,
    )
    seeded = time.perf_counter() - started - migrated
    settle(connection)

    User = get_user_model()
    public = listed_images().count()
    # The people and things the feeds are read for.
    topic_sizes = dict(
        listed_images().exclude(topic=None).values_list("topic").annotate(n=Count("pk"))
    )
    subscribed_images = {}
    for user, topic in Subscription.objects.values_list("user", "topic"):
        subscribed_images[user] = subscribed_images.get(user, 0) + topic_sizes.get(topic, 0)
    liker = (
        User.objects.filter(pk__in=[u for u, n in subscribed_images.items() if n])
        .annotate(n=Count("likes"))
        .order_by("-n")
        .first()
    )
    many = max(subscribed_images, key=subscribed_images.get)
    few = max(
        (u for u, n in subscribed_images.items() if 0 < n <= 1000),
        key=subscribed_images.get,
        default=None,
    )
    topic = Topic.objects.get(pk=max(topic_sizes, key=topic_sizes.get))
    poster = (
        User.objects.annotate(n=Count("images", filter=Q(images__visibility="public")))
        .order_by("-n")
        .values_list("username", flat=True)
        .first()
    )
    liked_count = Like.objects.filter(user=liker).count()
    commented = listed_images().order_by("-comment_count", "-like_count").first()

    def people(pk):
        return User.objects.get(pk=pk)

    subscribers = {"many": people(many), "few": people(few) if few and few != many else None}
    feeds = [
        ("recent", {"feed": "recent"}, liker),
        ("popular, day", {"feed": "popular", "window": "day"}, liker),
        ("popular, week", {"feed": "popular", "window": "week"}, liker),
        ("popular, all", {"feed": "popular"}, liker),
        (
            f"subscribed ({subscribed_images[many]} images)",
            {"feed": "subscribed"},
            subscribers["many"],
        ),
    ]
    if subscribers["few"]:
        feeds.append(
            (
                f"subscribed ({subscribed_images[few]} images)",
                {"feed": "subscribed"},
                subscribers["few"],
            )
        )
    feeds += [
        (f"liked ({liked_count} likes)", {"feed": "liked"}, liker),
        (f"topic ({topic_sizes[topic.pk]} images)", {"feed": "recent", "topic": topic.slug}, liker),
        (
            f"user ({listed_images().filter(owner__username=poster).count()} images)",
            {"feed": "recent", "user": poster},
            liker,
        ),
        (
            f"search {COMMON_WORD!r} ({count_search(COMMON_WORD)} found)",
            {"feed": "recent", "q": COMMON_WORD},
            liker,
        ),
        (
            f"search {RARE_WORD!r} ({count_search(RARE_WORD)} found)",
            {"feed": "recent", "q": RARE_WORD},
            liker,
        ),
    ]
    bench = Bench(args.requests)
    clients = {}

    def client_for(user):
        if user.pk not in clients:
            clients[user.pk] = bench.client(user)
        return clients[user.pk]

    print(f"[{connection.vendor}] measuring {len(feeds)} feeds", flush=True)
    yardstick_before = yardstick_ms()
    for label, params, viewer in feeds:
        if problem := check_cursor(viewer, params):
            print(f"[{connection.vendor}] {problem}", flush=True)
            result.baseline.append(f"  WARNING: {problem}")
        cursor, page, pages = cursor_for_page(viewer, params, args.page)
        first_url = f"/feed/?{urlencode(params)}"
        client = client_for(viewer)
        if cursor:
            deep_url = f"/feed/?{urlencode({**params, 'cursor': cursor})}"
            first, deep = bench.measure(client, first_url, deep_url)
        else:
            [first], deep = bench.measure(client, first_url), None
        result.feeds.append(FeedRow(label, first, deep, page, pages))

    # Full pages.
    anonymous = bench.client()
    token = create_token(liker, "bench")[1]
    api = bench.client(token=token)
    recent_cursor, recent_page, _ = cursor_for_page(liker, {"feed": "recent"}, args.page)
    detail = f"/images/{commented.pk}/"
    rows = [
        ("Explore, Recent (logged in)", client_for(liker), "/explore/?feed=recent", True, True),
        ("home, visitor (Popular)", anonymous, "/", True, True),
        ("topics list", client_for(liker), "/topics/", True, True),
        (f"topic page {topic.slug}", client_for(liker), f"/topics/{topic.slug}/", True, True),
        (f"profile {poster}", client_for(liker), f"/u/{poster}/", True, True),
        (
            f"image page ({commented.comment_count} comments, {commented.like_count} likes)",
            client_for(liker),
            detail,
            True,
            False,
        ),
        ("API /api/v1/images/ page 1 (token)", api, "/api/v1/images/", True, True),
        (
            f"API /api/v1/images/ page {recent_page} (token)",
            api,
            f"/api/v1/images/?{urlencode({'cursor': recent_cursor})}",
            True,
            True,
        ),
    ]
    for label, client, url, aim_queries, aim_ms in rows:
        [timing] = bench.measure(client, url)
        result.pages.append(PageRow(label, timing, aim_queries, aim_ms))

    yardstick_after = yardstick_ms()
    result.screen = first_screen(bench, anonymous)
    result.baseline += offset_baseline(args.requests)
    result.facts = [
        f"{connection.vendor} ({connection.display_name} {db_version(connection)}): "
        f"{args.images} images ({public} public), {args.users} people, {args.topics} topics; "
        f"migrate {migrated:.1f} s, seed_demo {seeded:.1f} s",
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


def yardstick_ms(rounds: int = 15) -> float:
    """The p50 ms of a fixed piece of pure Python (no I/O, no database)."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        total = 0
        for i in range(200_000):
            total += i * i % 7
        times.append((time.perf_counter() - start) * 1000)
    return percentile(times, 50)


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


def first_screen(bench: Bench, client) -> dict:
    """The Recent feed's first page as a visitor gets it, with its thumbnails."""
    from django.contrib.staticfiles import finders

    url = "/explore/?feed=recent"
    html = bench.get(client, url)
    text = html.decode()
    thumbs = re.findall(r'<img src="([^"]+/thumb\.webp)"', text)[:PAGE]
    sizes = [len(bench.get(client, thumb)) for thumb in thumbs]
    assets = re.findall(r'(?:href|src)="/static/([^"]+\.(?:css|js))"', text)
    assets.append("vendor/bootstrap-icons/fonts/bootstrap-icons.woff2")
    static = static_gzip = 0
    names = []
    for asset in assets:
        path = finders.find(asset)
        if not path:
            continue
        data = Path(path).read_bytes()
        static += len(data)
        static_gzip += len(data) if asset.endswith("woff2") else len(gzip.compress(data))
        names.append(f"{Path(asset).name} {len(data) / 1024:.0f}")
    return {
        "url": url,
        "html": len(html),
        "html_gzip": len(gzip.compress(html)),
        "tiles": len(sizes),
        "thumbs": sum(sizes),
        "largest": max(sizes, default=0),
        "total": len(html) + sum(sizes),
        "static": static,
        "static_gzip": static_gzip,
        "static_files": names,
    }


def offset_baseline(requests: int) -> list[str]:
    """The last page of the Recent feed: OFFSET (the seed app's way) against
    the keyset query gallery.pagination runs, the same rows and joins."""
    from gallery.feeds import RECENT
    from gallery.pagination import encode_cursor, paginate
    from gallery.permissions import listed_images

    images = listed_images().select_related("owner__profile", "topic").order_by(*RECENT)
    total = images.count()
    offset = (math.ceil(total / PAGE) - 1) * PAGE
    before = images[offset - 1]
    cursor = encode_cursor([before.created, before.id], RECENT, salt="recent")

    def timed(run):
        for _ in range(3):
            run()
        times = []
        for _ in range(requests):
            start = time.perf_counter()
            run()
            times.append((time.perf_counter() - start) * 1000)
        return percentile(times, 50), percentile(times, 95)

    offset_ms = timed(lambda: list(images[offset : offset + PAGE + 1]))
    keyset_ms = timed(lambda: paginate(images, RECENT, cursor, salt="recent"))
    first_ms = timed(lambda: paginate(images, RECENT, None, salt="recent"))
    last_page = offset // PAGE + 1
    return [
        f"  Baseline, the rows of the Recent feed's last page (page {last_page}) alone "
        f"(same joins, {PAGE + 1} rows, p50/p95 ms):",
        f"    OFFSET {offset} LIMIT {PAGE + 1} (the seed app's paging):"
        f" {offset_ms[0]:.2f} / {offset_ms[1]:.2f}",
        f"    keyset cursor at the same page (the app):            "
        f" {keyset_ms[0]:.2f} / {keyset_ms[1]:.2f}",
        f"    keyset page 1:                                         "
        f"{first_ms[0]:.2f} / {first_ms[1]:.2f}",
    ]


# --- fresh databases -----------------------------------------------------------------


def postgres_reachable() -> str | None:
    import psycopg

    try:
        psycopg.connect(POSTGRES_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        return str(exc).strip()
    return None


def run_child(engine: str, args, folder: Path) -> Result:
    """Run one engine in its own process (settings read DATABASE_URL once)."""
    env = {
        **os.environ,
        "MEDIA_ROOT": str(folder / "media"),
        "DEBUG": "false",
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
        base = POSTGRES_URL.rsplit("/", 1)[0]
        env["DATABASE_URL"] = f"{base}/{database}"
    out = folder / f"{engine}.json"
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        "--json",
        str(out),
        *child_args(args),
    ]
    try:
        subprocess.run(command, env=env, check=True, cwd=ROOT)
    finally:
        if database:
            import psycopg

            with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    return load_result(json.loads(out.read_text()))


def child_args(args) -> list[str]:
    return [
        f"--images={args.images}",
        f"--users={args.users}",
        f"--topics={args.topics}",
        f"--seed={args.seed}",
        f"--requests={args.requests}",
        f"--page={args.page}",
    ]


def load_result(data: dict) -> Result:
    def timing(value):
        return Timing(**value) if value else None

    result = Result(engine=data["engine"], facts=data["facts"], screen=data["screen"])
    result.baseline = data["baseline"]
    result.feeds = [
        FeedRow(row["label"], timing(row["first"]), timing(row["deep"]), row["page"], row["pages"])
        for row in data["feeds"]
    ]
    result.pages = [
        PageRow(row["label"], timing(row["timing"]), row["aim_queries"], row["aim_ms"])
        for row in data["pages"]
    ]
    return result


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
        result = run_engine(args)
        Path(args.json).write_text(json.dumps(asdict(result)))
        return 0

    from job_overhead import run_facts

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
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nwhole run {time.perf_counter() - started:.0f} s; load average after: {load}")
    for result in results:
        rows = [row.misses() for row in result.feeds + result.pages]
        missed = sum(1 for m in rows if m)
        print(f"{result.engine}: aims met on {len(rows) - missed} of {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
