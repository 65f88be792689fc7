import pytest

pytest.importorskip(
    "torch", reason="needs the local engine (torch, diffusers): pip install -e '.[local]'"
)

import huggingface_hub.constants
import torch

from studio.backends import diffusers_local
from studio.backends.base import BackendError, ModelUnavailable


@pytest.fixture
def offline(monkeypatch):
    """Hugging Face offline mode, as HF_HUB_OFFLINE=1 at start-up would set it."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


def generate(backend, request, recorder):
    return backend.generate(request, recorder, lambda: False)


def test_a_missing_folder_is_unavailable(backend, tiny_request, recorder, tmp_path):
    missing = tmp_path / "models" / "nope"

    with pytest.raises(ModelUnavailable) as raised:
        generate(backend, tiny_request(model_id=str(missing)), recorder)

    assert str(raised.value) == (
        f"Model folder '{missing}' does not exist. Check the path in the preset "
        "(it is read on the worker's machine)."
    )


def test_a_folder_without_model_index_is_unavailable(backend, tiny_request, recorder, tmp_path):
    with pytest.raises(ModelUnavailable, match="has no model_index.json"):
        generate(backend, tiny_request(model_id=str(tmp_path)), recorder)


def test_a_hub_id_that_is_not_downloaded_is_unavailable_offline(
    backend, tiny_request, recorder, offline
):
    request = tiny_request(model_id="atelier-tests/never-downloaded")

    with pytest.raises(ModelUnavailable) as raised:
        generate(backend, request, recorder)

    message = str(raised.value)
    assert message.startswith(
        "Model 'atelier-tests/never-downloaded' is not downloaded and Hugging Face "
        "offline mode is on (HF_HUB_OFFLINE)."
    )
    assert "`hf download atelier-tests/never-downloaded`" in message
    assert "'tiny' preset" in message
    assert raised.value.retryable is False
    assert recorder.phases() == ["loading"]


def test_an_error_message_never_shows_the_token(
    backend, tiny_request, recorder, monkeypatch, offline
):
    token = "hf_abcdefghijklmnopqrstuvwxyz123456"
    monkeypatch.setenv("HF_TOKEN", token)

    def leaky_load_config(model_id, **kwargs):
        raise OSError(f"Request with Authorization: Bearer {token} failed")

    monkeypatch.setattr(diffusers_local.DiffusionPipeline, "load_config", leaky_load_config)

    with pytest.raises(ModelUnavailable) as raised:
        generate(backend, tiny_request(model_id="someone/private-model"), recorder)

    assert str(raised.value) == (
        "Model 'someone/private-model' could not be loaded: "
        "Request with Authorization: Bearer *** failed"
    )


def test_a_corrupt_checkpoint_is_unavailable(backend, tiny_request, recorder, tmp_path):
    checkpoint = tmp_path / "model.safetensors"
    checkpoint.write_bytes(b"\xff" * 4096)

    with pytest.raises(ModelUnavailable) as raised:
        generate(backend, tiny_request(model_id=str(checkpoint)), recorder)

    assert "incomplete or corrupt" in str(raised.value)
    assert "Download it again" in str(raised.value)


def test_a_missing_checkpoint_file_is_unavailable(backend, tiny_request, recorder, tmp_path):
    with pytest.raises(ModelUnavailable, match="model.ckpt' does not exist"):
        generate(backend, tiny_request(model_id=str(tmp_path / "model.ckpt")), recorder)


def test_an_empty_model_id_is_unavailable(backend, tiny_request, recorder):
    with pytest.raises(ModelUnavailable, match="No model is set"):
        generate(backend, tiny_request(model_id=""), recorder)


def test_running_out_of_memory_advises_a_smaller_job(backend, tiny_request, recorder, monkeypatch):
    generate(backend, tiny_request(), recorder)  # loaded
    unet = _loaded_pipe(backend, tiny_request()).unet

    def exhausted(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(unet, "forward", exhausted)

    with pytest.raises(BackendError) as raised:
        generate(backend, tiny_request(n=4, width=64, height=64), recorder)

    assert str(raised.value) == (
        "Out of memory while making 4 image(s) of 64x64. "
        "Try a smaller size or fewer images at once."
    )


def _loaded_pipe(backend, request):
    with backend.cache.checkout(request, "cpu", torch.float32, lambda p: None) as loaded:
        return loaded.pipe
