"""The project's Celery worker, with a stopwatch on each stage of a job.

``job_overhead.py --breakdown`` starts this instead of the plain worker. It is
the same worker (same command line, same settings, same code); the only
difference is that a few functions of ``studio.runner`` and ``gallery.storing``
are wrapped so that their start and end times are recorded. Each job appends
one JSON line to the file named by ``BENCH_PROBE_LOG``:

    {"job": id, "received": t, "events": [[stage, start, end], ...]}

Times are ``time.time()`` seconds (the same clock as the job row's
timestamps). A wrapper costs about a microsecond, far below what it measures.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Recorder:
    def __init__(self, path: str):
        self.path = path
        self.received = None
        self.events: list[list] = []

    def timed(self, stage: str, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            start = time.time()
            try:
                return function(*args, **kwargs)
            finally:
                self.events.append([stage, start, time.time()])

        return wrapper

    def flush(self, job_id: str):
        line = {"job": str(job_id), "received": self.received, "events": self.events}
        with open(self.path, "a") as log:
            log.write(json.dumps(line) + "\n")
        self.received = None
        self.events = []


class TimedBackend:
    """Stands in for the engine ``get_backend`` returns, timing ``generate``."""

    def __init__(self, backend, recorder: Recorder):
        self._backend = backend
        self.generate = recorder.timed("generate", backend.generate)

    def __getattr__(self, name):
        return getattr(self._backend, name)


def install(recorder: Recorder) -> None:
    from celery import signals
    from django.core.files.storage import FileSystemStorage

    import gallery.storing as storing
    import studio.runner as runner

    def on_received(**_):
        recorder.received = time.time()

    signals.task_received.connect(on_received, weak=False)

    original_run_job = runner.run_job

    def run_job(job_id):
        start = time.time()
        try:
            return original_run_job(job_id)
        finally:
            recorder.events.append(["run_job", start, time.time()])
            recorder.flush(job_id)

    runner.run_job = run_job  # studio.tasks imports it at call time

    get_backend = runner.get_backend
    runner.get_backend = recorder.timed(
        "get_backend", lambda *args, **kwargs: TimedBackend(get_backend(*args, **kwargs), recorder)
    )
    for name in ("claim", "build_request", "save_result", "encode_png", "store_image", "finish"):
        setattr(runner, name, recorder.timed(name, getattr(runner, name)))
    for name in ("start", "stop", "report", "should_cancel", "_save_preview"):
        method = getattr(runner.JobTracker, name)
        setattr(runner.JobTracker, name, recorder.timed(f"tracker.{name}", method))
    for name in ("make_thumbnail", "image_to_thumbhash"):
        setattr(storing, name, recorder.timed(name, getattr(storing, name)))
    storing.Image.objects.create = recorder.timed("image_row", storing.Image.objects.create)
    FileSystemStorage._save = recorder.timed("storage.save", FileSystemStorage._save)

    # The embedded broker is polled: record each look into the queue table, and
    # whether it found a message, to see where the job waited.
    from kombu.transport.sqlalchemy import Channel

    get = Channel._get

    def polled_get(channel, queue):
        start = time.time()
        found = False
        try:
            message = get(channel, queue)
            found = True
            return message
        finally:
            recorder.events.append(["broker.hit" if found else "broker.poll", start, time.time()])

    Channel._get = polled_get
    FileSystemStorage.delete = recorder.timed("storage.delete", FileSystemStorage.delete)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atelier.settings")
    import django

    django.setup()

    from atelier.management.commands.serve import worker_command

    install(Recorder(os.environ["BENCH_PROBE_LOG"]))
    command = worker_command(sys.executable)  # [priority prefix, python, "-m", "celery", ...]
    sys.argv = command[command.index("-m") + 1 :]  # ["celery", "-A", "atelier", "worker", ...]
    from celery.__main__ import main as celery_main

    celery_main()


if __name__ == "__main__":
    main()
