"""`make test`: the whole suite on SQLite, then again on PostgreSQL + Redis + S3.

PostgreSQL is found at TEST_POSTGRES_URL (default: the local server's `test`
database). In that pass files are stored on S3 (a moto server started here)
and the cache and the job queue are on Redis (ATELIER_TEST_REDIS_URL, default
database 15 on the local server): tests/pass_services.py. When PostgreSQL
cannot be reached the pass is skipped, saying so; when moto or Redis is
missing the pass runs without them, saying so, except under
ATELIER_REQUIRE_SERVICES=1 (CI), where that is a failure."""

import os
import subprocess
import sys

import psycopg

from tests import pass_services

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("ATELIER_TEST_REDIS_URL", pass_services.DEFAULT_REDIS_URL)
REQUIRED = os.environ.get("ATELIER_REQUIRE_SERVICES") == "1"


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


def pytest(label: str, env: dict, args: list[str]) -> int:
    print(f"\n===== {label} =====", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", *args], env=env)


def missing(what: str) -> None:
    print(f"\n{'FAILED' if REQUIRED else 'SKIPPED'}: {what}", flush=True)


def services_pass(base: dict, args: list[str]) -> int:
    """The PostgreSQL pass, with Redis and S3 where they are there."""
    env = {**base, "DATABASE_URL": POSTGRES_URL}
    runs_on, failed = ["PostgreSQL"], 0
    problem = redis_reachable(REDIS_URL)
    if problem:
        missing(f"Redis in the PostgreSQL pass — {REDIS_URL} is not reachable: {problem}")
        failed = 1
    else:
        env["ATELIER_TEST_REDIS_URL"] = REDIS_URL
        runs_on.append("Redis")
    server = pass_services.start_moto()
    if server is None:
        missing("S3 in the PostgreSQL pass — moto is not installed (pip install -e '.[dev]')")
        failed = 1
    else:
        endpoint = pass_services.endpoint_of(server)
        env.update(ATELIER_TEST_S3="1", ATELIER_TEST_S3_ENDPOINT=endpoint)
        runs_on.append(f"S3 (moto at {endpoint})")
    if failed and REQUIRED:
        return failed
    try:
        # The browser tests drive the same pages; one database is enough for them.
        return pytest(f"suite on {' + '.join(runs_on)}", env, [*args, "-m", "not e2e"])
    finally:
        if server is not None:
            server.stop()


def main() -> int:
    args = sys.argv[1:]
    base = {**os.environ}
    # The SQLite pass keeps files in folders and the cache in files.
    for name in (
        "DATABASE_URL",
        "ATELIER_TEST_S3",
        "ATELIER_TEST_S3_ENDPOINT",
        "ATELIER_TEST_REDIS_URL",
    ):
        base.pop(name, None)
    results = {"SQLite": pytest("suite on SQLite", base, args)}
    problem = postgres_reachable(POSTGRES_URL)
    if problem:
        print(f"\nSKIPPED: the PostgreSQL pass — {POSTGRES_URL} is not reachable: {problem}")
    else:
        results["PostgreSQL + Redis + S3"] = services_pass(base, args)
    print(
        "\n"
        + "  ".join(
            f"{name}: {'ok' if code == 0 else f'FAILED ({code})'}" for name, code in results.items()
        )
    )
    return max(results.values())


if __name__ == "__main__":
    sys.exit(main())
