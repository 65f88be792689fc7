"""Throughput and job overhead per remote engine, against fake engine servers
that take a fixed time per image.

One stack (tests/stack.py: gunicorn, SQLite database, Redis broker on a
database of its own) with two `remote` workers as `make run` starts them
(thread pools of 8, so 16 jobs can run at once). The fake servers run in this
process, speak each engine's real wire format (the fakes of
studio/backends/tests/) and answer every request after LATENCY seconds per
image, however many requests they hold at once: they stand for a fleet of
servers (or a cloud API), so that what is measured is Atelier's side. (One
real AUTOMATIC1111 or ComfyUI server runs one job at a time; its throughput
is the GPU's.)

For each engine (a1111, comfyui, huggingface, openai) and each concurrency
C (1, 4, 16), C clients each submit a job through `POST /api/v1/generations/`
(64×64, one image, a preset made for the bench), wait until its row says it
finished, and submit the next, until max(20, 8·C) jobs are done. The first
2·C jobs of each engine warm the workers up and are not measured. Per job,
from its row:

    wall        = finished − created
    compute     = compute_seconds (the engine's generate(): HTTP, the fake's
                  LATENCY, decoding the answer)
    engine call = compute − LATENCY (what the engine's client adds)
    overhead    = wall − compute (queue, claim, storing PNG + thumbnail + row)
    queue wait  = started − created

and throughput = images / (last finished − first created).

    .venv/bin/python bench/engines.py [--latency 0.2] [--engines a1111,comfyui,huggingface,openai]
                                      [--concurrency 1,4,16] [--rounds 8]
"""

from __future__ import annotations

import argparse
import base64
import io
import itertools
import json
import sqlite3
import sys
import threading
import time
from dataclasses import dataclass

from harness import (
    Column,
    Stats,
    epoch,
    load_average,
    print_table,
    run_facts,
    setup_django,
    stack_db_path,
    tiny_model,
)

ENGINES = ["a1111", "comfyui", "huggingface", "openai"]
CHECKPOINT = "sd_xl_base_1.0.safetensors"
HF_MODEL = "stabilityai/stable-diffusion-xl-base-1.0"
FINISHED = ("succeeded", "failed", "cancelled")
SIZE = 64


# --- fake engine servers ---------------------------------------------------------


