"""InvokeAI's recipe: the ``invokeai_metadata`` chunk (JSON, InvokeAI 3 and later)."""

from __future__ import annotations

from typing import Any

from .jsontext import load_object, number, text
from .samplers import invokeai_sampler

SOURCE = "InvokeAI"


def read(chunk: str) -> dict:
    data = load_object(chunk)
    recipe: dict[str, Any] = {"source": SOURCE}
    _put(recipe, "prompt", text(data.get("positive_prompt")))
    _put(recipe, "negative_prompt", text(data.get("negative_prompt")))
    for key in ("seed", "steps", "width", "height", "cfg_scale"):
        _put(recipe, key, number(data.get(key)))
    scheduler = text(data.get("scheduler"))
    _put(recipe, "sampler", invokeai_sampler(scheduler))
    model = data.get("model")
    if isinstance(model, dict):
        _put(recipe, "model", text(model.get("name")) or text(model.get("model_name")))
        _put(recipe, "model_hash", text(model.get("hash")))
    loras = []
    for entry in data.get("loras") or []:
        if not isinstance(entry, dict):
            continue
        lora = entry.get("model") or entry.get("lora")
        name = text(lora.get("name") or lora.get("model_name")) if isinstance(lora, dict) else None
        weight = number(entry.get("weight"))
        if name:
            loras.append({"name": name, "weight": weight if weight is not None else 1.0})
    if loras:
        recipe["loras"] = loras
    _put(recipe, "version", text(data.get("app_version")))
    return recipe


def _put(recipe: dict, key: str, value: Any) -> None:
    if value is not None and value != "":
        recipe[key] = value
