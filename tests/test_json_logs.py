"""Request and job ids on log lines, and the JSON log format
(atelier/log_context.py)."""

import io
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from atelier.log_context import ContextFilter, JsonFormatter
from studio import runner
from studio.runner import run_job
from studio.tests.test_job_page import make_job

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def json_lines():
    """What the JSON console handler writes, as parsed lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    root, access = logging.getLogger(), logging.getLogger("atelier.access")
    root.addHandler(handler)
    level = access.level
    access.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        access.setLevel(level)


def test_a_sane_incoming_request_id_is_kept_and_echoed(client, db):
    response = client.get("/", HTTP_X_REQUEST_ID="lb-7f3a.2")
    assert response["X-Request-ID"] == "lb-7f3a.2"


@pytest.mark.parametrize("given", [None, "", "two words", "x" * 129, 'a"}\n{"forged": 1'])
def test_otherwise_a_new_id_is_made(client, db, given):
    headers = {} if given is None else {"HTTP_X_REQUEST_ID": given}
    response = client.get("/", **headers)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_every_line_of_a_request_carries_its_id(client, db, json_lines):
    response = client.get("/no/such/page", HTTP_X_REQUEST_ID="req-42")
    assert response.status_code == 404
    lines = [line for line in json_lines() if line.get("request_id") == "req-42"]
    by_logger = {line["logger"]: line for line in lines}
    # Django's own warning about the 404, and the access line.
    assert by_logger["django.request"]["level"] == "WARNING"
    assert "Not Found" in by_logger["django.request"]["message"]
    access = by_logger["atelier.access"]
    assert access["message"] == "GET /no/such/page 404"
    assert access["route"] == "unmatched" and access["status"] == 404
    # Nothing logged after the request still says it.
    logging.getLogger("after").warning("later")
    assert "request_id" not in json_lines()[-1]


def test_every_line_of_a_job_carries_its_id(owner, json_lines, monkeypatch, tiny_settings):
    class Broken:
        def generate(self, request, report, should_cancel):
            logging.getLogger("studio.backends.broken").info("loading")
            raise RuntimeError("engine fell over")

    monkeypatch.setattr(runner, "get_backend", lambda name, options: Broken())
    job = make_job(owner)
    run_job(str(job.pk))
    job.refresh_from_db()
    assert job.status == "failed" and "RuntimeError" in job.error
    lines = [line for line in json_lines() if line.get("job_id") == str(job.pk)]
    assert [line["message"] for line in lines] == [
        "loading",
        f"generation job {job.pk} failed",
    ]
    assert "RuntimeError: engine fell over" in lines[1]["exception"]
    logging.getLogger("after").warning("later")
    assert "job_id" not in json_lines()[-1]


def test_log_format_json_makes_the_console_write_json(tmp_path):
    script = (
        "import django, logging; django.setup()\n"
        "from atelier.log_context import job_context\n"
        "with job_context('job-1'):\n"
        "    logging.getLogger('studio.x').warning('hello %s', 'there', extra={'step': 3})\n"
    )
    env = {**os.environ, "ATELIER_LOG_FORMAT": "json", "ATELIER_VAR_DIR": str(tmp_path)}
    env["DJANGO_SETTINGS_MODULE"] = "atelier.settings"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello there" and line["level"] == "WARNING"
    assert line["logger"] == "studio.x" and line["job_id"] == "job-1" and line["step"] == 3

    env["ATELIER_LOG_FORMAT"] = "text"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.stderr.strip().splitlines()[-1] == "hello there"


def test_celerys_own_lines_about_a_job_task_carry_its_id(owner, json_lines):
    """Lines logged around the runner, as Celery's "Task ... succeeded" line
    is: between the task's prerun and postrun signals (studio/tasks.py)."""
    from celery.signals import task_success

    from studio.tasks import run_generation_job

    def after(sender, **kwargs):
        logging.getLogger("celery.app.trace").info("Task succeeded")

    job = make_job(owner)
    type(job).objects.filter(pk=job.pk).update(model="deleted-model")
    task_success.connect(after, sender=run_generation_job, weak=False)
    try:
        run_generation_job.apply(args=[str(job.pk)])
    finally:
        task_success.disconnect(after, sender=run_generation_job)
    (line,) = [line for line in json_lines() if line["message"] == "Task succeeded"]
    assert line["job_id"] == str(job.pk)
    logging.getLogger("after").warning("later")
    assert "job_id" not in json_lines()[-1]
