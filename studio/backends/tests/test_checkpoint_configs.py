"""The bundled base configs and tokenizers that load single-file checkpoints
offline: they describe the real SD 1.5, SD 2.x and SDXL (checked on the meta
device, where a 2.6-billion-parameter UNet costs nothing), fitting them to a
real-size checkpoint changes nothing, and the tokenizer is CLIP's."""

import json

import pytest

pytest.importorskip(
    "torch", reason="needs the local engine (torch, diffusers): pip install -e '.[local]'"
)

from studio.backends.checkpoint_configs import (
    BASE_CONFIGS,
    CheckpointLayoutError,
    fitted_configs,
    write_config_folder,
)
from studio.tests.tiny_files import (
    clip_to_original,
    openclip_to_original,
    unet_to_original,
    vae_to_original,
)


def base(architecture: str, component: str) -> dict:
    return json.loads((BASE_CONFIGS / architecture / component / "config.json").read_text())


def on_meta(factory):
    from accelerate import init_empty_weights

    with init_empty_weights():
        return factory()


def shapes_of(state: dict) -> dict:
    return {key: tuple(value.shape) for key, value in state.items()}


def count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def unet(config):
    from diffusers import UNet2DConditionModel

    return on_meta(lambda: UNet2DConditionModel.from_config(config))


def vae(config):
    from diffusers import AutoencoderKL

    return on_meta(lambda: AutoencoderKL.from_config(config))


def text(config: dict, *, projection=False, layers=None):
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    values = {k: v for k, v in config.items() if k != "architectures"}
    if layers is not None:
        values["num_hidden_layers"] = layers
    cls = CLIPTextModelWithProjection if projection else CLIPTextModel
    return on_meta(lambda: cls(CLIPTextConfig(**values)))


def real_size_checkpoint(architecture: str) -> tuple[dict, dict]:
    """The shapes of a real checkpoint of the architecture in the original
    layout, made from the bundled configs; and the models, to count them."""
    models = {
        "unet": unet(base(architecture, "unet")),
        "vae": vae(base(architecture, "vae")),
    }
    state = unet_to_original(models["unet"].state_dict(), base(architecture, "unet"))
    state |= vae_to_original(models["vae"].state_dict(), base(architecture, "vae"))
    if architecture == "sd15":
        models["text_encoder"] = text(base("sd15", "text_encoder"))
        state |= clip_to_original(
            models["text_encoder"].state_dict(), "cond_stage_model.transformer."
        )
    elif architecture == "sd2":
        # The file holds all 24 layers of OpenCLIP ViT-H and its projection; SD 2 uses 23.
        full = text(base("sd2", "text_encoder"), projection=True, layers=24)
        models["text_encoder"] = text(base("sd2", "text_encoder"))
        state |= openclip_to_original(full.state_dict(), "cond_stage_model.model.")
    else:
        models["text_encoder"] = text(base("sdxl", "text_encoder"))
        models["text_encoder_2"] = text(base("sdxl", "text_encoder_2"), projection=True)
        state |= clip_to_original(
            models["text_encoder"].state_dict(), "conditioner.embedders.0.transformer."
        )
        state |= openclip_to_original(
            models["text_encoder_2"].state_dict(), "conditioner.embedders.1.model."
        )
    return shapes_of(state), models


# Published sizes of the real models' parameters.
REAL_SIZES = {
    "sd15": {"unet": 859_520_964, "vae": 83_653_863, "text_encoder": 123_060_480},
    "sd2": {"unet": 865_910_724, "vae": 83_653_863, "text_encoder": 340_387_840},
    "sdxl": {
        "unet": 2_567_463_684,
        "vae": 83_653_863,
        "text_encoder": 123_060_480,
        "text_encoder_2": 694_659_840,
    },
}


@pytest.mark.parametrize("architecture", ["sd15", "sd2", "sdxl"])
def test_the_bundled_configs_are_the_real_architectures(architecture):
    shapes, models = real_size_checkpoint(architecture)
    assert {name: count(model) for name, model in models.items()} == REAL_SIZES[architecture]
    fitted = fitted_configs(shapes, architecture)
    for component, config in fitted.items():
        assert config == base(architecture, component), component  # a real file: unchanged


