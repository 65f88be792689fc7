"""The live preview decoded by TAESD when its weights are in the models folder,
the linear map otherwise (studio/backends/latent_preview.py)."""

import pytest

pytest.importorskip(
    "torch", reason="needs the local engine (torch, diffusers): pip install -e '.[local]'"
)

import torch

from studio.backends.diffusers_local import DiffusersBackend, PipelineCache
from studio.backends.latent_preview import decode_preview, load_tiny_decoder
from studio.backends.tiny_model import build_tiny_taesd

from .progress_recorder import Recorder


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    build_tiny_taesd(folder / "taesd")
    return folder


def previews(backend, tiny_request) -> list:
    recorder = Recorder()
    backend.generate(tiny_request(width=64, height=48), recorder, lambda: False)
    return [p.preview for p in recorder.sampling() if p.preview is not None]


def test_with_taesd_weights_the_preview_is_the_full_picture_size(models_dir, tiny_request):
    backend = DiffusersBackend(PipelineCache(), models_dir=str(models_dir))
    shown = previews(backend, tiny_request)
    assert shown and all(preview.size == (64, 48) for preview in shown)


def test_without_them_the_linear_map_shows_the_latent_size(tmp_path, tiny_request):
    backend = DiffusersBackend(PipelineCache(), models_dir=str(tmp_path))
    shown = previews(backend, tiny_request)
    assert shown and all(preview.size == (32, 24) for preview in shown)  # the tiny VAE: 2x


def test_the_sdxl_space_looks_for_its_own_weights(models_dir):
    assert load_tiny_decoder(False, models_dir, "cpu", torch.float32) is not None
    assert load_tiny_decoder(True, models_dir, "cpu", torch.float32) is None


def test_unreadable_weights_fall_back_with_a_warning(tmp_path, caplog):
    (tmp_path / "taesd").mkdir()
    (tmp_path / "taesd" / "config.json").write_text("{not json")
    assert load_tiny_decoder(False, tmp_path, "cpu", torch.float32) is None
    assert "TAESD weights in" in caplog.text


def test_the_preview_follows_the_latents(models_dir):
    decoder = load_tiny_decoder(False, models_dir, "cpu", torch.float32)
    first = decode_preview(decoder, torch.zeros(1, 4, 8, 8))
    second = decode_preview(decoder, torch.full((1, 4, 8, 8), 3.0))
    assert first.size == (16, 16)
    assert first.tobytes() != second.tobytes()


def test_a_dear_preview_makes_the_next_wait(models_dir, tiny_request, monkeypatch):
    """TAESD taking a (simulated) second a preview: previews stay a fifth of
    the time, and the last step shows the cheap linear map."""
    from studio.backends import diffusers_local

    clock = {"now": 1000.0}
    real_decode = diffusers_local.decode_preview

    def dear_decode(decoder, latents):
        clock["now"] += 1.0
        return real_decode(decoder, latents)

    monkeypatch.setattr(diffusers_local.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(diffusers_local, "decode_preview", dear_decode)
    monkeypatch.setattr(diffusers_local, "PREVIEW_INTERVAL", 0.0)
    backend = DiffusersBackend(PipelineCache(), models_dir=str(models_dir))
    recorder = Recorder()
    backend.generate(tiny_request(width=64, height=48, steps=6), recorder, lambda: False)
    shown = [(p.step, p.preview.size) for p in recorder.sampling() if p.preview is not None]
    assert shown == [(1, (64, 48)), (6, (32, 24))]
