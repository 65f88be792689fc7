"""bench/harness.py, the measuring loop and table printer every bench uses,
and bench/image_postprocess.py run end to end at one repeat."""

import os
import subprocess
import sys
from pathlib import Path

from bench.harness import Column, Stats, format_table, measure_together, transposed

ROOT = Path(__file__).resolve().parent.parent


def test_a_table_aligns_its_columns_and_shows_missing_values_as_a_dash():
    rows = [
        {"case": "recent", "p50": 9.06, "q": 4, "aims": "met"},
        {"case": "search 'axolotl'", "p50": None, "q": 12, "aims": "NOT met (q>8)"},
    ]
    columns = [Column("case"), Column("p50", fmt=".1f"), "q", Column("aims", align="<")]
    assert format_table(rows, columns, title="feeds").splitlines() == [
        "feeds",
        "  case              p50   q  aims",
        "  recent            9.1   4  met",
        "  search 'axolotl'    -  12  NOT met (q>8)",
    ]


def test_a_table_of_phases_has_a_column_per_phase():
    phases = [{"name": "1 client", "ms": [1.0, 2.0, 3.0]}, {"name": "50 clients", "ms": []}]
    metrics = [("enqueue p50 (ms)", ".1f", lambda ph: Stats.of(ph["ms"]).p50)]
    rows, columns = transposed(phases, metrics, name=lambda ph: ph["name"])
    assert format_table(rows, columns).splitlines() == [
        "                    1 client  50 clients",
        "  enqueue p50 (ms)       2.0           -",
    ]


def test_measure_runs_each_case_warmup_plus_repeat_times_in_turn():
    calls = []
    timings = measure_together([lambda: calls.append("a"), lambda: calls.append("b")], 3, 1)
    assert calls == ["a", "b"] * 4
    assert [t.wall.n for t in timings] == [3, 3]
    assert all(t.wall.p50 >= 0 and t.cpu.p50 >= 0 for t in timings)


def test_stats_interpolate_between_ranks():
    stats = Stats.of([1, 2, 3, 4, 5], scale=10)
    assert (stats.n, stats.p50, stats.p95, stats.max) == (5, 30, 48, 50)


def test_the_image_postprocess_bench_prints_both_tables():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    run = subprocess.run(
        [sys.executable, "bench/image_postprocess.py", "--repeat", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.splitlines()
    assert "  side  encode_png  make_thumbnail  image_to_thumbhash  make_preview" in lines
    assert [
        line.split()[0] for line in lines if line.startswith(("    64", "   512", "  1024"))
    ] == [
        "64",
        "512",
        "1024",
    ]
    header = next(i for i, line in enumerate(lines) if line.split() == ["level", "ms", "KiB"])
    assert [line.split()[0] for line in lines[header + 1 :]] == ["1", "3", "6", "9"]
