"""A running Atelier for tests: real web server and real Celery worker in
their own processes, on a fresh database and a fresh storage folder.

Services (PostgreSQL, Redis, MariaDB) are used when reachable; a test that
needs one skips, saying so, unless ATELIER_REQUIRE_SERVICES=1 (CI), where an
unreachable server is a failure."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
MARIADB_URL = os.environ.get("TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


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

            parts = httpx.URL(url)
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

    def drop(self):
        if self.kind == "postgres":
            self._admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        elif self.kind == "mariadb":
            self._admin(MARIADB_URL, f"DROP DATABASE IF EXISTS `{self.name}`")


class Stack:
    def __init__(self, *, database="sqlite", broker="sqlite", tiny_model: Path, extra_env=None):
        self.folder = Path(tempfile.mkdtemp(prefix="atelier-stack-"))
        self.database = Database(database, self.folder)
        if broker == "sqlite":
            broker_url = f"atelier-sqla+sqlite:///{self.folder / 'broker.sqlite3'}"
        elif broker == "redis":
            broker_url = require_redis()
        else:
            raise ValueError(broker)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.media = self.folder / "media"
        self.env = {
            **os.environ,
            "ATELIER_VAR_DIR": str(self.folder),
            "STATIC_ROOT": str(ROOT / ".cache" / "static"),
            "DATABASE_URL": self.database.url,
            "CELERY_BROKER_URL": broker_url,
            "ATELIER_DEFAULT_MODEL": "tiny",
            "ATELIER_TINY_MODEL_PATH": str(tiny_model),
            "ATELIER_TORCH_THREADS": "1",
            "SECRET_KEY": "test-" + uuid.uuid4().hex,
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.processes: dict[str, subprocess.Popen] = {}

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
        for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
            result = self.manage(*command, check=False)
            if result.returncode:
                raise AssertionError(f"{command[0]} failed:\n{result.stdout}\n{result.stderr}")
        self.start_web()
        if worker:
            self.start_worker()
        return self

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 - closed with the stack
        process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=log)
        self.processes[name] = process
        return process

    def start_web(self):
        self._spawn(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "atelier.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--threads",
                "8",
            ],
        )
        wait_for(self._healthy, timeout=60, what="the web server's /healthz")

    def _healthy(self):
        if self.processes["web"].poll() is not None:
            raise AssertionError("the web server exited:\n" + self.log("web"))
        try:
            return httpx.get(self.url + "/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def start_worker(self, name="worker") -> subprocess.Popen:
        from atelier.management.commands.serve import worker_command

        return self._spawn(name, worker_command(sys.executable))

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace")[-5000:] if path.exists() else ""

    def stop(self):
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.database.drop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def media_files(self) -> list[Path]:
        return sorted(p for p in self.media.rglob("*") if p.is_file())


class Browser:
    """A person with a cookie jar talking to the stack over HTTP, forms and all."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self.http = httpx.Client(base_url=stack.url, timeout=30, follow_redirects=False)

    def csrf(self, path: str) -> str:
        page = self.http.get(path)
        assert page.status_code == 200, (path, page.status_code)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def post_form(self, path: str, data: dict, **kwargs) -> httpx.Response:
        token = self.csrf(path)
        return self.http.post(
            path,
            data={"csrfmiddlewaretoken": token, **data},
            headers={"Referer": self.stack.url + path},
            **kwargs,
        )

    def signup(self, username: str, password: str = "a-long-Passw0rd!") -> httpx.Response:
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
