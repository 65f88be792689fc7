"""What every bench shares: one measuring loop, one table printer, the lines
that head each run's output (command, date, machine) and the machine-speed
yardstick.

Each bench reads the same way: set up, a list of cases (plain data: a name,
what to run, an aim if it has one), ``measure`` each, ``print_table``.
"""

from __future__ import annotations

import os
import platform
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # this tree's code, whatever else is installed
    sys.path.insert(0, str(ROOT))


# --- measuring --------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Stats:
    """The spread of some measured values, in their own unit."""

    n: int
    p50: float
    p95: float
    p99: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float], scale: float = 1.0) -> Stats:
        if not values:
            nan = float("nan")
            return cls(0, nan, nan, nan, nan)
        scaled = [v * scale for v in values]
        return cls(
            len(scaled),
            percentile(scaled, 50),
            percentile(scaled, 95),
            percentile(scaled, 99),
            max(scaled),
        )


@dataclass(frozen=True)
class Timing:
    """Wall clock and this process's CPU time of one case, in ms."""

    wall: Stats
    cpu: Stats


def measure(fn: Callable[[], object], repeat: int, warmup: int = 3) -> Timing:
    """Run ``fn`` ``warmup`` times unmeasured, then ``repeat`` times measured."""
    return measure_together([fn], repeat, warmup)[0]


def measure_together(fns: Sequence[Callable[[], object]], repeat: int, warmup: int = 3):
    """Like ``measure`` for several cases, taking turns so that a slower
    moment of the machine hits them alike; one Timing per case."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    wall: list[list[float]] = [[] for _ in fns]
    cpu: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            cpu[i].append(time.process_time() - start_cpu)
            wall[i].append(time.perf_counter() - start)
    return [Timing(Stats.of(w, 1000), Stats.of(c, 1000)) for w, c in zip(wall, cpu, strict=True)]


def yardstick_ms(rounds: int = 15) -> float:
    """The p50 ms of a fixed piece of pure Python (no I/O, no database): how
    fast the machine is right now; lower is faster."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        total = 0
        for i in range(200_000):
            total += i * i % 7
        times.append((time.perf_counter() - start) * 1000)
    return percentile(times, 50)


# --- printing ---------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a table: the row key it shows, its header, the format of
    its numbers (``str.format`` spec, e.g. ``.1f``) and its alignment (by
    default the first column, the case's name, left, every other right)."""

    key: str
    header: str | None = None
    fmt: str = ""
    align: str = ""


def format_table(
    rows: Sequence[dict],
    columns: Sequence[Column | str],
    title: str | None = None,
    indent: str = "  ",
) -> str:
    """Rows (dicts) as a text table, each column as wide as its widest cell, a
    missing value as "-"."""
    columns = [c if isinstance(c, Column) else Column(c) for c in columns]

    def cell(row: dict, column: Column) -> str:
        return format_cell(row.get(column.key), column.fmt)

    headers = [c.header if c.header is not None else c.key for c in columns]
    cells = [[cell(row, c) for c in columns] for row in rows]
    widths = [max(len(line[i]) for line in [headers, *cells]) for i in range(len(columns))]
    aligns = [c.align or ("<" if i == 0 else ">") for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        parts = zip(values, widths, aligns, strict=True)
        return (indent + "  ".join(f"{v:{a}{w}}" for v, w, a in parts)).rstrip()

    lines = [title] if title else []
    lines += [line(headers), *(line(values) for values in cells)]
    return "\n".join(lines)


def format_cell(value, fmt: str = "") -> str:
    """A table cell: text as it is, a number in ``fmt``, nothing (None, NaN) as "-"."""
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    return value if isinstance(value, str) else format(value, fmt)


def transposed(cases: Sequence, metrics: Sequence[tuple], name=lambda case: case.name) -> tuple:
    """Rows and columns for a table with a column per case (a run's phases)
    and a row per metric: (name, number format, the value of a case)."""
    rows = [
        {"": metric, **{name(case): format_cell(value(case), fmt) for case in cases}}
        for metric, fmt, value in metrics
    ]
    return rows, ["", *(name(case) for case in cases)]


def print_table(rows, columns, title: str | None = None, indent: str = "  ") -> None:
    print(format_table(rows, columns, title, indent), flush=True)


def verdict(misses: Sequence[str]) -> str:
    """An aims cell: "met", or "NOT met (what missed)"."""
    return "met" if not misses else "NOT met (" + ", ".join(misses) + ")"


# --- the run's facts and set-up -----------------------------------------------------


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def run_facts(machine_extra: str = "") -> list[str]:
    """The first lines of every bench's output: the command as run from the
    repository root, the date, the machine (``machine_extra`` appended) and
    its load average before the run."""
    python = Path(sys.executable)
    if python.is_relative_to(ROOT):
        python = python.relative_to(ROOT)
    script = Path(sys.argv[0]).resolve()
    if script.is_relative_to(ROOT):
        script = script.relative_to(ROOT)
    return [
        f"command: {shlex.join([str(python), str(script), *sys.argv[1:]])}",
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"machine: {os.cpu_count()} CPUs, {platform.platform()},"
        f" Python {platform.python_version()}{machine_extra}",
        f"load average before the run: {load_average()}",
    ]


def setup_django() -> None:
    """Django set up in this process, from the repository root."""
    import logging
    import warnings

    warnings.filterwarnings("ignore", "No directory at", UserWarning)  # no collectstatic
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atelier.settings")
    import django

    django.setup()
    for noisy in ("httpx2", "websockets", "werkzeug"):  # not one line per request
        logging.getLogger(noisy).setLevel(logging.WARNING)


def tiny_model() -> Path:
    """The tiny random-weight pipeline, built into .cache/ if missing."""
    from studio.backends.tiny_model import TINY_MODEL_VERSION, build_tiny_pipeline

    return build_tiny_pipeline(ROOT / ".cache" / f"tiny-model-v{TINY_MODEL_VERSION}")


def redis_reachable(url: str) -> str | None:
    """None when Redis answers, else why not."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return str(exc)
    return None


def stack_db_path(stack) -> str:
    """The file of a test stack's SQLite database."""
    import dj_database_url

    return dj_database_url.parse(stack.env["DATABASE_URL"])["NAME"]


def epoch(value: str) -> float:
    """A DateTimeField as SQLite stores it (naive UTC text) → time.time() seconds."""
    return datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp()
