"""Fixtures shared by every app's tests."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent


# The tiny random-weight diffusers pipeline (studio/backends/tiny_model.py), built
# offline once and kept in .cache/ between runs. torch is imported only when used.
@pytest.fixture(scope="session")
def tiny_model_path() -> Path:
    from studio.backends.tiny_model import TINY_MODEL_VERSION, build_tiny_pipeline

    return build_tiny_pipeline(REPO / ".cache" / f"tiny-model-v{TINY_MODEL_VERSION}")


# Named people, isolated storage, images made through the real path.
pytest_plugins = ["tests.fixtures"]
