"""Engine registry: a backend name maps to the module that implements it.

Each module has ``create_backend(config: dict) -> Backend`` and
``is_configured(config: dict) -> bool``; ``config`` is that engine's entry of
``settings.ATELIER_ENGINES`` (URLs, credentials, timeouts from the
environment). A remote engine's module also has ``refusal(operation,
model_id)`` and ``able_label(operation)`` (remote.RemoteEngine): why it cannot
do one of base.OPERATIONS (start from a picture, inpaint, ...), "" when it can,
and its name in the list of those that can. Modules are imported on first use, so a
web process that never runs a local engine never imports torch.
"""

from functools import cache
from importlib import import_module
from importlib.util import find_spec

from .base import OPERATIONS, Backend

ENGINES = {
    "diffusers": "studio.backends.diffusers_local",
    "huggingface": "studio.backends.huggingface",
    "openai": "studio.backends.openai_images",
    "a1111": "studio.backends.a1111",
    "comfyui": "studio.backends.comfyui",
}

_instances: dict[str, Backend] = {}


def engine_module(name: str):
    if name not in ENGINES:
        raise KeyError(f"unknown engine {name!r}")
    return import_module(ENGINES[name])


def get_backend(name: str, config: dict | None = None) -> Backend:
    """The engine's one instance in this process (it may keep models loaded)."""
    if name not in _instances:
        _instances[name] = engine_module(name).create_backend(config or {})
    return _instances[name]


def is_configured(name: str, config: dict | None = None) -> bool:
    """Whether the engine can run here: credentials and URLs are set."""
    if name not in ENGINES:
        return False
    if name == "diffusers":
        return _local_engine_installed()
    return engine_module(name).is_configured(config or {})


def refusal(name: str, operation: str, model_id: str = "") -> str:
    """Why the engine ``name`` cannot do ``operation`` (a key of base.OPERATIONS)
    with ``model_id`` (a preset's), naming the engines that can; "" when it can."""
    if name == "diffusers":
        return ""  # the local engine does them all (and is not imported for asking)
    if name in ENGINES:
        reason = engine_module(name).refusal(operation, model_id)
    else:
        reason = f"The engine {name!r} cannot {OPERATIONS[operation]}."
    if not reason:
        return ""
    return f"{reason} {able_engines(operation)}"


def able_engines(operation: str) -> str:
    """Which engines can do ``operation``, as the end of a refusal says it."""
    names = ["the local engine"]
    names += [
        label
        for name in ENGINES
        if name != "diffusers" and (label := engine_module(name).able_label(operation))
    ]
    if len(names) == 1:
        return "Only the local engine can: pick one of its models."
    listed = ", ".join(names[:-1]) + " and " + names[-1]
    return f"{listed[0].upper()}{listed[1:]} can: pick one of their models."


@cache
def _local_engine_installed() -> bool:
    """torch and diffusers are installed. Asked by web processes on every form:
    found without importing them (seconds, GBs), and once a process (a
    search of sys.path is a dozen stat() calls, ~1.5 ms a request)."""
    return find_spec("torch") is not None and find_spec("diffusers") is not None
