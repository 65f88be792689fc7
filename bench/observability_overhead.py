"""What the observability middleware costs a request, in-process.

Times 1000 calls of a trivial view (an empty 200) through: nothing, the
request-id middleware, the metrics middleware (histogram by route), both,
and both with the JSON access line written (ATELIER_LOG_FORMAT=json, to a
null stream). ``--multiproc`` runs with PROMETHEUS_MULTIPROC_DIR set (a
temporary folder), as under ``manage.py serve``, where each observation
writes to a memory-mapped file.

    .venv/bin/python bench/observability_overhead.py [--repeat 30] [--multiproc]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

from harness import Column, measure_together, print_table, run_facts, setup_django, yardstick_ms

CALLS = 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--multiproc", action="store_true")
    args = parser.parse_args()
    if args.multiproc:  # before prometheus_client is imported
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bench-metrics-")
    setup_django()
    import io
    import logging

    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.urls import resolve

    from atelier.log_context import ContextFilter, JsonFormatter, RequestIdMiddleware
    from atelier.metrics import RequestMetricsMiddleware

    request = RequestFactory().get("/healthz", HTTP_X_REQUEST_ID="bench-1")
    request.resolver_match = resolve("/healthz")

    def view(request):
        return HttpResponse(b"")

    def chain(*layers):
        handler = view
        for layer in reversed(layers):
            handler = layer(handler)
        return handler

    access = logging.getLogger("atelier.access")
    handler = logging.StreamHandler(io.StringIO())
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())

    def with_access_log(fn):
        def run():
            access.setLevel(logging.INFO)
            access.addHandler(handler)
            access.propagate = False
            try:
                fn()
            finally:
                access.removeHandler(handler)
                access.setLevel(logging.WARNING)
                access.propagate = True
                handler.stream.seek(0)
                handler.stream.truncate()

        return run

    def calls(handler):
        def run():
            for _ in range(CALLS):
                handler(request)

        return run

    access.setLevel(logging.WARNING)
    cases = [
        ("no middleware", calls(view)),
        ("request id", calls(chain(RequestIdMiddleware))),
        ("metrics", calls(chain(RequestMetricsMiddleware))),
        ("both", calls(chain(RequestIdMiddleware, RequestMetricsMiddleware))),
        (
            "both + JSON access line",
            with_access_log(calls(chain(RequestIdMiddleware, RequestMetricsMiddleware))),
        ),
    ]
    timings = measure_together([fn for _, fn in cases], args.repeat)
    base = timings[0].wall.p50
    rows = [
        {
            "case": name,
            "p50": t.wall.p50 * 1000 / CALLS,
            "p95": t.wall.p95 * 1000 / CALLS,
            "added": (t.wall.p50 - base) * 1000 / CALLS,
        }
        for (name, _), t in zip(cases, timings, strict=True)
    ]
    for line in run_facts(f", multiprocess mode: {'yes' if args.multiproc else 'no'}"):
        print(line)
    print_table(
        rows,
        [
            Column("case", "case"),
            Column("p50", "µs/request p50", ".1f"),
            Column("p95", "µs/request p95", ".1f"),
            Column("added", "added µs (p50)", ".1f"),
        ],
    )
    print(f"yardstick: {yardstick_ms():.1f} ms")


if __name__ == "__main__":
    sys.exit(main())
