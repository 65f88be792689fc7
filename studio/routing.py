"""Which Celery queue a job's id goes to, so that a job for a local model
runs only on a worker that has the model (docs/deploy.md, "Adding a GPU
machine"; docs/decisions.md).

- ``remote``: jobs for a remote engine (OpenAI, A1111, ComfyUI ...): any
  remote worker runs them.
- ``gpu.<model key>``: jobs for a local model that a live worker has. Every
  GPU worker consumes the queue of each model installed on its machine
  (studio/capabilities.py, refreshed on each heartbeat), so the first one free
  among those that have it takes the job.
- ``gpu``: jobs for a hub model that no live worker has yet. Every GPU worker
  consumes it; the one that takes the job downloads the model first (what a
  single machine, ``make run``, has always done), and consumes its queue from
  its next heartbeat on.

A model that cannot be downloaded (a checkpoint of one machine's models folder,
a local folder, the tiny test model) goes to its own queue even when no live
worker has it: the job waits there, saying "Waiting for a worker that has
<model>", and /readyz names the queue as starved, until a worker that has it
comes back or a machine that has it joins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import ModelPreset, Worker

GPU = "gpu"
REMOTE = "remote"
LOCAL_BACKENDS = {"diffusers"}
MODEL_QUEUE_PREFIX = GPU + "."


def queue_for(backend: str) -> str:
    """The queue of an engine's jobs, before any model is known (metrics, deploy files)."""
    return GPU if backend in LOCAL_BACKENDS else REMOTE


def model_queue(key: str) -> str:
    return MODEL_QUEUE_PREFIX + key


def is_model_queue(queue: str) -> bool:
    return queue.startswith(MODEL_QUEUE_PREFIX)


@dataclass(frozen=True)
class Route:
    queue: str
    note: str = ""  # what the job's page says while it waits, where it may wait long


def downloadable(preset: ModelPreset) -> bool:
    """Whether any GPU worker can fetch the model itself: a hub model, not a
    path on one machine (a checkpoint, a folder, the tiny test model)."""
    from .model_status import is_hub_model

    return is_hub_model(preset)


def live_model_keys(now=None) -> set[str]:
    """The local models that at least one live worker has."""
    now = now or timezone.now()
    alive = Worker.objects.filter(
        beat__gte=now - timedelta(seconds=settings.ATELIER_JOB_STALE_SECONDS)
    )
    return {key for keys in alive.values_list("model_keys", flat=True) for key in keys or ()}


def route(preset: ModelPreset | None) -> Route:
    """Where a job for ``preset`` goes now (one small query for a local model)."""
    if preset is None:
        return Route(GPU)  # the worker fails it, saying the preset is gone
    if preset.backend not in LOCAL_BACKENDS:
        return Route(REMOTE)
    if preset.key in live_model_keys():
        return Route(model_queue(preset.key))
    if downloadable(preset):
        return Route(GPU)
    return Route(model_queue(preset.key), f"Waiting for a worker that has {preset.label}.")
