"""Tiny model files in the layouts people download, built offline from the tiny
pipeline: a single-file checkpoint (original Stable Diffusion key names, as
A1111 and Civitai files have them), a kohya-format LoRA and a textual
inversion embedding. The reverse of diffusers' own single-file converters,
for the tiny pipeline's block layout (any number of blocks and layers)."""

from __future__ import annotations

from pathlib import Path

from safetensors.torch import load_file, save_file


def write_tiny_checkpoint(pipeline_folder: Path, target: Path) -> Path:
    """The tiny SD pipeline's weights as one original-layout .safetensors file."""
    folder = Path(pipeline_folder)
    state = unet_to_original(
        load_file(folder / "unet" / "diffusion_pytorch_model.safetensors"),
        _config(folder / "unet"),
    )
    state |= vae_to_original(
        load_file(folder / "vae" / "diffusion_pytorch_model.safetensors"),
        _config(folder / "vae"),
    )
    text = load_file(folder / "text_encoder" / "model.safetensors")
    state |= clip_to_original(text, "cond_stage_model.transformer.")
    return _save(state, target)


def write_tiny_sdxl_checkpoint(target: Path, *, widths: tuple[int, int] = (32, 48)) -> Path:
    """A tiny SDXL checkpoint in the original SDXL layout, random weights (seeded):
    a CLIP text encoder (``conditioner.embedders.0``) and an OpenCLIP one
    (``conditioner.embedders.1``) of different widths, as CLIP-L (768) and
    OpenCLIP-G (1280) are, both over CLIP's full 49,408-token vocabulary so
    that the real tokenizer's ids fit; a UNet conditioned on both (their
    widths side by side) and on the second's pooled projection."""
    import torch
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    first, second = widths
    time_dim = 8
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(11)
        unet = _tiny_unet(
            cross_attention_dim=first + second,
            transformer_layers_per_block=(1, 2),
            use_linear_projection=True,
            addition_embed_type="text_time",
            addition_time_embed_dim=time_dim,
            projection_class_embeddings_input_dim=second + 6 * time_dim,
        )
        vae = _tiny_vae(scaling_factor=0.13025)
        clip = CLIPTextModel(_tiny_text_config(first, "quick_gelu"))
        openclip = CLIPTextModelWithProjection(_tiny_text_config(second, "gelu"))
    state = unet_to_original(unet.state_dict(), dict(unet.config))
    state |= vae_to_original(vae.state_dict(), dict(vae.config))
    state |= clip_to_original(clip.state_dict(), "conditioner.embedders.0.transformer.")
    state |= openclip_to_original(openclip.state_dict(), "conditioner.embedders.1.model.")
    return _save(state, target)


def write_tiny_sd_checkpoint(target: Path, *, architecture: str = "sd15", width: int = 32) -> Path:
    """A tiny SD 1.5 (CLIP text encoder in transformers' names) or SD 2.x
    (OpenCLIP in open_clip's names, one layer more than SD 2 uses, as the
    real file has) checkpoint over CLIP's full vocabulary, random weights."""
    import torch
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    sd2 = architecture == "sd2"
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(12)
        unet = _tiny_unet(cross_attention_dim=width, use_linear_projection=sd2)
        vae = _tiny_vae(scaling_factor=0.18215)
        if sd2:
            text = CLIPTextModelWithProjection(_tiny_text_config(width, "gelu", layers=4))
        else:
            text = CLIPTextModel(_tiny_text_config(width, "quick_gelu"))
    state = unet_to_original(unet.state_dict(), dict(unet.config))
    state |= vae_to_original(vae.state_dict(), dict(vae.config))
    if sd2:
        state |= openclip_to_original(text.state_dict(), "cond_stage_model.model.")
    else:
        state |= clip_to_original(text.state_dict(), "cond_stage_model.transformer.")
    return _save(state, target)


def _tiny_text_config(width: int, act: str, *, layers: int = 3):
    from transformers import CLIPTextConfig

    return CLIPTextConfig(
        vocab_size=49408,
        hidden_size=width,
        intermediate_size=2 * width,
        num_hidden_layers=layers,
        num_attention_heads=1,
        max_position_embeddings=77,
        projection_dim=width,
        hidden_act=act,
        bos_token_id=0,
        eos_token_id=2,
        pad_token_id=1,
    )


def _tiny_unet(**extra):
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(
        sample_size=32,
        block_out_channels=(32, 64),
        layers_per_block=2,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(1, 1),
        norm_num_groups=32,
        **extra,
    )


