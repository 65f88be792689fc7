"""How fast the Following feed and the unread-notification count answer.

Makes a fresh SQLite database in a temporary folder, migrates it, fills it
with ``manage.py seed_demo`` (``--images``, ``--users``), then makes one
person follow ``--follows`` of the others and gives them ``--notifications``
notifications (one in ten unread), and measures in process with Django's
test Client what the server spends on:

- ``/feed/?feed=following`` (the partial infinite scroll fetches), page 1 and
  page 2 (after page 1's cursor): p50/p95 over ``--requests`` requests and
  the query count of one more;
- ``/explore/?feed=following`` (a full page: its navbar counts unread
  notifications) and how many of its queries read notifications;
- ``notifications.notify.unread_count`` alone, p50/p95 over 1 000 calls.

Aims (issue 13): a feed page p50 ≤ 10 ms and ≤ 8 queries; the unread count
≤ 1 ms and no query on a feed page beyond it.

    .venv/bin/python bench/social.py [--images 100000] [--follows 500]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from pathlib import Path

from harness import Column, measure, print_table, run_facts, verdict, yardstick_ms


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--follows", type=int, default=500)
    parser.add_argument("--notifications", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="atelier-bench-social-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(folder / "media")
    from harness import setup_django

    setup_django()
    from django.core.management import call_command
    from django.test.utils import override_settings

    override_settings(
        ALLOWED_HOSTS=["testserver"],
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ).enable()
    for line in run_facts():
        print(line)
    call_command("migrate", verbosity=0)
    call_command("seed_demo", images=args.images, users=args.users, verbosity=0)
    viewer, cases = fill(args)
    rows = [run_case(viewer, case, args.requests) for case in cases]
    rows.append(unread_row(viewer))
    print(f"yardstick: {yardstick_ms():.1f} ms")
    print_table(
        rows,
        [
            Column("name", "case"),
            Column("p50", "p50 ms", ".2f"),
            Column("p95", "p95 ms", ".2f"),
            Column("queries"),
            Column("unread_queries", "unread-count queries"),
            Column("aims"),
        ],
        title=f"{args.images} images, {args.users} people, following {args.follows}",
    )
    return 0


def fill(args):
    from django.contrib.auth import get_user_model

    from gallery.models import Follow, Image
    from notifications.models import Notification

    people = list(get_user_model().objects.order_by("pk"))
    viewer = people[0]
    chance = random.Random(1)
    followed = chance.sample(people[1:], min(args.follows, len(people) - 1))
    Follow.objects.bulk_create(Follow(follower=viewer, followed=p) for p in followed)
    images = list(Image.objects.filter(owner=viewer).values_list("pk", flat=True)[:50]) or [None]
    Notification.objects.bulk_create(
        Notification(
            recipient=viewer,
            kind="like",
            actor=chance.choice(people[1:]),
            image_id=chance.choice(images),
            read_at=None if n % 10 == 0 else "2026-01-01T00:00:00Z",
        )
        for n in range(args.notifications)
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return viewer, [
        ("following /feed/ page 1", "/feed/?feed=following", False),
        ("following /feed/ page 2", "/feed/?feed=following", True),
        # A full page: its aims are the queries only (issue 13's 10 ms is the partial's).
        ("following /explore/ (full page)", "/explore/?feed=following", None),
    ]


def run_case(viewer, case, requests: int) -> dict:
    import re

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    name, url, second = case
    client = Client()
    client.force_login(viewer)
    if second is True:
        first = client.get(url).content.decode()
        url = re.search(r'hx-get="([^"]*cursor=[^"]*)"', first).group(1).replace("&amp;", "&")

    def get():
        answer = client.get(url)
        assert answer.status_code == 200, answer.status_code

    timing = measure(get, requests)
    with CaptureQueriesContext(connection) as queries:
        get()
    unread = sum("notifications_notification" in q["sql"] for q in queries.captured_queries)
    misses = []
    if timing.wall.p50 > 10 and second is not None:
        misses.append("p50 > 10 ms")
    if len(queries) > 8:
        misses.append("> 8 queries")
    if unread > 1:
        misses.append("> 1 unread query")
    return {
        "name": name,
        "p50": timing.wall.p50,
        "p95": timing.wall.p95,
        "queries": len(queries),
        "unread_queries": unread,
        "aims": verdict(misses),
    }


def unread_row(viewer) -> dict:
    from notifications.notify import unread_count

    timing = measure(lambda: unread_count(viewer), 1000)
    return {
        "name": f"unread_count() ({unread_count(viewer)} unread)",
        "p50": timing.wall.p50,
        "p95": timing.wall.p95,
        "queries": 1,
        "unread_queries": 1,
        "aims": verdict(["p50 > 1 ms"] if timing.wall.p50 > 1 else []),
    }


if __name__ == "__main__":
    sys.exit(main())
