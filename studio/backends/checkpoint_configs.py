"""The diffusers configuration a single-file checkpoint is loaded with, offline.

``from_single_file`` needs a diffusers folder of configs beside the weights
(model_index.json, the scheduler's, the UNet's, the VAE's, the text
encoders' and the tokenizers' files), which diffusers otherwise fetches from
the Hugging Face hub. Atelier bundles them for SD 1.5, SD 2.x and SDXL in
``base_configs/<architecture>/`` and, for each load, writes a folder of them
fitted to the checkpoint's tensor shapes (read from its header, not its
weights): a checkpoint of the usual size gets the configs unchanged, one with
other widths, depths or channels (an inpainting UNet, a pruned text encoder,
the tests' tiny models) gets configs that fit it. The tokenizers are made
from the bundled CLIP merges (``clip_vocab``).

What shapes cannot say is kept from the base: the number of attention heads
when a width is the usual one (else 64-wide heads), the VAE's scaling factor,
the scheduler (SD 2.x: v-prediction, as 2.0/2.1 768 are; the preset option
"prediction_type" says otherwise for a 512 epsilon model).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from .clip_vocab import EOS, write_tokenizer

BASE_CONFIGS = Path(__file__).parent / "base_configs"
ARCHITECTURES = ("sd15", "sd2", "sdxl")
PREDICTION_TYPES = ("epsilon", "v_prediction")

UNET = "model.diffusion_model."
VAE = "first_stage_model."
# Where each text encoder's weights sit in the original layouts.
CLIP_SD15 = "cond_stage_model.transformer.text_model."  # CLIP ViT-L, transformers names
OPENCLIP_SD2 = "cond_stage_model.model."  # OpenCLIP ViT-H, open_clip names
CLIP_SDXL = "conditioner.embedders.0.transformer.text_model."
OPENCLIP_SDXL = "conditioner.embedders.1.model."

Shapes = dict[str, tuple[int, ...]]


class CheckpointLayoutError(ValueError):
    """The checkpoint lacks tensors its architecture must have."""


def architecture_of(keys) -> str:
    """sd15, sd2 or sdxl from the key names (as ``studio.checkpoints`` detects them)."""
    keys = list(keys)
    if any(k.startswith("conditioner.embedders.1.") for k in keys):
        return "sdxl"
    if any(k.startswith(OPENCLIP_SD2) for k in keys):
        return "sd2"
    return "sd15"


def checkpoint_shapes(path: str | Path) -> Shapes:
    """Every tensor's shape; a .safetensors file's header only, a trusted
    pickle memory-mapped."""
    path = str(path)
    if path.lower().endswith(".safetensors"):
        from safetensors import safe_open

        with safe_open(path, framework="pt") as f:
            return {key: tuple(f.get_slice(key).get_shape()) for key in f.keys()}
    import torch

    data = torch.load(path, map_location="cpu", mmap=True, weights_only=True)
    data = data.get("state_dict", data) if isinstance(data, dict) else {}
    return {k: tuple(v.shape) for k, v in data.items() if hasattr(v, "shape")}


def write_config_folder(
    shapes: Shapes,
    target: Path,
    *,
    architecture: str | None = None,
    prediction_type: str | None = None,
) -> Path:
    """A diffusers config folder for this checkpoint into ``target`` (no weights)."""
    architecture = architecture or architecture_of(shapes)
    if architecture not in ARCHITECTURES:
        raise CheckpointLayoutError(f"no base configuration for architecture {architecture!r}")
    base = BASE_CONFIGS / architecture
    shutil.copytree(base, target, dirs_exist_ok=True)
    for component, config in fitted_configs(shapes, architecture).items():
        (target / component / "config.json").write_text(json.dumps(config, indent=2))
    if prediction_type:
        if prediction_type not in PREDICTION_TYPES:
            raise ValueError(
                f"the preset option prediction_type must be one of {', '.join(PREDICTION_TYPES)}, "
                f"not {prediction_type!r}"
            )
        scheduler = target / "scheduler" / "scheduler_config.json"
        config = json.loads(scheduler.read_text())
        scheduler.write_text(json.dumps({**config, "prediction_type": prediction_type}))
    for folder in sorted(target.glob("tokenizer*")):
        settings = json.loads((folder / "tokenizer_config.json").read_text())
        write_tokenizer(folder, pad_token=settings.get("pad_token", EOS))
    return target


def fitted_configs(shapes: Shapes, architecture: str) -> dict[str, dict]:
    """Each model component's config: the base one, with what the shapes say."""
    base = BASE_CONFIGS / architecture

    def load(component: str) -> dict:
        return json.loads((base / component / "config.json").read_text())

    configs: dict[str, dict] = {}
    if architecture == "sdxl":
        configs["text_encoder"] = fit_clip(load("text_encoder"), shapes, CLIP_SDXL)
        configs["text_encoder_2"] = fit_openclip(load("text_encoder_2"), shapes, OPENCLIP_SDXL)
        pooled = configs["text_encoder_2"]["projection_dim"]
        configs["unet"] = fit_unet(load("unet"), shapes, pooled_width=pooled)
    elif architecture == "sd2":
        # SD 2 conditions on the penultimate layer: the last one is not loaded.
        configs["text_encoder"] = fit_openclip(
            load("text_encoder"), shapes, OPENCLIP_SD2, unused_layers=1
        )
        configs["unet"] = fit_unet(load("unet"), shapes)
    else:
        configs["text_encoder"] = fit_clip(load("text_encoder"), shapes, CLIP_SD15)
        configs["unet"] = fit_unet(load("unet"), shapes)
    configs["vae"] = fit_vae(load("vae"), shapes)
    return configs


