"""Errors reported to Sentry when SENTRY_DSN is set (atelier/error_reporting.py),
against a local server speaking Sentry's envelope endpoint."""

import gzip
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
import sentry_sdk
from django.urls import path

from atelier.error_reporting import init_sentry
from atelier.urls import urlpatterns as site_urls

REPO = Path(__file__).resolve().parent.parent


def broken_view(request):
    raise ZeroDivisionError("the view divided by zero")


urlpatterns = [path("boom", broken_view, name="boom"), *site_urls]


def envelope_items(body: bytes, encoding: str) -> list[tuple[dict, dict]]:
    """(item header, item payload) pairs of one envelope."""
    if encoding == "gzip":
        body = gzip.decompress(body)
    elif encoding == "deflate":
        body = zlib.decompress(body)
    elif encoding == "br":
        import brotli

        body = brotli.decompress(body)
    lines = body.split(b"\n")
    items = []
    for index in range(1, len(lines) - 1, 2):
        if lines[index].strip():
            items.append((json.loads(lines[index]), json.loads(lines[index + 1])))
    return items


@pytest.fixture
def fake_sentry(httpserver):
    httpserver.expect_request("/api/42/envelope/", method="POST").respond_with_json({"id": "x"})
    init_sentry(
        f"http://publickey@{httpserver.host}:{httpserver.port}/42",
        environment="test",
        traces_sample_rate=0,
    )
    yield httpserver
    sentry_sdk.init()  # no DSN: reporting off again


def test_an_error_in_a_view_is_reported(client, db, settings, fake_sentry):
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    response = client.post("/boom", {"prompt": "a secret prompt"})
    assert response.status_code == 500
    sentry_sdk.flush(timeout=10)
    items = [
        item
        for request, _ in fake_sentry.log
        for item in envelope_items(request.get_data(), request.headers.get("Content-Encoding", ""))
    ]
    events = [payload for header, payload in items if header.get("type") == "event"]
    assert len(events) == 1
    (exception,) = events[0]["exception"]["values"]
    assert exception["type"] == "ZeroDivisionError"
    assert exception["value"] == "the view divided by zero"
    assert events[0]["environment"] == "test"
    assert events[0]["transaction"] == "/boom"
    assert "a secret prompt" not in json.dumps(items)
    assert fake_sentry.log[0][0].headers["X-Sentry-Auth"].count("sentry_key=publickey") == 1


SHOW_CLIENT = (
    "import django; django.setup()\n"
    "import sentry_sdk\n"
    "client = sentry_sdk.get_client()\n"
    "print(client.is_active(), sorted(client.integrations))\n"
)


def started_with(tmp_path, **env_vars):
    env = {name: value for name, value in os.environ.items() if name != "SENTRY_DSN"}
    env.update(ATELIER_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="atelier.settings")
    env.update(env_vars)
    done = subprocess.run(
        [sys.executable, "-c", SHOW_CLIENT], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_process_reports_with_the_django_and_celery_integrations_only_with_a_dsn(tmp_path):
    with_dsn = started_with(tmp_path, SENTRY_DSN="http://key@127.0.0.1:9/1")
    assert with_dsn.startswith("True") and "'django'" in with_dsn and "'celery'" in with_dsn
    assert started_with(tmp_path).startswith("False")