def _tiny_vae(*, scaling_factor: float):
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        block_out_channels=(32, 64),
        latent_channels=4,
        norm_num_groups=32,
        scaling_factor=scaling_factor,
    )


def unet_to_original(unet: dict, config: dict) -> dict:
    layout = {
        "layers": config["layers_per_block"],
        "down": config["down_block_types"],
        "up": config["up_block_types"],
    }
    return {"model.diffusion_model." + _unet_key(k, layout): v for k, v in unet.items()}


def vae_to_original(vae: dict, config: dict) -> dict:
    blocks = len(config["block_out_channels"])
    state = {}
    for key, value in vae.items():
        name = _vae_key(key, blocks)
        if ".mid.attn_1." in f".{name}" and name.endswith("weight") and value.ndim == 2:
            value = value[:, :, None, None]  # the original VAE's attention is 1x1 convolutions
        state["first_stage_model." + name] = value
    return state


def clip_to_original(text: dict, prefix: str) -> dict:
    """A transformers CLIP text model's weights under ``prefix``, as SD keeps them."""
    state = {}
    for key, value in text.items():
        if key.endswith("position_ids"):
            continue
        # transformers 5.6+ saves CLIPTextModel without its "text_model." level
        name = key if key.startswith("text_model.") else "text_model." + key
        state[prefix + name] = value
    return state


_OPENCLIP = [
    ("self_attn.out_proj.", "attn.out_proj."),
    ("layer_norm1.", "ln_1."),
    ("layer_norm2.", "ln_2."),
    ("mlp.fc1.", "mlp.c_fc."),
    ("mlp.fc2.", "mlp.c_proj."),
]


def openclip_to_original(text: dict, prefix: str) -> dict:
    """A transformers CLIP text model with projection in open_clip's names:
    one in_proj for q, k and v, a (width, projection) text_projection."""
    import torch

    text = {k.removeprefix("text_model."): v for k, v in text.items()}
    state = {
        prefix + "token_embedding.weight": text.pop("embeddings.token_embedding.weight"),
        prefix + "positional_embedding": text.pop("embeddings.position_embedding.weight"),
        prefix + "ln_final.weight": text.pop("final_layer_norm.weight"),
        prefix + "ln_final.bias": text.pop("final_layer_norm.bias"),
    }
    if "text_projection.weight" in text:
        state[prefix + "text_projection"] = text.pop("text_projection.weight").T
    layers = {int(k.split(".")[2]) for k in text if k.startswith("encoder.layers.")}
    for layer in sorted(layers):
        old = f"encoder.layers.{layer}."
        new = f"{prefix}transformer.resblocks.{layer}."
        for kind in ("weight", "bias"):
            qkv = [text.pop(f"{old}self_attn.{p}_proj.{kind}") for p in "qkv"]
            state[f"{new}attn.in_proj_{kind}"] = torch.cat(qkv)
        for key in [k for k in text if k.startswith(old)]:
            name = key[len(old) :]
            for diffusers_name, original in _OPENCLIP:
                name = name.replace(diffusers_name, original)
            state[new + name] = text.pop(key)
    leftover = [k for k in text if not k.endswith("position_ids")]
    if leftover:
        raise ValueError(f"no open_clip name for {leftover[:3]}")
    return state


def _save(state: dict, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in state.items()}, target)
    return target


def _config(folder: Path) -> dict:
    import json

    return json.loads((folder / "config.json").read_text())


_RESNET = [
    ("norm1", "in_layers.0"),
    ("conv1", "in_layers.2"),
    ("norm2", "out_layers.0"),
    ("conv2", "out_layers.3"),
    ("time_emb_proj", "emb_layers.1"),
    ("conv_shortcut", "skip_connection"),
]
_UNET_TOP = {
    "add_embedding.linear_1": "label_emb.0.0",
    "add_embedding.linear_2": "label_emb.0.2",
    "time_embedding.linear_1": "time_embed.0",
    "time_embedding.linear_2": "time_embed.2",
    "conv_in": "input_blocks.0.0",
    "conv_norm_out": "out.0",
    "conv_out": "out.2",
}


