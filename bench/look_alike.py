"""What the look-alike search of an upload costs, by the size of the uploader's
gallery (issue 14, duplicates).

``gallery.uploads.find_look_alike`` reads the owner's perceptual hashes from
the (owner, perceptual_hash) index and compares them in Python; the exact
duplicate check is one lookup on the (owner, sha256) index. This fills a fresh
SQLite database (in a temporary folder) with N images of one person (random
hashes, rows only, no files) and prints p50/p95 of both over 30 runs.

    .venv/bin/python bench/look_alike.py [--sizes 1000 10000 50000]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-look-alike-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atelier.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from gallery.models import Image
    from gallery.uploads import find_duplicate, find_look_alike

    call_command("migrate", verbosity=0)
    owner = get_user_model().objects.create_user("bench", password="x")
    mine = Image.objects.filter(owner=owner)
    print("plan, exact:", mine.filter(sha256="0").order_by().values_list("id").explain())
    look_alike = mine.filter(perceptual_hash__isnull=False).order_by()
    print("plan, look-alike:", look_alike.values_list("perceptual_hash", "id").explain())
    print(
        f"{'images of the person':>22} {'look-alike p50 ms':>18} {'p95 ms':>8} {'exact p50 ms':>13}"
    )
    have = 0
    for size in args.sizes:
        Image.objects.bulk_create(
            [
                Image(
                    owner=owner,
                    file=f"images/{i}.png",
                    thumbnail=f"thumbs/{i}.webp",
                    width=64,
                    height=64,
                    thumb_width=64,
                    thumb_height=64,
                    sha256=secrets.token_hex(32),
                    perceptual_hash=secrets.token_hex(8),
                )
                for i in range(have, size)
            ],
            batch_size=2000,
        )
        have = size
        near, exact = [], []
        for _ in range(30):
            probe = secrets.token_hex(8)
            start = time.perf_counter()
            find_look_alike(owner, probe)
            near.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            find_duplicate(owner, secrets.token_hex(32))
            exact.append((time.perf_counter() - start) * 1000)
        near.sort()
        print(
            f"{size:>22,} {statistics.median(near):>18.2f} {near[int(len(near) * 0.95)]:>8.2f}"
            f" {statistics.median(exact):>13.2f}"
        )


if __name__ == "__main__":
    main()
