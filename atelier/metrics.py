"""Prometheus metrics, served at GET /metrics with a bearer token.

The web server runs several processes and the workers are processes of
their own, so prometheus_client runs in its multiprocess mode whenever
``PROMETHEUS_MULTIPROC_DIR`` is set (``manage.py serve`` sets it, to an
emptied folder under ATELIER_VAR_DIR): each process writes its counters and
histograms to files there, and a scrape of any web process adds up every
process of the machine. Without it (tests, a single process) the process's
own registry is served.

Recorded as they happen: request latency by route (the URL pattern's name,
never the raw path), jobs by engine and status, job run time and queue wait,
a GPU worker's CUDA memory, and the hits and misses of the visitors' cached
pages (gallery/hot_pages.py). Read from the database at scrape time: the
waiting jobs of each queue and the live workers of each queue."""

import hmac
import logging
import os
import sys
import time

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

access_log = logging.getLogger("atelier.access")

REQUEST_SECONDS = Histogram(
    "atelier_request_seconds",
    "Time to answer a request, by route (URL pattern name), method and status class.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
JOBS = Counter(
    "atelier_jobs",
    "Generation jobs a worker finished, by engine and outcome.",
    ["engine", "status"],
)
JOB_SECONDS = Histogram(
    "atelier_job_seconds",
    "Time from a worker claiming a job to its end, by engine and outcome.",
    ["engine", "status"],
    buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800),
)
QUEUE_WAIT_SECONDS = Histogram(
    "atelier_job_queue_wait_seconds",
    "Time a job waited between being queued and a worker claiming it, by queue.",
    ["queue"],
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
GPU_MEMORY = Gauge(
    "atelier_gpu_memory_bytes",
    "CUDA memory of a GPU worker after its last job: allocated, reserved, peak and total.",
    ["device", "kind"],
    multiprocess_mode="mostrecent",
)

HOT_PAGES = Counter(
    "atelier_hot_pages",
    "Anonymous first pages of Popular served from the cache (hit) or rendered (miss), by feed.",
    ["feed", "result"],
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetricsMiddleware:
    """Times each request and counts it under its route; logs it to
    ``atelier.access`` (shown in JSON log mode, with the request id)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        route = (match.view_name or "unnamed") if match else "unmatched"
        method = request.method if request.method in METHODS else "other"
        REQUEST_SECONDS.labels(route, method, f"{response.status_code // 100}xx").observe(elapsed)
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(
                "%s %s %s",
                method,
                request.path,
                response.status_code,
                extra={
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
        return response


def job_claimed(job, queue: str) -> None:
    queued_at = job.enqueued or job.created
    if job.started and queued_at:
        QUEUE_WAIT_SECONDS.labels(queue).observe(
            max(0.0, (job.started - queued_at).total_seconds())
        )


def job_finished(job, engine: str, status: str, run_seconds: float) -> None:
    JOBS.labels(engine, status).inc()
    JOB_SECONDS.labels(engine, status).observe(run_seconds)
    record_gpu_memory()


def record_gpu_memory() -> None:
    """CUDA memory, where this worker has torch loaded and a GPU (a remote
    engine's worker never imports torch for it)."""
    torch = sys.modules.get("torch")
    if torch is None:
        return
    try:
        if not torch.cuda.is_available():
            return
        for index in range(torch.cuda.device_count()):
            device = f"cuda:{index}"
            GPU_MEMORY.labels(device, "allocated").set(torch.cuda.memory_allocated(index))
            GPU_MEMORY.labels(device, "reserved").set(torch.cuda.memory_reserved(index))
            GPU_MEMORY.labels(device, "peak").set(torch.cuda.max_memory_allocated(index))
            total = torch.cuda.get_device_properties(index).total_memory
            GPU_MEMORY.labels(device, "total").set(total)
    except Exception:  # a metric never fails a job
        logging.getLogger(__name__).exception("could not read CUDA memory")


class JobQueueCollector:
    """Waiting jobs and live workers per queue, read at scrape time: two small
    queries (jobs grouped by model, and the workers' heartbeat rows)."""

    def collect(self):
        from studio.workers import live_workers, queue_depth

        depth = GaugeMetricFamily(
            "atelier_queue_depth", "Jobs waiting for a worker, by queue.", labels=["queue"]
        )
        for queue, count in queue_depth().items():
            depth.add_metric([queue], count)
        yield depth
        workers = GaugeMetricFamily(
            "atelier_workers", "Live workers (a recent heartbeat), by queue.", labels=["queue"]
        )
        for queue, count in live_workers().items():
            workers.add_metric([queue], count)
        yield workers


def recorded() -> CollectorRegistry:
    """What this machine's processes recorded (or this process, without
    PROMETHEUS_MULTIPROC_DIR)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return REGISTRY


def exposition() -> bytes:
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(JobQueueCollector())
    return generate_latest(recorded()) + generate_latest(scraped)


def serve_worker_metrics(port: int, addr: str):
    """A worker on a machine of its own (no web process shares its
    PROMETHEUS_MULTIPROC_DIR) serves its job metrics on ``port`` for
    Prometheus to scrape from inside the cluster (ATELIER_WORKER_METRICS_PORT).
    Queue depth and worker counts stay on the web's /metrics."""
    server, _thread = start_http_server(port, addr=addr, registry=recorded())
    return server


@never_cache
def metrics(request):
    """404 unless ATELIER_METRICS_TOKEN is set; then 401 without a bearer
    token and 403 with a wrong one."""
    token = settings.ATELIER_METRICS_TOKEN
    if not token:
        raise Http404
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        response = JsonResponse(
            {"error": "Metrics need 'Authorization: Bearer <ATELIER_METRICS_TOKEN>'."}, status=401
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        return JsonResponse({"error": "This metrics token is not the right one."}, status=403)
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
