"""`make test`: the whole suite on SQLite, then again on PostgreSQL.

PostgreSQL is found at TEST_POSTGRES_URL (default: the local server's `test`
database). When it cannot be reached the second pass is skipped, saying so;
CI starts the server, so there it always runs."""

import os
import subprocess
import sys

import psycopg

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")


def postgres_reachable(url: str) -> str | None:
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]
    return None


def pytest(label: str, env: dict, args: list[str]) -> int:
    print(f"\n===== {label} =====", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", *args], env=env)


def main() -> int:
    args = sys.argv[1:]
    base = {**os.environ}
    base.pop("DATABASE_URL", None)
    results = {"SQLite": pytest("suite on SQLite", base, args)}
    problem = postgres_reachable(POSTGRES_URL)
    if problem:
        print(f"\nSKIPPED: the PostgreSQL pass — {POSTGRES_URL} is not reachable: {problem}")
    else:
        env = {**base, "DATABASE_URL": POSTGRES_URL}
        # The browser tests drive the same pages; one database is enough for them.
        results["PostgreSQL"] = pytest("suite on PostgreSQL", env, [*args, "-m", "not e2e"])
    print(
        "\n"
        + "  ".join(
            f"{name}: {'ok' if code == 0 else f'FAILED ({code})'}" for name, code in results.items()
        )
    )
    return max(results.values())


if __name__ == "__main__":
    sys.exit(main())
