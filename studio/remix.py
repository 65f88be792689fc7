"""Remix: a recipe from the image page's Remix link (``/generate/?prompt=…``)
mapped onto what this site has — a model preset by name, a sampler by its A1111
name — and what could not be mapped, for the Generate page to say.

Recipes from other tools name models, samplers and schedulers their way; what
has no counterpart here is listed for the person instead of silently dropped.
(The link itself is made by ``gallery_tags.remix_query``, which adds LoRAs to
the prompt as ``<lora:name:weight>`` tags.)
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from .backends.base import BackendError
from .backends.init_image import resize_mode_key
from .backends.inpaint_mask import inpaint_area_key
from .backends.samplers import canonical_sampler
from .presets import enabled_presets
from .styles import find_style, unexpand

MASK_NOT_BROUGHT = "the mask (paint it again)"

# Schedulers that the sampler's A1111 name already says (the Karras variant, or none).
_FOLDED_SCHEDULERS = {"normal", "karras", "simple", "default", "automatic", ""}
_MODEL_SUFFIXES = re.compile(r"\.(safetensors|ckpt|pt|bin|gguf)$", re.IGNORECASE)


def map_remix(params: dict, fields, user=None) -> tuple[dict, list[str]]:
    """The Generate form's initial values from a Remix query, and what it left out."""
    initial = {key: value for key, value in params.items() if key in fields}
    missing: list[str] = []
    if "style" in initial:
        _map_style(initial, user)
    if model := initial.get("model"):
        if preset := _preset_for(str(model)):
            initial["model"] = preset
        else:
            del initial["model"]
            missing.append(f"the model “{model}” (not available here)")
    if sampler := initial.get("sampler"):
        try:
            initial["sampler"] = canonical_sampler(str(sampler))
        except BackendError:
            del initial["sampler"]
            missing.append(f"the sampler “{sampler}”")
    if "init" in params and "init_image" in fields:  # "Use as starting image"
        initial["init_image"] = params["init"]
    if "inpaint" in params and "init_image" in fields:  # "Inpaint": paint a mask over it
        initial["init_image"] = params["inpaint"]
    if "inpaint_area" in initial:  # a recipe names it as A1111 does
        if key := inpaint_area_key(initial["inpaint_area"]):
            initial["inpaint_area"] = key
        else:
            del initial["inpaint_area"]
    if params.get("mask_sha256") and "mask" in fields:  # the mask itself is not in a recipe
        missing.append(MASK_NOT_BROUGHT)
    if "resize_mode" in initial:  # a recipe names it as A1111 does
        if key := resize_mode_key(initial["resize_mode"]):
            initial["resize_mode"] = key
        else:
            del initial["resize_mode"]
    scheduler = str(params.get("scheduler") or "")
    if scheduler.lower() not in _FOLDED_SCHEDULERS:
        missing.append(f"the scheduler “{scheduler}”")
    return initial, missing


def _map_style(initial: dict, user) -> None:
    """A recipe's prompts are the style's expansion: with the style here, the
    form gets the prompts as typed and the style; otherwise the expanded
    prompts alone, which lose nothing."""
    style = find_style(user, str(initial.pop("style")))
    if style is None:
        return
    prompt = unexpand(style.prompt, str(initial.get("prompt", "")))
    negative = unexpand(style.negative_prompt, str(initial.get("negative_prompt", "")))
    if prompt is not None and negative is not None:
        initial.update(prompt=prompt, negative_prompt=negative, style=style.name)


def _preset_for(model: str) -> str | None:
    """The key of the enabled preset named ``model`` (its key, label or model file)."""
    wanted = _stem(model).casefold()
    for preset in enabled_presets():
        names = (preset.key, preset.label, _stem(preset.model_id))
        if wanted in (name.casefold() for name in names):
            return preset.key
    return None


def _stem(name: str) -> str:
    """``models/sd_xl_base_1.0.safetensors`` → ``sd_xl_base_1.0``."""
    return _MODEL_SUFFIXES.sub("", PurePosixPath(name.replace("\\", "/")).name)
