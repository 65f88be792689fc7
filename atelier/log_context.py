"""Which request or job a log line belongs to, and JSON log lines.

``RequestIdMiddleware`` gives each request an id (a sane incoming
``X-Request-ID``, else a new one), keeps it in a context variable while the
request is served and echoes it in the response's ``X-Request-ID``. The job
runner does the same with the job's id (``job_context``). ``ContextFilter``
copies both onto every log record, and ``JsonFormatter`` writes a record as
one JSON object a line (``ATELIER_LOG_FORMAT=json``, settings.LOGGING)."""

import contextvars
import json
import logging
import re
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime

request_id = contextvars.ContextVar("request_id", default="")
job_id = contextvars.ContextVar("job_id", default="")

# Letters, digits and ._:- only, at most 128: what proxies and load balancers
# send (UUIDs, hex, "Root=1-..."), and nothing that could forge a log line.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:=-]{1,128}")
HEADER = "X-Request-ID"


def incoming_request_id(value: str | None) -> str:
    if value and SANE_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = incoming_request_id(request.headers.get(HEADER))
        request.request_id = rid
        token = request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response[HEADER] = rid
        return response


@contextmanager
def job_context(value):
    token = job_id.set(str(value))
    try:
        yield
    finally:
        job_id.reset(token)


class ContextFilter(logging.Filter):
    """Adds ``request_id`` and ``job_id`` (empty outside one) to each record."""

    def filter(self, record):
        # Django logs a 4xx/5xx answer after the middleware is done, with the request.
        request = getattr(record, "request", None)
        record.request_id = request_id.get() or getattr(request, "request_id", "")
        record.job_id = job_id.get()
        return True


# What every LogRecord has; anything else was passed in ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
    "job_id",
    "request",  # Django's request object; its id is request_id
}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the request and
    job ids when set, the ``extra=`` fields, and the traceback if any."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in ("request_id", "job_id"):
            value = getattr(record, name, "") or ""
            if value:
                entry[name] = value
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)