# UNet ---------------------------------------------------------------------------


def fit_unet(base: dict, shapes: Shapes, *, pooled_width: int | None = None) -> dict:
    """Levels, channels, layers, attention depth and widths from the original
    layout's ``input_blocks``: each level's resnets (and transformers), then a
    downsampler (``.0.op``) between levels."""
    levels: list[list[int]] = [[]]
    for index in _indices(shapes, UNET + "input_blocks.")[1:]:
        if UNET + f"input_blocks.{index}.0.op.weight" in shapes:
            levels.append([])
        else:
            levels[-1].append(index)
    if not levels[0]:
        raise CheckpointLayoutError("its UNet has no input blocks")
    channels = [
        _shape(shapes, UNET + f"input_blocks.{level[0]}.0.out_layers.3.weight")[0]
        for level in levels
    ]
    depths = [
        len(_indices(shapes, UNET + f"input_blocks.{level[0]}.1.transformer_blocks."))
        for level in levels
    ]
    cross = _first(shapes, UNET, ".attn2.to_k.weight")  # (width, text width)
    proj_in = _first(shapes, UNET, ".proj_in.weight")  # 2 dimensions: a linear projection
    if cross is None or proj_in is None:
        raise CheckpointLayoutError("its UNet has no cross-attention")
    config = dict(base)
    config |= {
        "in_channels": _shape(shapes, UNET + "input_blocks.0.0.weight")[1],
        "out_channels": _shape(shapes, UNET + "out.2.weight")[0],
        "block_out_channels": channels,
        "layers_per_block": len(levels[0]),
        "down_block_types": ["CrossAttnDownBlock2D" if d else "DownBlock2D" for d in depths],
        "up_block_types": ["CrossAttnUpBlock2D" if d else "UpBlock2D" for d in reversed(depths)],
        "cross_attention_dim": cross[1],
        "use_linear_projection": len(proj_in) == 2,
    }
    if "transformer_layers_per_block" in base or any(d > 1 for d in depths):
        config["transformer_layers_per_block"] = [max(d, 1) for d in depths]
    if channels != base["block_out_channels"]:
        config["attention_head_dim"] = [_heads(c) for c in channels]
    if config.get("addition_embed_type") == "text_time":
        added = _shape(shapes, UNET + "label_emb.0.0.weight")[1]
        config["projection_class_embeddings_input_dim"] = added
        if pooled_width is not None and (added - pooled_width) % 6 == 0:
            # the pooled text embedding, then 6 numbers (sizes, crop) each embedded
            config["addition_time_embed_dim"] = (added - pooled_width) // 6
    return config


