"""A deployment's settings: DEBUG=0 names what it lacks, and the documented
production environment passes Django's deployment checks without a warning."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = ROOT / "deploy" / "production.env.example"


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    """manage.py in a fresh process, with ``env`` and none of this process's
    settings variables (settings read the environment once)."""
    base = {name: value for name, value in os.environ.items() if name in ("PATH", "HOME", "LANG")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env(tmp_path) -> dict:
    env = dict(dotenv_values(PRODUCTION_ENV))
    assert env["DEBUG"] == "0"
    env["SECRET_KEY"] = secrets.token_urlsafe(50)  # the file holds a placeholder
    env["ATELIER_VAR_DIR"] = str(tmp_path)
    return env


def test_documented_production_env_passes_check_deploy(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_tls_check_deploy_fails_on_its_warnings(tmp_path):
    env = production_env(tmp_path)
    env["ATELIER_HTTPS"] = "0"
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_debug_0_names_each_missing_setting(tmp_path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"], env["CSRF_TRUSTED_ORIGINS"]
    result = manage("check", env=env)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "SECRET_KEY" in last_line and "CSRF_TRUSTED_ORIGINS" in last_line
    assert "ALLOWED_HOSTS" not in last_line


def test_this_machine_only_needs_no_settings(tmp_path):
    result = manage("check", env={"ATELIER_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "secret_key").exists()


def test_over_tls_plain_http_is_redirected_but_health_checks_are_not(tmp_path):
    env = production_env(tmp_path)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    script = (
        "from django.test import Client; c = Client(HTTP_HOST='atelier.example.com'); "
        "page = c.get('/explore/'); health = c.get('/healthz'); "
        "secure = c.get('/healthz', HTTP_X_FORWARDED_PROTO='https'); "
        "print(page.status_code, page.headers.get('Location'), health.status_code, "
        "'Strict-Transport-Security' in secure.headers)"
    )
    assert manage("migrate", "--noinput", env=env).returncode == 0
    result = manage("shell", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    status, location, health, hsts = result.stdout.strip().splitlines()[-1].split()
    assert (status, location) == ("301", "https://atelier.example.com/explore/")
    assert health != "301"
    assert hsts == "True"
