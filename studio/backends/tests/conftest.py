"""Fixtures for the pure backend tests: a tiny SDXL pipeline and a shared
backend; for the remote engines, a threaded fake server, an event that
releases blocked handlers and a fake ``time.sleep``."""

import threading
from pathlib import Path

import pytest

from studio.backends.base import GenerationRequest

from .progress_recorder import Recorder

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="package", autouse=True)
def one_torch_thread():
    """Pin torch to one thread, as workers do: on a busy machine (tests run in
    parallel with other processes) OpenMP threads spin and everything is 2x slower.
    Without torch (the remote engines' tests on a machine without the local
    extra) there is nothing to pin."""
    try:
        import torch
    except ImportError:
        yield
        return

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_sdxl_model_path() -> Path:
    from studio.backends.tiny_model import TINY_MODEL_VERSION, build_tiny_pipeline

    folder = REPO / ".cache" / f"tiny-sdxl-model-v{TINY_MODEL_VERSION}"
    return build_tiny_pipeline(folder, sdxl=True)


@pytest.fixture(scope="module")
def backend():
    """One backend per module, so the tiny pipeline is loaded once."""
    from studio.backends.diffusers_local import DiffusersBackend, PipelineCache

    return DiffusersBackend(PipelineCache(max_loaded=2))


@pytest.fixture
def tiny_request(tiny_model_path):
    """Build a small, fast request on the tiny model; keywords override fields."""

    def make(**fields) -> GenerationRequest:
        defaults = {
            "prompt": "a photo of a cat",
            "model_id": str(tiny_model_path),
            "width": 64,
            "height": 64,
            "steps": 4,
            "seed": 1234,
        }
        return GenerationRequest(**{**defaults, **fields})

    return make


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture(scope="module")
def server():
    """An HTTP server for a remote engine's fake, threaded so that a request
    blocked on purpose does not hold up the next one (a retry, a cancel)."""
    from pytest_httpserver import HTTPServer

    fake = HTTPServer(threaded=True)
    fake.start()
    yield fake
    fake.clear()
    fake.stop()


@pytest.fixture
def release():
    """An event that blocked fake handlers wait on; set at teardown so none lingers."""
    event = threading.Event()
    yield event
    event.set()


class Sleeps(list):
    """A fake ``time.sleep`` that records the waits instead of taking them."""

    def __call__(self, seconds):
        self.append(seconds)

    @property
    def total(self):
        return round(sum(self), 3)


@pytest.fixture
def sleeps():
    return Sleeps()