# VAE ----------------------------------------------------------------------------


def fit_vae(base: dict, shapes: Shapes) -> dict:
    levels = _indices(shapes, VAE + "encoder.down.")
    if not levels:
        raise CheckpointLayoutError("it has no VAE (first_stage_model)")
    channels = [_shape(shapes, VAE + f"encoder.down.{i}.block.0.conv1.weight")[0] for i in levels]
    return base | {
        "block_out_channels": channels,
        "layers_per_block": len(_indices(shapes, VAE + "encoder.down.0.block.")),
        "latent_channels": _shape(shapes, VAE + "decoder.conv_in.weight")[1],
        "down_block_types": ["DownEncoderBlock2D"] * len(levels),
        "up_block_types": ["UpDecoderBlock2D"] * len(levels),
    }


# Text encoders --------------------------------------------------------------------


def fit_clip(base: dict, shapes: Shapes, prefix: str) -> dict:
    """A CLIP text encoder kept in transformers' names (SD 1.5, SDXL's first)."""
    vocab, width = _shape(shapes, prefix + "embeddings.token_embedding.weight")
    return _text_config(
        base,
        vocab=vocab,
        width=width,
        positions=_shape(shapes, prefix + "embeddings.position_embedding.weight")[0],
        layers=len(_indices(shapes, prefix + "encoder.layers.")),
        intermediate=_shape(shapes, prefix + "encoder.layers.0.mlp.fc1.weight")[0],
    )


def fit_openclip(base: dict, shapes: Shapes, prefix: str, *, unused_layers: int = 0) -> dict:
    """An OpenCLIP text encoder in open_clip's names (SD 2.x, SDXL's second)."""
    vocab, width = _shape(shapes, prefix + "token_embedding.weight")
    config = _text_config(
        base,
        vocab=vocab,
        width=width,
        positions=_shape(shapes, prefix + "positional_embedding")[0],
        layers=len(_indices(shapes, prefix + "transformer.resblocks.")) - unused_layers,
        intermediate=_shape(shapes, prefix + "transformer.resblocks.0.mlp.c_fc.weight")[0],
    )
    projection = shapes.get(prefix + "text_projection")
    if projection and "CLIPTextModelWithProjection" in base.get("architectures", ()):
        config["projection_dim"] = projection[1]  # SDXL's pooled embedding
    return config


def _text_config(base, *, vocab, width, positions, layers, intermediate) -> dict:
    config = dict(base)
    config |= {
        "vocab_size": vocab,
        "hidden_size": width,
        "max_position_embeddings": positions,
        "num_hidden_layers": layers,
        "intermediate_size": intermediate,
    }
    if width != base["hidden_size"]:
        config["num_attention_heads"] = _heads(width)
    return config


# Helpers ---------------------------------------------------------------------------


def _heads(width: int) -> int:
    """Attention heads for an unusual width: 64 wide each, as SD 2 and SDXL have."""
    return width // 64 if width % 64 == 0 else 1


def _indices(shapes: Shapes, prefix: str) -> list[int]:
    """The numbers right after ``prefix`` in the key names, sorted."""
    pattern = re.compile(re.escape(prefix) + r"(\d+)\.")
    return sorted({int(m.group(1)) for k in shapes if (m := pattern.match(k))})


def _first(shapes: Shapes, prefix: str, suffix: str) -> tuple[int, ...] | None:
    return next((s for k, s in shapes.items() if k.startswith(prefix) and k.endswith(suffix)), None)


def _shape(shapes: Shapes, key: str) -> tuple[int, ...]:
    try:
        return shapes[key]
    except KeyError:
        raise CheckpointLayoutError(f"it has no tensor {key}") from None