def test_a_tiny_sdxl_checkpoint_gets_configs_of_its_own_shapes(tmp_path):
    from studio.backends.checkpoint_configs import checkpoint_shapes
    from studio.tests.tiny_files import write_tiny_sdxl_checkpoint

    path = write_tiny_sdxl_checkpoint(tmp_path / "xl.safetensors", widths=(32, 48))
    fitted = fitted_configs(checkpoint_shapes(path), "sdxl")
    assert fitted["text_encoder"]["hidden_size"] == 32
    assert fitted["text_encoder_2"]["hidden_size"] == 48
    assert fitted["text_encoder_2"]["projection_dim"] == 48
    assert fitted["unet"]["cross_attention_dim"] == 80  # both encoders' widths side by side
    assert fitted["unet"]["block_out_channels"] == [32, 64]
    assert fitted["unet"]["transformer_layers_per_block"] == [1, 2]
    assert fitted["unet"]["addition_time_embed_dim"] == 8
    assert fitted["vae"]["block_out_channels"] == [32, 64]
    assert fitted["vae"]["scaling_factor"] == 0.13025  # what shapes cannot say: SDXL's


def test_the_tokenizers_are_clips(tmp_path):
    from shutil import copytree

    from transformers import CLIPTokenizer

    from studio.backends.clip_vocab import write_tokenizer

    folders = {"sd15": ["tokenizer"], "sd2": ["tokenizer"], "sdxl": ["tokenizer", "tokenizer_2"]}
    for architecture, names in folders.items():
        target = tmp_path / architecture
        target.mkdir()
        for name in names:
            copytree(BASE_CONFIGS / architecture / name, target / name)
            settings = json.loads((target / name / "tokenizer_config.json").read_text())
            write_tokenizer(target / name, pad_token=settings["pad_token"])
            tokenizer = CLIPTokenizer.from_pretrained(target / name)
            assert len(tokenizer) == 49408
            # CLIP's well-known ids: start, "a", "photo", "of", "a", "cat", end
            ids = tokenizer("a photo of a cat").input_ids
            assert ids == [49406, 320, 1125, 539, 320, 2368, 49407]
    padded = CLIPTokenizer.from_pretrained(tmp_path / "sdxl" / "tokenizer_2")
    assert padded.pad_token == "!"  # OpenCLIP pads with "!", CLIP-L with the end token


def test_a_checkpoint_without_a_vae_says_so():
    shapes, _ = real_size_checkpoint("sd15")
    shapes = {k: v for k, v in shapes.items() if not k.startswith("first_stage_model.")}
    with pytest.raises(CheckpointLayoutError, match="no VAE"):
        fitted_configs(shapes, "sd15")


def test_a_prediction_type_is_checked_and_written(tmp_path):
    shapes, _ = real_size_checkpoint("sd2")
    folder = write_config_folder(shapes, tmp_path / "a", prediction_type="epsilon")
    scheduler = json.loads((folder / "scheduler" / "scheduler_config.json").read_text())
    assert scheduler["prediction_type"] == "epsilon"
    with pytest.raises(ValueError, match="prediction_type must be one of"):
        write_config_folder(shapes, tmp_path / "b", prediction_type="sample\ud800")


@pytest.fixture
def one_torch_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def offline(monkeypatch, one_torch_thread):
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert constants.is_offline_mode()


@pytest.mark.parametrize(
    ("architecture", "options", "prediction"),
    [
        ("sd15", {}, "epsilon"),
        ("sd2", {}, "v_prediction"),
        ("sd2", {"prediction_type": "epsilon"}, "epsilon"),
    ],
)
def test_sd_checkpoints_load_offline_and_make_a_picture(
    tmp_path, offline, architecture, options, prediction
):
    import torch
    from safetensors.torch import load_file

    from studio.backends.diffusers_local import load_pipeline
    from studio.tests.tiny_files import write_tiny_sd_checkpoint

    path = write_tiny_sd_checkpoint(tmp_path / "m.safetensors", architecture=architecture)
    options = {"pipeline": "sd", "architecture": architecture, **options}
    pipe = load_pipeline(str(path), "cpu", torch.float32, options)
    state = load_file(path)
    if architecture == "sd2":
        embedding = state["cond_stage_model.model.token_embedding.weight"]
        assert pipe.text_encoder.config.num_hidden_layers == 3  # of 4: SD 2 skips the last
    else:
        embedding = state[
            "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight"
        ]
    assert torch.equal(pipe.text_encoder.get_input_embeddings().weight, embedding)
    assert pipe.scheduler.config.prediction_type == prediction
    picture = pipe("a photo of a cat", width=64, height=64, num_inference_steps=2).images[0]
    assert picture.size == (64, 64)


def test_a_trusted_pickle_checkpoint_gives_the_same_shapes(tmp_path):
    import torch
    from safetensors.torch import load_file

    from studio.backends.checkpoint_configs import checkpoint_shapes
    from studio.tests.tiny_files import write_tiny_sd_checkpoint

    path = write_tiny_sd_checkpoint(tmp_path / "m.safetensors")
    torch.save({"state_dict": load_file(path), "global_step": 1}, tmp_path / "m.ckpt")
    assert checkpoint_shapes(tmp_path / "m.ckpt") == checkpoint_shapes(path)