def _unet_key(key: str, layout: dict) -> str:
    parts = key.split(".")
    layers = layout["layers"]
    for old, new in _UNET_TOP.items():
        if key.startswith(old + "."):
            return new + key[len(old) :]
    if parts[0] == "down_blocks":
        block, kind = int(parts[1]), parts[2]
        if kind == "downsamplers":  # down_blocks.i.downsamplers.0.conv.x
            return f"input_blocks.{(block + 1) * (layers + 1)}.0.op.{parts[-1]}"
        index = 1 + block * (layers + 1) + int(parts[3])
        return _inner(f"input_blocks.{index}", kind, parts[4:])
    if parts[0] == "up_blocks":
        block, kind = int(parts[1]), parts[2]
        has_attention = "CrossAttn" in layout["up"][block]
        if kind == "upsamplers":  # up_blocks.i.upsamplers.0.conv.x
            index = block * (layers + 1) + layers
            return f"output_blocks.{index}.{2 if has_attention else 1}.{'.'.join(parts[4:])}"
        index = block * (layers + 1) + int(parts[3])
        return _inner(f"output_blocks.{index}", kind, parts[4:])
    if parts[0] == "mid_block":
        kind, index = parts[1], int(parts[2])
        where = "middle_block.1" if kind == "attentions" else f"middle_block.{2 * index}"
        return _inner(where, kind, parts[3:], sub=False)
    raise ValueError(f"no original name for {key}")


def _inner(prefix: str, kind: str, rest: list[str], sub: bool = True) -> str:
    name = ".".join(rest)
    if kind == "resnets":
        for old, new in _RESNET:
            if name.startswith(old + "."):
                name = new + name[len(old) :]
                break
        return f"{prefix}.0.{name}" if sub else f"{prefix}.{name}"
    return f"{prefix}.1.{name}" if sub else f"{prefix}.{name}"


_VAE_ATTENTION = {
    "group_norm": "norm",
    "to_q": "q",
    "to_k": "k",
    "to_v": "v",
    "to_out.0": "proj_out",
}


def _vae_key(key: str, blocks: int) -> str:
    side, _, rest = key.partition(".")
    if side not in ("encoder", "decoder"):
        return key  # quant_conv, post_quant_conv
    parts = rest.split(".")
    if parts[0] == "conv_norm_out":
        return f"{side}.norm_out.{parts[1]}"
    if parts[0] in ("conv_in", "conv_out"):
        return f"{side}.{rest}"
    if parts[0] == "mid_block":
        if parts[1] == "attentions":
            inner = ".".join(parts[3:])
            for old, new in _VAE_ATTENTION.items():
                if inner.startswith(old + "."):
                    inner = new + inner[len(old) :]
            return f"{side}.mid.attn_1.{inner}"
        return f"{side}.mid.block_{int(parts[2]) + 1}.{_vae_resnet('.'.join(parts[3:]))}"
    block = int(parts[1])
    ldm_block = block if side == "encoder" else blocks - 1 - block
    group = "down" if side == "encoder" else "up"
    if parts[2] in ("downsamplers", "upsamplers"):
        kind = "downsample" if side == "encoder" else "upsample"
        return f"{side}.{group}.{ldm_block}.{kind}.{'.'.join(parts[4:])}"
    resnet = _vae_resnet(".".join(parts[4:]))
    return f"{side}.{group}.{ldm_block}.block.{parts[3]}.{resnet}"


def _vae_resnet(name: str) -> str:
    return name.replace("conv_shortcut", "nin_shortcut")


def write_tiny_lora(pipeline_folder: Path, target: Path, *, rank: int = 4, seed: int = 7) -> Path:
    """A LoRA on the tiny UNet's attention projections, in kohya's key format
    (``lora_unet_<module>.lora_down.weight`` / ``.lora_up.weight`` / ``.alpha``),
    with both halves random so that it visibly changes the picture."""
    import torch

    unet = load_file(Path(pipeline_folder) / "unet" / "diffusion_pytorch_model.safetensors")
    generator = torch.Generator().manual_seed(seed)
    state = {}
    targets = ("to_q.weight", "to_k.weight", "to_v.weight", "to_out.0.weight")
    for key, weight in sorted(unet.items()):
        if "attentions" not in key or not key.endswith(targets):
            continue
        module = "lora_unet_" + key[: -len(".weight")].replace(".", "_")
        out_features, in_features = weight.shape
        down = torch.randn(rank, in_features, generator=generator) * 0.5
        up = torch.randn(out_features, rank, generator=generator) * 0.5
        state[f"{module}.lora_down.weight"] = down
        state[f"{module}.lora_up.weight"] = up
        state[f"{module}.alpha"] = torch.tensor(float(rank))
    target.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, target)
    return target


def write_tiny_embedding(target: Path, *, vectors: int = 2, width: int = 32, seed: int = 3):
    """A textual inversion in A1111's safetensors format (``emb_params``)."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    target.parent.mkdir(parents=True, exist_ok=True)
    save_file({"emb_params": torch.randn(vectors, width, generator=generator)}, target)
    return target
