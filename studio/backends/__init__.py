"""Engine registry: a backend name maps to the module that implements it.

Each module has ``create_backend(config: dict) -> Backend`` and
``is_configured(config: dict) -> bool``; ``config`` is that engine's entry of
``settings.ATELIER_ENGINES`` (URLs, credentials, timeouts from the
environment). A remote engine's module also has
``image_to_image_refusal(model_id)`` (remote.RemoteEngine): why it cannot
start from a picture, "" when it can. Modules are imported on first use, so a
web process that never runs a local engine never imports torch.
"""

from functools import cache
from importlib import import_module
from importlib.util import find_spec

from .base import Backend

ENGINES = {
    "diffusers": "studio.backends.diffusers_local",
    "huggingface": "studio.backends.huggingface",
    "openai": "studio.backends.openai_images",
    "a1111": "studio.backends.a1111",
    "comfyui": "studio.backends.comfyui",
}

# Who can start from a picture, for the message of one that cannot.
IMAGE_TO_IMAGE_ENGINES = (
    "the local engine, AUTOMATIC1111, ComfyUI, Hugging Face and OpenAI's GPT Image models"
)

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


def image_to_image_refusal(name: str, model_id: str = "") -> str:
    """Why the engine ``name`` cannot start from a picture with ``model_id`` (a
    preset's), naming the engine and the ones that can; "" when it can."""
    if name == "diffusers":
        return ""  # the local engine always can (and is not imported for asking)
    refusal = (
        engine_module(name).image_to_image_refusal(model_id)
        if name in ENGINES
        else (f"The engine {name!r} cannot start from an image.")
    )
    if not refusal:
        return ""
    return f"{refusal} Image to image runs on {IMAGE_TO_IMAGE_ENGINES}: pick one of their models."


@cache
def _local_engine_installed() -> bool:
    """torch and diffusers are installed. Asked by web processes on every form:
    found without importing them (seconds, GBs), and once a process (a
    search of sys.path is a dozen stat() calls, ~1.5 ms a request)."""
    return find_spec("torch") is not None and find_spec("diffusers") is not None