def png(width: int, height: int, color=(30, 120, 200)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


class Fakes:
    """The four fake servers, each answering after ``latency`` seconds per image."""

    def __init__(self, latency: float):
        self.latency = latency
        self.servers = []

    def __enter__(self) -> Fakes:
        self.a1111 = self._a1111()
        self.huggingface = self._huggingface()
        self.openai = self._openai()
        self.comfyui = timed_comfyui(self.latency).__enter__()
        return self

    def __exit__(self, *exc):
        self.comfyui.__exit__(*exc)
        for server in self.servers:
            server.clear()
            server.stop()

    def _server(self):
        from pytest_httpserver import HTTPServer

        server = HTTPServer(threaded=True)
        server.start()
        self.servers.append(server)
        return server

    def _a1111(self):
        from studio.backends.tests.test_a1111 import json_response, serve_basics, txt2img_answer

        server = self._server()
        serve_basics(server)

        def txt2img(request):
            body = request.get_json()
            time.sleep(self.latency * body["batch_size"])
            return json_response(txt2img_answer(body))

        server.expect_request("/sdapi/v1/txt2img", method="POST").respond_with_handler(txt2img)
        return server

    def _huggingface(self):
        from werkzeug import Response

        server = self._server()

        def text_to_image(request):
            parameters = json.loads(request.get_data())["parameters"]
            time.sleep(self.latency)
            return Response(png(parameters["width"], parameters["height"]), mimetype="image/png")

        server.expect_request(f"/models/{HF_MODEL}", method="POST").respond_with_handler(
            text_to_image
        )
        return server

    def _openai(self):
        from werkzeug import Response

        server = self._server()

        def generations(request):
            body = json.loads(request.get_data())
            width, height = (int(x) for x in body["size"].split("x"))
            time.sleep(self.latency * body["n"])
            item = {"b64_json": base64.b64encode(png(width, height)).decode(), "revised_prompt": ""}
            answer = {"created": int(time.time()), "data": [item] * body["n"]}
            return Response(json.dumps(answer), mimetype="application/json")

        server.expect_request("/v1/images/generations", method="POST").respond_with_handler(
            generations
        )
        return server

    def env(self) -> dict:
        return {
            "ATELIER_A1111_URL": self.a1111.url_for("").rstrip("/"),
            "ATELIER_COMFYUI_URL": self.comfyui.url,
            "HF_TOKEN": "hf_benchTOKEN",
            "ATELIER_HF_BASE_URL": self.huggingface.url_for("").rstrip("/"),
            "OPENAI_API_KEY": "sk-bench",
            "OPENAI_BASE_URL": self.openai.url_for("/v1"),
        }


def timed_comfyui(latency: float):
    """The ComfyUI fake of the engine's contract tests, running every queued
    prompt at once (a real ComfyUI runs one at a time) and sampling for
    ``latency`` seconds."""
    from studio.backends.tests.fake_comfyui import FakeComfyUI, Handler

    class NoDelayHandler(Handler):
        # The fake writes headers and body in two sends; with Nagle's algorithm
        # on, the body waits for the client's delayed ACK (~40 ms a call).
        # ComfyUI's aiohttp sets TCP_NODELAY, as this does.
        disable_nagle_algorithm = True

    class TimedComfyUI(FakeComfyUI):
        def __enter__(self):
            super().__enter__()
            self.http.RequestHandlerClass = NoDelayHandler
            return self

        def worker(self) -> None:
            while True:
                with self.lock:
                    while not self.queue and not self.closing:
                        self.lock.wait()
                    if self.closing:
                        return
                    item = self.queue.pop(0)
                threading.Thread(target=self.execute, args=item, daemon=True).start()

        def sample(self, node_id, node, prompt_id, client_id) -> None:
            steps = node["inputs"]["steps"]
            for value in range(1, steps + 1):
                time.sleep(latency / steps)
                progress = {"value": value, "max": steps, "prompt_id": prompt_id, "node": node_id}
                self.send(client_id, "progress", progress)
                if value == 1:
                    self.send_preview(client_id)

    return TimedComfyUI(checkpoints=[CHECKPOINT])


PRESETS = {  # one small-image preset per engine, as an admin would add them
    "a1111": {"model_id": CHECKPOINT},
    "comfyui": {"model_id": CHECKPOINT},
    "huggingface": {"model_id": HF_MODEL},
    "openai": {"model_id": "bench-image-model"},  # a compatible server's own model: any size
}


def add_presets(stack) -> None:
    for engine, fields in PRESETS.items():
        stack.add_preset(
            f"bench-{engine}",
            label=f"Bench ({engine})",
            backend=engine,
            width=SIZE,
            height=SIZE,
            min_size=SIZE,
            max_size=512,
            steps=4,
            cfg_scale=7.0,
            sampler="Euler a",
            **fields,
        )


# --- clients ------------------------------------------------------------------------


class Poller(threading.Thread):
    """Tells waiting clients when their job's row says it finished; one
    look at the database every 5 ms for all of them."""

    def __init__(self, database: str):
        super().__init__(daemon=True)
        self.database = database
        self.waiting: dict[str, threading.Event] = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()

    def wait(self, job_id: str, timeout: float = 60.0) -> None:
        event = threading.Event()
        with self.lock:
            self.waiting[job_id.replace("-", "")] = event
        if not event.wait(timeout):
            raise SystemExit(f"job {job_id} not finished after {timeout:.0f} s")

    def run(self) -> None:
        db = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=30)
        statuses = ",".join(f"'{s}'" for s in FINISHED)
        while not self.stopped.wait(0.005):
            with self.lock:
                ids = list(self.waiting)
            if not ids:
                continue
            marks = ",".join("?" * len(ids))
            rows = db.execute(
                f"SELECT id FROM studio_generationjob WHERE status IN ({statuses})"
                f" AND id IN ({marks})",
                ids,
            ).fetchall()
            with self.lock:
                for (job_id,) in rows:
                    self.waiting.pop(job_id).set()
        db.close()


def run_clients(stack, token: str, poller: Poller, preset: str, concurrency: int, jobs: int):
    """``concurrency`` clients, each submitting a job and waiting for it, until
    ``jobs`` are done; their ids."""
    import httpx2

    counter = itertools.count()
    counter_lock = threading.Lock()
    done: list[str] = []
    errors: list[str] = []

    def client(number: int) -> None:
        with httpx2.Client(
            base_url=stack.url, timeout=30, headers={"Authorization": f"Token {token}"}
        ) as http:
            while True:
                with counter_lock:
                    index = next(counter)
                if index >= jobs or errors:
                    return
                body = {"prompt": f"bench {index}", "model": preset, "seed": index, "n": 1}
                answer = http.post("/api/v1/generations/", json=body)
                if answer.status_code != 202:
                    errors.append(f"{answer.status_code}: {answer.text}")
                    return
                job_id = answer.json()["id"]
                poller.wait(job_id)
                done.append(job_id)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"POST /api/v1/generations/ failed: {errors[0]}")
    return done


# --- measuring ------------------------------------------------------------------------


@dataclass
class Row:
    created: float
    started: float
    finished: float
    compute: float
    images: int


