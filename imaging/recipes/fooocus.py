"""Fooocus's recipe: its ``parameters`` chunk holds JSON (with ``fooocus_scheme``
naming the scheme) when Fooocus writes its own scheme; A1111 text otherwise."""

from __future__ import annotations

import re
from typing import Any

from .jsontext import load_object, number, text
from .samplers import a1111_sampler

SOURCE = "Fooocus"

_RESOLUTION = re.compile(r"\(?\s*(\d+)\s*[,x×]\s*(\d+)\s*\)?")
_LORA = re.compile(r"(.+?)\s*:\s*([-+]?\d*\.?\d+)\s*$")


def is_fooocus(data: dict) -> bool:
    return data.get("metadata_scheme") == "fooocus" or str(data.get("version", "")).startswith(
        "Fooocus"
    )


def read(parameters: str) -> dict:
    return from_json(load_object(parameters))


def from_json(data: dict) -> dict:
    recipe: dict[str, Any] = {"source": SOURCE}
    _put(recipe, "prompt", text(data.get("prompt")))
    _put(recipe, "negative_prompt", text(data.get("negative_prompt")))
    _put(recipe, "seed", number(data.get("seed")))
    _put(recipe, "steps", number(data.get("steps")))
    _put(recipe, "cfg_scale", number(data.get("guidance_scale")))
    scheduler = text(data.get("scheduler"))
    _put(recipe, "sampler", a1111_sampler(text(data.get("sampler")), scheduler))
    _put(recipe, "scheduler", scheduler)
    _put(recipe, "model", text(data.get("base_model")))
    _put(recipe, "model_hash", text(data.get("base_model_hash")))
    if (resolution := text(data.get("resolution"))) and (size := _RESOLUTION.fullmatch(resolution)):
        recipe["width"], recipe["height"] = int(size[1]), int(size[2])
    loras = []
    for key in sorted(data):
        if key.startswith("lora_combined_") and (value := text(data[key])):
            if match := _LORA.match(value):
                loras.append({"name": match[1].strip(), "weight": float(match[2])})
    if loras:
        recipe["loras"] = loras
    _put(recipe, "version", text(data.get("version")))
    return recipe


def _put(recipe: dict, key: str, value: Any) -> None:
    if value is not None and value != "":
        recipe[key] = value
