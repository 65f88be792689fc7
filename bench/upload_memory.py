"""How much memory one upload takes a web process, by file (issue 11, item 7).

Each case runs in a fresh subprocess (fresh SQLite database and storage
folder): it signs up a person, then stores the file through
``gallery.uploads.upload_images``, holding a decode slot as the upload page
does (``atelier.image_uploads``), ``at once`` times in parallel threads. It
prints the process's peak RSS growth (``ru_maxrss`` and a 2 ms RSS sampler),
that growth per upload against the decoded image's size (4 bytes a pixel in
Pillow; shown for stored images of 1 MB or more), and the RSS still held once
the uploads are done. Run it from another tree (a copy at an older commit) to
compare: the case runner works without the decode slots.

    .venv/bin/python bench/upload_memory.py            (about a minute)
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

from harness import ROOT, Column, print_table, run_facts

MB = 1 << 20

# name, file maker, uploads at once
CASES = [
    ("PNG 6300x6300, flat", "flat_png", 1),
    ("JPEG 6300x6300", "jpeg", 1),
    ("PNG 1x16384", "tall_png", 1),
    ("PNG 1x40,000,000", "line_png", 1),
    ("PNG 6300x6300, flat", "flat_png", 4),
    ("PNG 6300x6300, flat", "flat_png", 8),
]


def flat_png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (6300, 6300), (30, 60, 90))
    ImageDraw.Draw(image).ellipse((1000, 1000, 5300, 5300), fill=(200, 120, 40))
    return _encode(image, "PNG", optimize=True)


def jpeg() -> bytes:
    from PIL import Image

    small = Image.frombytes("RGB", (16, 16), bytes(range(256)) * 3)
    return _encode(small.resize((6300, 6300), Image.Resampling.BICUBIC), "JPEG", quality=85)


def tall_png() -> bytes:
    from PIL import Image

    return _encode(Image.new("L", (1, 16384), 128), "PNG")


def line_png() -> bytes:
    """1 × 40,000,000 grey pixels, compressed to a few tens of KB."""
    import struct

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 1, 40_000_000, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\0\x80" * 40_000_000, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _encode(image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


# --- One case, in its own process ----------------------------------------------------------


def run_case(path: str, at_once: int) -> dict:
    import contextlib
    import resource
    import threading
    import time

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from gallery.uploads import upload_images

    try:
        from atelier.image_uploads import upload_slot
    except ImportError:  # the code before the decode slots, for the "before" table
        upload_slot = contextlib.nullcontext

    owner = get_user_model().objects.create_user("bench", password="x")
    content = Path(path).read_bytes()
    with Image.open(io.BytesIO(content)) as header:
        width, height = header.size

    def rss() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    sampled, stop = [0], threading.Event()

    def sample():
        while not stop.wait(0.002):
            sampled[0] = max(sampled[0], rss())

    results = []

    def one(n: int):
        with upload_slot():
            files = [SimpleUploadedFile(f"{n}.png", content)]
            try:
                results.extend(upload_images(owner, files))
            except Exception as error:  # what a page would have shown as a 500
                results.append(f"500: {type(error).__name__}")

    before, maxrss_before = rss(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sampled[0] = before  # an upload refused before the sampler's first look grew nothing
    sampler = threading.Thread(target=sample)
    sampler.start()
    threads = [threading.Thread(target=one, args=(n,)) for n in range(at_once)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    sampler.join()
    time.sleep(0.05)  # let the allocator settle before reading what is held
    # ru_maxrss is the lifetime peak: it counts only if the uploads raised it.
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak = max(sampled[0], maxrss * 1024 if maxrss > maxrss_before else 0)
    outcomes = {
        result if isinstance(result, str) else ("stored" if result.ok else f"400: {result.error}")
        for result in results
    }
    return {
        "decoded": width * height * 4,
        "peak": peak - before,
        "held": rss() - before,
        "outcome": "; ".join(sorted(outcomes)),
    }


# --- The table -----------------------------------------------------------------------------

COLUMNS = [
    Column("case"),
    Column("file KB", fmt=".0f"),
    Column("decoded MB", fmt=".0f"),
    Column("at once"),
    Column("peak Δ MB", fmt=".0f"),
    Column("per upload"),
    Column("held after MB", fmt=".0f"),
    Column("outcome", align="<"),
]


def run_in_process(folder: Path, template: Path, number: int, path: Path, at_once: int) -> dict:
    """One case in a fresh process, on a copy of the migrated database."""
    case_dir = folder / f"case{number}"
    case_dir.mkdir()
    shutil.copy(template, case_dir / "db.sqlite3")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "atelier.settings",
        "DATABASE_URL": f"sqlite:///{case_dir / 'db.sqlite3'}",
        "ATELIER_VAR_DIR": str(case_dir),
    }
    answer = subprocess.run(
        [sys.executable, __file__, "--case", str(path), str(at_once)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if answer.returncode:
        sys.exit(f"case {number}: failed\n{answer.stderr[-3000:]}")
    return json.loads(answer.stdout.strip().splitlines()[-1])


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--case":
        print(json.dumps(run_case(sys.argv[2], int(sys.argv[3]))))
        return 0

    print("\n".join(run_facts()), flush=True)
    folder = Path(tempfile.mkdtemp(prefix="atelier-upload-memory-"))
    try:
        files = {}
        for _name, maker, _at_once in CASES:
            if maker not in files:
                files[maker] = folder / f"{maker}.bin"
                files[maker].write_bytes(globals()[maker]())
        template = folder / "template.sqlite3"
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"],
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "atelier.settings",
                "DATABASE_URL": f"sqlite:///{template}",
                "ATELIER_VAR_DIR": str(folder),
            },
            check=True,
        )
        rows = []
        for number, (name, maker, at_once) in enumerate(CASES):
            print(f"  [{number + 1}/{len(CASES)}] {name}, {at_once} at once", flush=True)
            row = run_in_process(folder, template, number, files[maker], at_once)
            per_upload = row["peak"] / at_once / row["decoded"]
            stored = row["outcome"] == "stored" and row["decoded"] >= MB
            rows.append(
                {
                    "case": name,
                    "file KB": files[maker].stat().st_size / 1024,
                    "decoded MB": row["decoded"] / MB,
                    "at once": at_once,
                    "peak Δ MB": row["peak"] / MB,
                    "per upload": f"{per_upload:.2f}x" if stored else None,
                    "held after MB": row["held"] / MB,
                    "outcome": row["outcome"][:70],
                }
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print()
    print_table(rows, COLUMNS, indent="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
