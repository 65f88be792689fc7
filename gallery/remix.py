"""Remix: an image's recipe as the Generate page's query string, mapped onto what
this site has (a model preset by name, a sampler by A1111's name, LoRAs as
``<lora:name:weight>`` tags in the prompt), and what could not be mapped.

Recipes from other tools name models, samplers and schedulers their way; what
has no counterpart here is listed for the person instead of silently dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import urlencode

from studio.backends.base import BackendError
from studio.backends.samplers import canonical_sampler
from studio.presets import enabled_presets

COPIED = ("negative_prompt", "width", "height", "steps", "cfg_scale", "seed")
# Schedulers that the sampler's A1111 name already says (the Karras variant, or none).
_FOLDED_SCHEDULERS = {"normal", "karras", "simple", "default", "automatic", ""}
_MODEL_SUFFIXES = re.compile(r"\.(safetensors|ckpt|pt|bin|gguf)$", re.IGNORECASE)


@dataclass
class Remix:
    query: str
    missing: list[str] = field(default_factory=list)


def remix(recipe: dict) -> Remix:
    """The Generate page's query for ``recipe``, and what it leaves out."""
    params: dict = {}
    missing: list[str] = []
    prompt = str(recipe.get("prompt") or "")
    tags = [
        f"<lora:{lora['name']}:{_weight(lora.get('weight'))}>"
        for lora in recipe.get("loras") or []
        if isinstance(lora, dict)
        and lora.get("name")
        and f"<lora:{_stem(str(lora['name']))}:" not in prompt
    ]
    if prompt or tags:
        params["prompt"] = ", ".join(part for part in (prompt, *tags) if part)
    for key in COPIED:
        if recipe.get(key) not in (None, ""):
            params[key] = recipe[key]

    if model := recipe.get("model"):
        if preset := _preset_for(str(model)):
            params["model"] = preset
        else:
            missing.append(f"the model “{model}” (not available here)")
    if sampler := recipe.get("sampler"):
        try:
            params["sampler"] = canonical_sampler(str(sampler))
        except BackendError:
            missing.append(f"the sampler “{sampler}”")
    scheduler = str(recipe.get("scheduler") or "")
    if scheduler.lower() not in _FOLDED_SCHEDULERS:
        missing.append(f"the scheduler “{scheduler}”")
    return Remix(query=urlencode(params), missing=missing)


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


def _weight(value) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}"
    return "1"
