"""A running Atelier for tests: real web server and real Celery worker in
their own processes, on a fresh database and a fresh storage folder.

Services (PostgreSQL, Redis, MariaDB) are used when reachable; a test that
needs one skips, saying so, unless ATELIER_REQUIRE_SERVICES=1 (CI), where an
unreachable server is a failure."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import httpx2
import pytest

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
MARIADB_URL = os.environ.get("TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# Where the stacks' collectstatic writes: one folder for every stack of a test
# run (after the first stack, collectstatic has next to nothing to copy), in
# the run's ATELIER_VAR_DIR, so that two runs at once (tests/run_all.py's
# passes) never rewrite the manifest or the files the other's servers read.
STATIC_ROOT = Path(os.environ.get("ATELIER_VAR_DIR", ROOT / "var")).resolve() / "stack-static"


def wait_for(condition: Callable[[], object], *, timeout: float, what: str, interval=0.05):
    """Poll ``condition`` until it returns something truthy, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def service_unavailable(name: str, reason: str):
    message = f"{name} is not reachable ({reason})"
    if os.environ.get("ATELIER_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " — CI must start it", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_redis(url: str = REDIS_URL) -> str:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        service_unavailable("Redis", str(exc))
    return url


# Stacks on one Redis database share its queues: a worker of one stack takes
# another stack's job ids, finds no such job in its own database and drops
# them. A stack that must lose no job (fault and load tests) takes a database
# of its own: 0 is the shared default, 14 is bench/job_overhead.py's.
OWN_REDIS_DATABASES = range(1, 14)
REDIS_LOCK = "atelier:stack-lock"


class RedisDatabase:
    """A Redis database number held by this stack alone while it runs."""

    def __init__(self, url: str = REDIS_URL):
        import redis

        require_redis(url)
        self.token = uuid.uuid4().hex
        for number in OWN_REDIS_DATABASES:
            self.url = re.sub(r"(/\d*)?$", f"/{number}", url.rstrip("/"), count=1)
            self.client = redis.Redis.from_url(self.url)
            if self.client.set(REDIS_LOCK, self.token, nx=True, ex=3600):
                for key in self.client.scan_iter(count=1000):  # what a crashed stack left
                    if key != REDIS_LOCK.encode():
                        self.client.delete(key)
                return
        service_unavailable("Redis", f"no free database among {list(OWN_REDIS_DATABASES)}")

    def release(self):
        if self.client.get(REDIS_LOCK) == self.token.encode():
            self.client.flushdb()


class Database:
    """A throwaway database: a SQLite file, or a new PostgreSQL/MariaDB database."""

    def __init__(self, kind: str, folder: Path):
        self.kind = kind
        self.name = f"atelier_it_{uuid.uuid4().hex[:10]}"
        if kind == "sqlite":
            self.url = f"sqlite:///{folder / 'db.sqlite3'}"
        elif kind == "postgres":
            self._admin(POSTGRES_URL, f'CREATE DATABASE "{self.name}"')
            self.url = re.sub(r"/[^/]*$", f"/{self.name}", POSTGRES_URL)
        elif kind == "mariadb":
            self._admin(MARIADB_URL, f"CREATE DATABASE `{self.name}` CHARACTER SET utf8mb4")
            self.url = re.sub(r"/[^/]*$", f"/{self.name}", MARIADB_URL)
        else:
            raise ValueError(kind)

    def _admin(self, url, statement):
        if self.kind == "postgres":
            import psycopg

            try:
                with psycopg.connect(url, autocommit=True, connect_timeout=3) as conn:
                    conn.execute(statement)
            except psycopg.OperationalError as exc:
                service_unavailable("PostgreSQL", str(exc).strip())
        else:
            import pymysql

            parts = httpx2.URL(url)
            try:
                conn = pymysql.connect(
                    host=parts.host,
                    port=parts.port or 3306,
                    user=parts.username or "root",
                    password=parts.password or "",
                    connect_timeout=3,
                    autocommit=True,
                )
            except pymysql.err.OperationalError as exc:
                service_unavailable("MariaDB", str(exc))
            with closing(conn), conn.cursor() as cursor:
                cursor.execute(statement)

    def query(self, statement: str) -> list[tuple]:
        """The rows of a read-only statement, read from outside the stack's
        processes: cheap enough to poll (``Stack.shell`` starts Django)."""
        if self.kind == "sqlite":
            path = self.url.removeprefix("sqlite:///")
            with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as db:
                return db.execute(statement).fetchall()
        if self.kind == "postgres":
            import psycopg

            with psycopg.connect(self.url, connect_timeout=3) as conn:
                return conn.execute(statement).fetchall()
        import pymysql

        parts = httpx2.URL(self.url)
        conn = pymysql.connect(
            host=parts.host,
            port=parts.port or 3306,
            user=parts.username or "root",
            password=parts.password or "",
            database=self.name,
        )
        with closing(conn), conn.cursor() as cursor:
            cursor.execute(statement)
            return list(cursor.fetchall())

    def drop(self):
        if self.kind == "postgres":
            self._admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        elif self.kind == "mariadb":
            self._admin(MARIADB_URL, f"DROP DATABASE IF EXISTS `{self.name}`")


class Stack:
    def __init__(
        self,
        *,
        database="sqlite",
        broker="sqlite",
        tiny_model: Path,
        extra_env=None,
        own_redis_database=True,
    ):
        """``own_redis_database``: on Redis, hold a database number no other
        stack uses meanwhile (see ``RedisDatabase``), so that no job is lost
        to another stack's worker."""
        self.redis = None
        if broker == "sqlite":
            broker_url = None
        elif broker == "redis" and own_redis_database:
            self.redis = RedisDatabase()
            broker_url = self.redis.url
        elif broker == "redis":
            broker_url = require_redis()
        else:
            raise ValueError(broker)
        self.folder = Path(tempfile.mkdtemp(prefix="atelier-stack-"))
        self.database = Database(database, self.folder)
        broker_url = broker_url or f"atelier-sqla+sqlite:///{self.folder / 'broker.sqlite3'}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.media = self.folder / "media"
        self.env = {
            **os.environ,
            "ATELIER_VAR_DIR": str(self.folder),
            "STATIC_ROOT": str(STATIC_ROOT),
            "DATABASE_URL": self.database.url,
            "CELERY_BROKER_URL": broker_url,
            "ATELIER_DEFAULT_MODEL": "tiny",
            "ATELIER_TINY_MODEL_PATH": str(tiny_model),
            "ATELIER_TORCH_THREADS": "1",
            "SECRET_KEY": "test-" + uuid.uuid4().hex,
            "PYTHONUNBUFFERED": "1",
            # Stacks submit hundreds of jobs from one address: no rate limits
            # (tests/test_rate_limits_pages.py and api/tests cover them).
            "ATELIER_RATE_GENERATIONS": "",
            "ATELIER_RATE_GENERATIONS_IP": "",
            "ATELIER_RATE_TOKEN_AUTH": "",
            "ATELIER_RATE_TOKEN_AUTH_IP": "",
            "ATELIER_RATE_COMMENTS": "",
            # Visitors' pages show a like after this many seconds (gallery/hot_pages.py):
            # 1, not 10, for the browser tests that check a like on a visitor's page.
            "ATELIER_HOT_PAGE_SECONDS": "1",
            **(extra_env or {}),
        }
        self.processes: dict[str, subprocess.Popen] = {}
        self._spawned: list[subprocess.Popen] = []  # every process, killed ones included

    def manage(self, *args: str, check=True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=check,
            capture_output=True,
            text=True,
        )

    def start(self, *, worker=True) -> Stack:
        self.migrate()
        self.start_web()
        if worker:
            self.start_worker()
        return self

    def migrate(self) -> None:
        for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
            result = self.manage(*command, check=False)
            if result.returncode:
                raise AssertionError(f"{command[0]} failed:\n{result.stdout}\n{result.stderr}")

    def serve(self, *args: str) -> subprocess.Popen:
        """``manage.py serve`` (what ``make run`` runs: web server, workers and
        reaper under one supervising process), logging to ``serve.log``."""
        self.migrate()
        command = [sys.executable, "manage.py", "serve", "--port", str(self.port), *args]
        process = self._spawn("serve", command)
        wait_for(lambda: self._healthy("serve"), timeout=60, what="the web server's /healthz")
        return process

    def _spawn(self, name: str, command: list[str], env=None) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 - closed with the stack
        process = subprocess.Popen(
            command, cwd=ROOT, env={**self.env, **(env or {})}, stdout=log, stderr=log
        )
        self.processes[name] = process
        self._spawned.append(process)
        return process

    def start_web(self, *, workers=1, extra_args=()):
        """gunicorn with ``workers`` uvicorn processes (one by default;
        ``make run`` serves 2), started as ``make run`` starts it
        (``serve.web_command``), plus any ``extra_args`` (e.g. an access log
        for a benchmark)."""
        from atelier.management.commands.serve import web_command

        bind = f"127.0.0.1:{self.port}"
        command = web_command(sys.executable, bind, workers=workers)
        self._spawn("web", [*command, *extra_args])
        wait_for(self._healthy, timeout=60, what="the web server's /healthz")

    def _healthy(self, process="web"):
        if self.processes[process].poll() is not None:
            raise AssertionError("the web server exited:\n" + self.log(process))
        try:  # serving: without a worker yet, /healthz says "degraded" (503)
            answer = httpx2.get(self.url + "/healthz", timeout=2)
            return answer.status_code in (200, 503) and answer.json()["database"] == "ok"
        except (httpx2.HTTPError, ValueError):
            return False

    def start_worker(self, name="worker", *, queues="gpu,remote", env=None) -> subprocess.Popen:
        """A Celery worker as ``make run`` starts one (``serve.worker_command``),
        for ``queues``, with ``env`` added to the stack's. Its node name is its
        own, so that several can run side by side."""
        from atelier.management.commands.serve import worker_command

        command = worker_command(sys.executable, queues)
        command[command.index("--hostname") + 1] = f"{name}-{uuid.uuid4().hex[:8]}@%h"
        return self._spawn(name, command, env)

    def start_reaper(self, every: float = 1.0) -> subprocess.Popen:
        return self._spawn(
            "reaper", [sys.executable, "manage.py", "reap_jobs", "--every", str(every)]
        )

    def kill(self, name: str) -> None:
        """SIGKILL the process: no clean-up of any kind, as when the OOM killer strikes."""
        process = self.processes[name]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def shell(self, code: str):
        """Run ``code`` in ``manage.py shell`` against the stack's database; the
        JSON it prints last is the answer."""
        result = self.manage("shell", "-c", code, check=False)
        if result.returncode:
            raise AssertionError(f"manage.py shell failed:\n{result.stdout}\n{result.stderr}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    def add_preset(self, key: str, **fields) -> None:
        """A model preset row, as an admin would add one (e.g. for a fake engine)."""
        self.shell(
            "import json; from studio.models import ModelPreset; "
            f"ModelPreset.objects.update_or_create(key={key!r}, defaults={fields!r}); "
            "print(json.dumps(True))"
        )

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace")[-5000:] if path.exists() else ""

    def stop(self):
        for process in self._spawned:
            if process.poll() is None:
                process.terminate()
        for process in self._spawned:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.database.drop()
        if self.redis:
            self.redis.release()
        shutil.rmtree(self.folder, ignore_errors=True)

    def media_files(self) -> list[Path]:
        return sorted(p for p in self.media.rglob("*") if p.is_file())


def api_client(stack: Stack, username: str, password: str = "a-long-Passw0rd!") -> httpx2.Client:
    """A new account's API client: signed up through the site, then an API token."""
    Browser(stack).signup(username, password)
    http = httpx2.Client(base_url=stack.url, timeout=30)
    answer = http.post("/api/v1/auth/token/", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    http.headers["Authorization"] = "Token " + answer.json()["token"]
    return http


class Browser:
    """A person with a cookie jar talking to the stack over HTTP, forms and all."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self.http = httpx2.Client(base_url=stack.url, timeout=30, follow_redirects=False)

    def csrf(self, path: str) -> str:
        page = self.http.get(path)
        assert page.status_code == 200, (path, page.status_code)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def post_form(self, path: str, data: dict, **kwargs) -> httpx2.Response:
        token = self.csrf(path)
        return self.http.post(
            path,
            data={"csrfmiddlewaretoken": token, **data},
            headers={"Referer": self.stack.url + path},
            **kwargs,
        )

    def signup(self, username: str, password: str = "a-long-Passw0rd!") -> httpx2.Response:
        response = self.post_form(
            "/accounts/signup/",
            {
                "username": username,
                "email": f"{username}@example.com",
                "password1": password,
                "password2": password,
            },
        )
        assert response.status_code == 302, response.text[:2000]
        return response
