"""Fixtures of the studio's tests: the tiny pipeline on a fake hub."""

import pytest

from studio.backends.tests.fake_hub import TINY_REPO, FakeHub, point_huggingface_hub_at


@pytest.fixture
def hub(tiny_model_path, tmp_path, monkeypatch):
    """A fake Hugging Face hub serving the tiny pipeline as TINY_REPO, with
    huggingface_hub pointed at it and a cache of this test's own."""
    with FakeHub() as hub:
        hub.add_folder(TINY_REPO, tiny_model_path)
        point_huggingface_hub_at(monkeypatch, hub.url, tmp_path / "hf-home")
        yield hub
