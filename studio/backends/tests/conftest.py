"""Fixtures for the pure backend tests: a tiny SDXL pipeline and a shared backend."""

from pathlib import Path

import pytest

from studio.backends.base import GenerationRequest

from .progress_recorder import Recorder

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="package", autouse=True)
def one_torch_thread():
    """Pin torch to one thread, as workers do: on a busy machine (tests run in
    parallel with other processes) OpenMP threads spin and everything is 2x slower."""
    import torch

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
