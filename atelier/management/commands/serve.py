"""Run the web server and the job workers together, for a single machine.

`make run` calls this after migrating. A process that exits (a worker killed
by the OOM killer, say) is started again after a short wait
(atelier/supervisor.py); only Ctrl-C (or SIGTERM) stops them all.

In a container each process is its own container, restarted by the
orchestrator: ``serve --only web`` (or ``gpu-worker``, ``remote-worker``,
``reaper``) replaces itself with that one process, started exactly as here
(deploy/entrypoint.sh, docs/deploy.md)."""

import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from atelier.supervisor import Supervised


class Command(BaseCommand):
    help = "Serve the web app and run a generation worker in one command."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--web-workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2"))
        )
        parser.add_argument("--no-worker", action="store_true", help="serve the web app only")
        parser.add_argument(
            "--reap-every", type=float, default=15, help="seconds between the reaper's rounds"
        )
        parser.add_argument(
            "--only",
            choices=PROCESSES,
            help="run this one process in the foreground, unsupervised (a container's command)",
        )
        parser.add_argument(
            "--print",
            action="store_true",
            dest="print_only",
            help="with --only: print the command as JSON instead of running it",
        )

    def handle(
        self, *args, host, port, web_workers, no_worker, reap_every, only, print_only, **options
    ):
        python = sys.executable
        web = web_command(python, f"{host}:{port}", workers=web_workers)
        if settings.ATELIER_LOG_FORMAT != "json":  # JSON logs have their own access lines
            web += ["--access-logfile", "-"]
        commands = {"web": web}
        if not no_worker or only:
            commands["gpu-worker"] = worker_command(python, "gpu")
            commands["remote-worker"] = worker_command(python, "remote")
            commands["reaper"] = [python, "manage.py", "reap_jobs", "--every", str(reap_every)]
        if only and print_only:
            self.stdout.write(json.dumps(commands[only]))
            return
        # Inherited by every process started below (atelier/metrics.py).
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(prepare_metrics_dir())
        if only:
            # The orchestrator sends its signals to the process itself.
            os.execvp(commands[only][0], commands[only])
        processes = [Supervised(name, cmd, say=self.say) for name, cmd in commands.items()]
        for process in processes:
            process.start()
        url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"
        self.stdout.write(self.style.SUCCESS(f"Atelier is running at {url}  (Ctrl-C stops it)"))
        self.stdout.flush()

        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping:
            for process in processes:
                process.check()
            time.sleep(0.2)
        for process in processes:
            process.terminate()
        deadline = time.monotonic() + 15
        for process in processes:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))

    def say(self, line: str) -> None:
        self.stderr.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}")
        self.stderr.flush()


PROCESSES = ("web", "gpu-worker", "remote-worker", "reaper")


def prepare_metrics_dir() -> Path:
    """The folder where each process started here writes its metrics, for
    /metrics to add up (prometheus_client's multiprocess mode):
    PROMETHEUS_MULTIPROC_DIR if set, else ATELIER_VAR_DIR/metrics. Emptied
    first, as prometheus_client asks: the files of processes from an earlier
    run would count again."""
    folder = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or Path(settings.VAR_DIR) / "metrics")
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    return folder


def web_command(python, bind, *, workers):
    """gunicorn serving atelier.asgi on ``bind`` with ``workers`` processes,
    each an event loop (uvicorn's worker): the facades' requests wait for
    their job on the loop, holding no thread, and every other request is
    served by a fixed pool of threads (atelier/asgi.py says why).

    Idle connections are kept 15 s: longer than the API's Retry-After (at most
    10 s), so a client that waits as told finds its connection still open, and
    longer than the 5 s for which common clients (httpx, requests' pools,
    browsers' 'idle socket' timers) reuse an idle connection. With a 2 s
    keep-alive a client could send a request on a connection the server was
    closing at that moment, and get a reset instead of an answer.

    No control socket: gunicorn (25.1+) would make one at the same path in
    the person's home for every server (~/.gunicorn/gunicorn.ctl), so two
    Atelier servers on one machine would take it from each other; this
    command and its supervisor manage the processes instead."""
    return [
        python,
        "-m",
        "gunicorn",
        "atelier.asgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--worker-class",
        "uvicorn_worker.UvicornWorker",
        "--graceful-timeout",
        "5",
        "--keep-alive",
        "15",
        "--no-control-socket",
    ]


def priority_prefix(queues: str) -> list[str]:
    """What the worker for ``queues`` is started under: the local-model worker
    at a lower CPU priority, since a generation on the CPU takes every cycle
    it gets.

    On Linux it runs under SCHED_IDLE (``chrt --idle 0``,
    ATELIER_GPU_WORKER_IDLE): a request that wakes up takes the CPU from it at
    once, where at nice 10 it waited for the worker's time slice after each
    database round trip, which showed in the API's tail latency under load
    (bench/RESULTS.md, API load). Elsewhere, or with ATELIER_GPU_WORKER_IDLE=0, it runs at
    nice ATELIER_GPU_WORKER_NICE (0: as is)."""
    if "gpu" not in queues:
        return []
    if settings.ATELIER_GPU_WORKER_IDLE and sys.platform == "linux" and shutil.which("chrt"):
        return ["chrt", "--idle", "0"]
    nice = settings.ATELIER_GPU_WORKER_NICE
    return ["nice", "-n", str(nice)] if nice > 0 else []


def worker_command(python, queues="gpu,remote"):
    """A Celery worker for ``queues``.

    The ``gpu`` queue is served one job at a time by one process (a local model
    must never run two jobs at once, and its pipeline stays loaded between
    jobs); the ``remote`` queue by threads, since those jobs mostly wait on HTTP.
    """
    pool = ["--pool", "solo"] if "gpu" in queues else ["--pool", "threads", "--concurrency", "8"]
    return [
        *priority_prefix(queues),
        python,
        "-m",
        "celery",
        "-A",
        "atelier",
        "worker",
        "--queues",
        queues,
        *pool,
        "--loglevel",
        settings.LOGGING["root"]["level"],
        "--hostname",
        f"{queues.replace(',', '-')}-{os.getpid()}@%h",
        "--without-gossip",
        "--without-mingle",
    ]
