"""bench/feeds.py still runs end to end: a small database on SQLite, every
row and every baseline printed. The bench is run by hand and reads the app's
own functions, so a change to them could break it unseen; this runs it."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_feeds_bench_prints_every_row_and_baseline(tmp_path):
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    run = subprocess.run(
        [sys.executable, "bench/feeds.py", "--db", "sqlite", "--images", "400"]
        + ["--users", "20", "--topics", "5", "--requests", "2", "--page", "3"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout
    for line in [
        "  recent ",
        "  search 'axolotl'",
        "  recent, NSFW hidden ",
        "  image page (",
        "  API /api/v1/images/ page 1 (token)",
        "First screen of the Recent feed",
        "Baseline, the rows of the Recent feed's last page",
        "OFFSET ",
        "keyset cursor at the same page (the app)",
        "the machine's speed: a fixed pure-Python loop took ",
        "sqlite: aims met on ",
    ]:
        assert line in out, f"{line!r} missing from:\n{out}"
