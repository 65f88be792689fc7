"""`make test`: the whole suite on SQLite and again on PostgreSQL + Redis + S3,
the two passes at the same time.

PostgreSQL is found at TEST_POSTGRES_URL (default: the local server's `test`
database). In that pass files are stored on S3 (a moto server started here)
and the cache and the job queue are on Redis (ATELIER_TEST_REDIS_URL, default
database 15 on the local server): tests/pass_services.py. When PostgreSQL
cannot be reached the pass is skipped, and when moto or Redis is missing the
pass runs without them, each saying so, except under
ATELIER_REQUIRE_SERVICES=1 (CI), where either is a failure.

Why at the same time: a pass is one pytest process, which keeps at most one
core busy: its in-process tests run one at a time, and in its integration
and browser tests it mostly waits (on the web and worker processes they
start, on Chromium, on jobs polled to the end). One pass leaves CI's second
core largely idle; two at once use it, and take nearer the longer pass's
time than the sum of both (on an integration slice: 198 s one after the
other, 102 s at once; on in-process tests, which keep a core busy each, the
gain is smaller).

What keeps them apart: each pass is its own pytest process with a folder of
its own, ATELIER_VAR_DIR=<var>/test-sqlite or <var>/test-postgres (<var>:
ATELIER_VAR_DIR if set, else var/). Under it are everything a pass would
otherwise keep in var/ (the SQLite test database, the secret key, the
default cache, media and models folders), the static files its stacks
collect (tests/stack.py), its output (pytest.log) and, for the PostgreSQL
pass, pytest's cache (the SQLite pass keeps the usual .pytest_cache, so
`pytest --lf` re-runs its failures). What they do share is safe to share:
the tiny model in .cache/ (built in a temporary folder and renamed into
place), and the servers: every stack makes a database of its own and holds
a Redis database of its own (tests/stack.py), every server binds a free
port, pytest-django's test database is only made in the PostgreSQL pass.
The browser tests run in the SQLite pass only (one database is enough for
them), so docs/screenshots/ has one writer.

Each pass's output goes to its log, printed whole when the pass ends (the
passes' lines are never interleaved); then one line sums up the passes. The
exit status is the worst of the passes'."""

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg

from tests import pass_services

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("ATELIER_VAR_DIR", ROOT / "var")).resolve()
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("ATELIER_TEST_REDIS_URL", pass_services.DEFAULT_REDIS_URL)
REQUIRED = os.environ.get("ATELIER_REQUIRE_SERVICES") == "1"
SERVICES_PASS = "PostgreSQL + Redis + S3"


def postgres_reachable(url: str) -> str | None:
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]
    return None


def redis_reachable(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return str(exc)
    return None


class Pass:
    """One pytest process, in its own folder, writing to its own log."""

    def __init__(self, name: str, title: str, label: str, env: dict, args: list[str]):
        self.title, self.label = title, label  # in the summary line; above the output
        self.folder = folder_of(name)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.log = self.folder / "pytest.log"
        self.started = time.monotonic()
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pytest", *args],
                cwd=ROOT,
                # Unbuffered: the log can be followed (tail -f) while the pass runs.
                env={**env, "ATELIER_VAR_DIR": str(self.folder), "PYTHONUNBUFFERED": "1"},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        print(f"started: {label} (output in {self.log})", flush=True)

    def status(self) -> int:
        """The exit status as a shell tells it: 128+N for a pass killed by signal N."""
        code = self.process.returncode
        return code if code >= 0 else 128 - code

    def report(self) -> None:
        minutes, seconds = divmod(round(time.monotonic() - self.started), 60)
        print(f"\n===== {self.label} ({minutes}m{seconds:02d}s) =====", flush=True)
        sys.stdout.buffer.write(self.log.read_bytes())
        sys.stdout.flush()


def folder_of(name: str) -> Path:
    return VAR / f"test-{name}"


def missing(what: str) -> None:
    print(f"\n{'FAILED' if REQUIRED else 'SKIPPED'}: {what}", flush=True)


def services_env(base: dict, moto_server) -> tuple[dict, list[str], int]:
    """The PostgreSQL pass's environment, what it runs on, and 1 if a service
    it should have is missing."""
    env = {**base, "DATABASE_URL": POSTGRES_URL}
    runs_on, failed = ["PostgreSQL"], 0
    problem = redis_reachable(REDIS_URL)
    if problem:
        missing(f"Redis in the PostgreSQL pass — {REDIS_URL} is not reachable: {problem}")
        failed = 1
    else:
        env["ATELIER_TEST_REDIS_URL"] = REDIS_URL
        runs_on.append("Redis")
    if moto_server is None:
        missing("S3 in the PostgreSQL pass — moto is not installed (pip install -e '.[dev]')")
        failed = 1
    else:
        endpoint = pass_services.endpoint_of(moto_server)
        env.update(ATELIER_TEST_S3="1", ATELIER_TEST_S3_ENDPOINT=endpoint)
        runs_on.append(f"S3 (moto at {endpoint})")
    return env, runs_on, failed


def main() -> int:
    args = sys.argv[1:]
    # Stopped (CI cancelling, kill): stop the passes too, in the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    base = {**os.environ}
    # The SQLite pass keeps files in folders and the cache in files.
    for name in (
        "DATABASE_URL",
        "ATELIER_TEST_S3",
        "ATELIER_TEST_S3_ENDPOINT",
        "ATELIER_TEST_REDIS_URL",
    ):
        base.pop(name, None)
    passes = [Pass("sqlite", "SQLite", "suite on SQLite", base, args)]
    not_run: dict[str, int] = {}
    moto_server = None
    try:
        problem = postgres_reachable(POSTGRES_URL)
        if problem:
            missing(f"the PostgreSQL pass — {POSTGRES_URL} is not reachable: {problem}")
            if REQUIRED:
                not_run[SERVICES_PASS] = 1
        else:
            moto_server = pass_services.start_moto()
            env, runs_on, failed = services_env(base, moto_server)
            if failed and REQUIRED:
                not_run[SERVICES_PASS] = failed
            else:
                cache = folder_of("postgres") / "pytest-cache"
                # The browser tests drive the same pages; one database is enough for them.
                own = ["-m", "not e2e", "-o", f"cache_dir={cache}"]
                label = f"suite on {' + '.join(runs_on)}"
                passes.append(Pass("postgres", SERVICES_PASS, label, env, [*args, *own]))
        wait_for_all(passes)
    finally:
        for running in passes:  # interrupted or stopped: stop what is still running
            if running.process.poll() is None:
                running.process.terminate()
                running.process.wait()
        if moto_server is not None:
            moto_server.stop()
    results = {p.title: p.status() for p in passes} | not_run
    print(
        "\n"
        + "  ".join(
            f"{name}: {'ok' if code == 0 else f'FAILED ({code})'}" for name, code in results.items()
        )
    )
    return max(results.values())


def wait_for_all(passes: list[Pass]) -> None:
    """Wait for every pass, printing each one's log as soon as it ends."""
    finished: queue.Queue[Pass] = queue.Queue()

    def wait(running: Pass) -> None:
        running.process.wait()
        finished.put(running)

    for running in passes:
        threading.Thread(target=wait, args=(running,), daemon=True).start()
    for _ in passes:
        finished.get().report()


if __name__ == "__main__":
    sys.exit(main())
