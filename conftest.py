"""Fixtures shared by every app's tests."""

from importlib.util import find_spec
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent

# Without the local extra (CI's Python 3.13 pass), the tests that need it skip,
# saying so: those marked `local_engine` and those using the tiny model. Modules
# that import torch begin with pytest.importorskip("torch"). The web, the API and
# the remote engines' tests still run.
LOCAL_ENGINE = find_spec("torch") is not None and find_spec("diffusers") is not None
NO_LOCAL_ENGINE = "needs the local engine (torch, diffusers): pip install -e '.[local]'"


def pytest_collection_modifyitems(config, items):
    if LOCAL_ENGINE:
        return
    for item in items:
        if "local_engine" in item.keywords or "tiny_model_path" in getattr(
            item, "fixturenames", ()
        ):
            item.add_marker(pytest.mark.skip(reason=NO_LOCAL_ENGINE))


# The tiny random-weight diffusers pipeline (studio/backends/tiny_model.py), built
# offline once and kept in .cache/ between runs. torch is imported only when used.
@pytest.fixture(scope="session")
def tiny_model_path() -> Path:
    from studio.backends.tiny_model import TINY_MODEL_VERSION, build_tiny_pipeline

    return build_tiny_pipeline(REPO / ".cache" / f"tiny-model-v{TINY_MODEL_VERSION}")


# Named people, isolated storage, images made through the real path.
pytest_plugins = ["tests.fixtures"]
