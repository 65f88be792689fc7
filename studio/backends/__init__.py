"""Engine registry: a backend name maps to the module that implements it.

Modules are imported on first use, so a web process that never runs a local
engine never imports torch.
"""

from importlib import import_module

from .base import Backend

ENGINES = {
    "diffusers": "studio.backends.diffusers_local",
}

_instances: dict[str, Backend] = {}


def get_backend(name: str) -> Backend:
    if name not in ENGINES:
        raise KeyError(f"unknown engine {name!r}")
    if name not in _instances:
        _instances[name] = import_module(ENGINES[name]).create_backend()
    return _instances[name]
