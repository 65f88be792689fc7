"""The inpainting variant of a model, when one is installed.

An inpainting model (sd-v1-5-inpainting, A1111's ``<name>-inpainting``
checkpoints) is the same model trained further with the mask and the masked
picture as extra inputs: its UNet takes 9 channels instead of 4, and it
blends new and kept parts better. A mask job on a model whose variant is
here runs on the variant; otherwise the model itself inpaints (the local
engine's inpaint pipeline from the loaded one). What makes a variant:

- a preset of the local engine, enabled and installed, named like the model
  with "inpainting" (``<name>-inpainting``, ``<name>.inpainting``,
  ``<name>_inpainting``; a checkpoint file or a diffusers folder), or the
  hub's inpainting repository of a known hub model;
- whose UNet takes 9 channels, read from the checkpoint's header or the
  folder's ``unet/config.json`` (a hub model is trusted by its name, and
  the engine checks the loaded UNet's ``in_channels`` again).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .checkpoints import CheckpointError, read_safetensors_header, resolve
from .model_status import INSTALLED, status_of
from .presets import enabled_presets

# Hub models whose inpainting variant is another repository.
HUB_VARIANTS = {
    "runwayml/stable-diffusion-v1-5": "runwayml/stable-diffusion-inpainting",
    "stable-diffusion-v1-5/stable-diffusion-v1-5": (
        "stable-diffusion-v1-5/stable-diffusion-inpainting"
    ),
    "stabilityai/stable-diffusion-2-base": "stabilityai/stable-diffusion-2-inpainting",
    "stabilityai/stable-diffusion-xl-base-1.0": "diffusers/stable-diffusion-xl-1.0-inpainting-0.1",
}
_FIRST_CONV = (
    "model.diffusion_model.input_blocks.0.0.weight",  # A1111 / original checkpoints
    "conv_in.weight",  # a diffusers UNet saved as one file
)
_SUFFIX = re.compile(r"\.(safetensors|ckpt|pt|pth)$", re.IGNORECASE)


def variant_names(model_id: str) -> list[str]:
    """The model ids an inpainting variant of ``model_id`` may have."""
    if model_id in HUB_VARIANTS:
        return [HUB_VARIANTS[model_id]]
    stem, suffix = model_id, ""
    if match := _SUFFIX.search(model_id):
        stem, suffix = model_id[: match.start()], match.group(0)
    stem = stem.rstrip("/")
    return [f"{stem}{joint}inpainting{suffix}" for joint in ("-", ".", "_")]


def takes_nine_channels(model_id: str) -> bool:
    """Whether the model's UNet takes the mask (9 input channels)."""
    if model_id in HUB_VARIANTS.values():
        return True
    path = Path(resolve(model_id))
    try:
        if path.is_dir():
            config = json.loads((path / "unet" / "config.json").read_text())
            return config.get("in_channels") == 9
        if path.suffix.lower() == ".safetensors":
            header = read_safetensors_header(path)
            shape = next((header[k]["shape"] for k in _FIRST_CONV if k in header), None)
            return bool(shape) and len(shape) == 4 and shape[1] == 9
    except (OSError, ValueError, CheckpointError, KeyError, TypeError):
        return False
    return False


def inpainting_variant(preset):
    """The enabled, installed inpainting preset for ``preset``'s model, if any."""
    if preset.backend != "diffusers" or takes_nine_channels(preset.model_id):
        return None
    wanted = variant_names(preset.model_id)
    for candidate in enabled_presets():
        if candidate.backend != "diffusers" or candidate.model_id not in wanted:
            continue
        if status_of(candidate).state == INSTALLED and takes_nine_channels(candidate.model_id):
            return candidate
    return None
