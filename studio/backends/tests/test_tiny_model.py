import pytest

pytest.importorskip(
    "torch", reason="needs the local engine (torch, diffusers): pip install -e '.[local]'"
)

import json

from studio.backends.diffusers_local import load_pipeline
from studio.backends.tiny_model import MARKER_FILE, build_tiny_pipeline, make_tokenizer


def test_it_builds_offline_and_loads_with_the_backend_loader(tiny_model_path):
    index = json.loads((tiny_model_path / "model_index.json").read_text())
    assert index["_class_name"] == "StableDiffusionPipeline"
    assert index["safety_checker"] == [None, None]

    pipe = load_pipeline(str(tiny_model_path), "cpu", _float32(), {})

    assert type(pipe).__name__ == "StableDiffusionPipeline"
    assert pipe.vae_scale_factor == 2


def test_its_tokenizer_splits_prompts_into_known_tokens():
    tokenizer = make_tokenizer()

    ids = tokenizer("A portrait of a zebra, 4k", add_special_tokens=False).input_ids

    assert tokenizer.unk_token_id not in ids
    assert tokenizer.convert_ids_to_tokens(ids)[:2] == ["a</w>", "portrait</w>"]


def test_it_writes_the_same_weights_every_time(tmp_path):
    first = build_tiny_pipeline(tmp_path / "one")
    second = build_tiny_pipeline(tmp_path / "two")

    for part in ("unet/diffusion_pytorch_model.safetensors", "text_encoder/model.safetensors"):
        assert (first / part).read_bytes() == (second / part).read_bytes()


def test_it_keeps_a_current_build(tmp_path):
    folder = build_tiny_pipeline(tmp_path / "tiny")
    before = (folder / "model_index.json").stat().st_mtime_ns

    assert build_tiny_pipeline(folder) == folder
    assert (folder / "model_index.json").stat().st_mtime_ns == before


def test_it_replaces_an_older_build_without_leaving_temporary_folders(tmp_path):
    folder = build_tiny_pipeline(tmp_path / "tiny")
    (folder / MARKER_FILE).write_text(json.dumps({"version": 0, "sdxl": False}))

    build_tiny_pipeline(folder)

    assert json.loads((folder / MARKER_FILE).read_text())["version"] > 0
    assert [p.name for p in tmp_path.iterdir()] == ["tiny"]
    assert folder.stat().st_mode & 0o777 == 0o755


def test_the_sdxl_variant_has_two_text_encoders(tiny_sdxl_model_path):
    index = json.loads((tiny_sdxl_model_path / "model_index.json").read_text())

    assert index["_class_name"] == "StableDiffusionXLPipeline"
    assert index["text_encoder_2"] == ["transformers", "CLIPTextModelWithProjection"]


def _float32():
    import torch

    return torch.float32
