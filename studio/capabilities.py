"""What a worker's machine offers, written into its heartbeat row
(studio/workers.py) on every beat: its kind, hostname, GPU (or "CPU") with
total and free memory, and the local models installed here, whose queues a
GPU worker consumes (studio/routing.py).

Every part is cheap enough for a beat every few seconds: the models are a few
file reads each (``installed_here``), the GPU's memory one driver call.
torch is imported only by a GPU worker on a machine with an NVIDIA driver,
which imports it for its jobs anyway.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from importlib.util import find_spec

from .model_status import installed_here
from .models import ModelPreset
from .presets import has_cuda
from .routing import GPU, LOCAL_BACKENDS, REMOTE, is_model_queue, model_queue

log = logging.getLogger(__name__)

CPU = "CPU"


@dataclass
class Capabilities:
    kind: str
    hostname: str
    gpu: str = ""
    memory_total: int | None = None
    memory_free: int | None = None
    model_keys: list[str] = field(default_factory=list)

    def queues(self, base: list[str]) -> list[str]:
        """The queues to consume: the worker's own (``--queues``), and for a
        GPU worker the queue of each model it has."""
        own = [queue for queue in base if not is_model_queue(queue)]
        return own + [model_queue(key) for key in self.model_keys]

    def row(self) -> dict:
        return {
            "kind": self.kind,
            "hostname": self.hostname,
            "gpu": self.gpu,
            "memory_total": self.memory_total,
            "memory_free": self.memory_free,
            "model_keys": self.model_keys,
        }


def kind_of(queues: list[str]) -> str:
    """ "gpu", "remote" or "gpu+remote", from the queues a worker was started for."""
    return "+".join(kind for kind in (GPU, REMOTE) if kind in queues)


def describe(queues: list[str]) -> Capabilities:
    kind = kind_of(queues)
    found = Capabilities(kind, socket.gethostname())
    if GPU in queues:
        found.gpu, found.memory_total, found.memory_free = gpu_memory()
        found.model_keys = installed_models()
    return found


def installed_models() -> list[str]:
    """The keys of the local engine's presets whose weights are on this
    machine: hub models in its cache, checkpoints of its models folder (scanned
    once a process), the tiny model where it is built."""
    from .checkpoints import scan_once

    scan_once()
    presets = ModelPreset.objects.filter(backend__in=LOCAL_BACKENDS).order_by("key")
    return [preset.key for preset in presets if _installed(preset)]


def _installed(preset) -> bool:
    try:
        return installed_here(preset)
    except Exception:  # one odd preset must not stop the beat
        log.exception("could not tell whether %s is installed here", preset.key)
        return False


def gpu_memory() -> tuple[str, int | None, int | None]:
    """(the GPU's name, its total and free memory in bytes) from torch.cuda
    when a CUDA GPU is present; else ("CPU", the machine's memory). torch is
    not imported on a machine without an NVIDIA driver."""
    if has_cuda() and find_spec("torch") is not None:
        import torch

        if torch.cuda.is_available():
            free, total = torch.cuda.mem_get_info(0)
            return torch.cuda.get_device_name(0), total, free
    return (CPU, *system_memory())


def system_memory() -> tuple[int | None, int | None]:
    """(total, available) bytes of the machine's memory, where the system says."""
    try:
        with open("/proc/meminfo") as info:
            fields = dict(line.split(":", 1) for line in info)
        return _kib(fields["MemTotal"]), _kib(fields["MemAvailable"])
    except (OSError, KeyError, ValueError):
        try:
            pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, AttributeError):
            return None, None
        return pages, None


def _kib(text: str) -> int:
    return int(text.split()[0]) * 1024