@dataclass
class Level:
    engine: str
    concurrency: int
    rows: list[Row]


def read_rows(stack, job_ids: list[str]) -> list[Row]:
    rows = []
    with sqlite3.connect(f"file:{stack_db_path(stack)}?mode=ro", uri=True) as db:
        for job_id in job_ids:
            key = job_id.replace("-", "")
            status, created, started, finished, compute, error = db.execute(
                "SELECT status, created, started, finished, compute_seconds, error"
                " FROM studio_generationjob WHERE id = ?",
                (key,),
            ).fetchone()
            if status != "succeeded":
                raise SystemExit(f"job {job_id}: {status} {error!r}")
            (images,) = db.execute(
                "SELECT COUNT(*) FROM studio_generationjob_images WHERE generationjob_id = ?",
                (key,),
            ).fetchone()
            rows.append(Row(epoch(created), epoch(started), epoch(finished), compute, images))
    return rows


COLUMNS = [
    Column("engine"),
    Column("conc"),
    Column("jobs"),
    Column("images/s", fmt=".1f"),
    *(
        Column(key, fmt=".0f")
        for key in (
            "wall p50",
            "wall p95",
            "compute p50",
            "engine call p50",
            "overhead p50",
            "overhead p95",
            "queue wait p50",
        )
    ),
]


def level_row(level: Level, latency: float) -> dict:
    """One table row: the level's throughput and the spread of its jobs (ms)."""
    rows = level.rows
    span = max(r.finished for r in rows) - min(r.created for r in rows)
    wall = Stats.of([r.finished - r.created for r in rows], 1000)
    compute = Stats.of([r.compute for r in rows], 1000)
    overhead = Stats.of([r.finished - r.created - r.compute for r in rows], 1000)
    engine_call = Stats.of([r.compute - latency * r.images for r in rows], 1000)
    queue = Stats.of([r.started - r.created for r in rows], 1000)
    return {
        "engine": level.engine,
        "conc": level.concurrency,
        "jobs": len(rows),
        "images/s": sum(r.images for r in rows) / span,
        "wall p50": wall.p50,
        "wall p95": wall.p95,
        "compute p50": compute.p50,
        "engine call p50": engine_call.p50,
        "overhead p50": overhead.p50,
        "overhead p95": overhead.p95,
        "queue wait p50": queue.p50,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.2, help="fake seconds per image")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated")
    parser.add_argument("--concurrency", default="1,4,16", help="comma-separated levels")
    parser.add_argument("--rounds", type=int, default=8, help="jobs per client per level")
    parser.add_argument("--workers", type=int, default=2, help="remote worker processes")
    args = parser.parse_args(argv)
    engines = args.engines.split(",")
    if unknown := set(engines) - set(ENGINES):
        parser.error(f"unknown engine(s): {', '.join(sorted(unknown))} ({', '.join(ENGINES)})")
    levels = [int(c) for c in args.concurrency.split(",")]

    setup_django()
    from tests.stack import Stack, api_client

    facts = run_facts()
    print("\n".join(facts), flush=True)
    results: list[Level] = []
    with Fakes(args.latency) as fakes:
        env = {**fakes.env(), "ATELIER_MAX_QUEUED_JOBS": str(max(levels) * 2)}
        stack = Stack(
            broker="redis", tiny_model=tiny_model(), extra_env=env, own_redis_database=True
        )
        try:
            stack.start(worker=False)
            add_presets(stack)
            for number in range(1, args.workers + 1):
                stack.start_worker(f"remote-{number}", queues="remote")
            http = api_client(stack, "bench")
            token = http.headers["Authorization"].removeprefix("Token ")
            poller = Poller(stack_db_path(stack))
            poller.start()
            for engine in engines:
                preset = f"bench-{engine}"
                started = time.monotonic()
                run_clients(stack, token, poller, preset, max(levels), 2 * max(levels))  # warm-up
                for concurrency in levels:
                    jobs = max(20, args.rounds * concurrency)
                    ids = run_clients(stack, token, poller, preset, concurrency, jobs)
                    results.append(Level(engine, concurrency, read_rows(stack, ids)))
                print(f"  [{engine}] {time.monotonic() - started:.1f} s", flush=True)
            poller.stopped.set()
        except BaseException:
            print(stack.log("remote-1"), file=sys.stderr)
            raise
        finally:
            stack.stop()

    print()
    print_table(
        [level_row(level, args.latency) for level in results],
        COLUMNS,
        title=f"Remote engines against fake servers answering after {args.latency * 1000:.0f} ms"
        f" per image; Redis broker, {args.workers} remote workers x 8 threads; {SIZE}x{SIZE},"
        " 1 image a job; times in ms",
        indent="",
    )
    print(f"\nload average after the run: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
