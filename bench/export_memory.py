"""How much memory "Download my data" takes a web process (issue 14): the
export ZIP of a gallery of 200 and of 2,000 images.

Each case runs in a fresh subprocess (fresh SQLite database and storage
folder under a temporary directory): it makes a person with ``images``
image rows whose originals are real PNG files of about 100 KB (random
pixels, so they do not compress), then writes the export with
``gallery.your_data.write_export`` into a temporary file, as the view does.
It prints the process's peak RSS growth while writing (a 2 ms RSS sampler),
the ZIP's size and the time it took. Flat memory means the peak does not grow
with the number of images.

    .venv/bin/python bench/export_memory.py            (about a minute)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import ROOT, Column, print_table, run_facts

MB = 1 << 20
CASES = [200, 2000]


def run_case(count: int) -> dict:
    import io
    import random
    import threading
    import time

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.core.management import call_command
    from PIL import Image as PILImage

    from gallery.models import Image
    from gallery.your_data import write_export

    call_command("migrate", verbosity=0)
    owner = get_user_model().objects.create_user("bench", password="x")
    noise = random.Random(1).randbytes(180 * 180 * 3)
    buffer = io.BytesIO()
    PILImage.frombytes("RGB", (180, 180), noise).save(buffer, format="PNG")
    content = buffer.getvalue()
    recipe = {"prompt": "a lighthouse at dusk, " * 10, "steps": 20, "seed": 1, "model": "x"}
    rows = []
    for n in range(count):
        name = default_storage.save(f"images/{owner.pk}/{n}.png", ContentFile(content))
        rows.append(
            Image(
                owner=owner, file=name, thumbnail=name, width=180, height=180,
                thumb_width=180, thumb_height=180, sha256=str(n), recipe=recipe,
            )
        )  # fmt: skip
    Image.objects.bulk_create(rows, batch_size=500)

    def rss() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    sampled, stop = [0], threading.Event()

    def sample():
        while not stop.wait(0.002):
            sampled[0] = max(sampled[0], rss())

    before = rss()
    sampled[0] = before
    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    with tempfile.TemporaryFile() as target:
        write_export(owner, target)
        size = target.tell()
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    return {
        "file_kb": len(content) / 1024,
        "zip_mb": size / MB,
        "peak": (sampled[0] - before) / MB,
        "seconds": seconds,
    }


COLUMNS = [
    Column("images"),
    Column("file KB", fmt=".0f"),
    Column("ZIP MB", fmt=".0f"),
    Column("peak RSS Δ MB", fmt=".1f"),
    Column("seconds", fmt=".1f"),
    Column("MB/s", fmt=".0f"),
]


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--case":
        print(json.dumps(run_case(int(sys.argv[2]))))
        return 0
    for line in run_facts():
        print(line)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for count in CASES:
            case_dir = Path(folder) / f"case{count}"
            case_dir.mkdir()
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "atelier.settings",
                "DATABASE_URL": f"sqlite:///{case_dir / 'db.sqlite3'}",
                "ATELIER_VAR_DIR": str(case_dir),
                "MEDIA_ROOT": str(case_dir / "media"),
            }
            answer = subprocess.run(
                [sys.executable, __file__, "--case", str(count)],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
            )
            if answer.returncode:
                sys.exit(f"{count} images: failed\n{answer.stderr[-3000:]}")
            result = json.loads(answer.stdout.strip().splitlines()[-1])
            rows.append(
                {
                    "images": count,
                    "file KB": result["file_kb"],
                    "ZIP MB": result["zip_mb"],
                    "peak RSS Δ MB": result["peak"],
                    "seconds": result["seconds"],
                    "MB/s": result["zip_mb"] / result["seconds"],
                }
            )
    print_table(rows, COLUMNS, title="Export ZIP: memory while writing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
