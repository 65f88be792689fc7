"""SwarmUI's recipe: JSON in the ``parameters`` chunk, under ``sui_image_params``."""

from __future__ import annotations

from typing import Any

from .jsontext import number, text
from .samplers import a1111_sampler

SOURCE = "SwarmUI"


def is_swarmui(data: dict) -> bool:
    return isinstance(data.get("sui_image_params"), dict)


def from_json(data: dict) -> dict:
    params = data["sui_image_params"]
    recipe: dict[str, Any] = {"source": SOURCE}
    _put(recipe, "prompt", text(params.get("prompt")))
    _put(recipe, "negative_prompt", text(params.get("negativeprompt")))
    for key, name in (
        ("seed", "seed"),
        ("steps", "steps"),
        ("cfg_scale", "cfgscale"),
        ("width", "width"),
        ("height", "height"),
    ):
        _put(recipe, key, number(params.get(name)))
    scheduler = text(params.get("scheduler"))
    _put(recipe, "sampler", a1111_sampler(text(params.get("sampler")), scheduler))
    _put(recipe, "scheduler", scheduler)
    _put(recipe, "model", text(params.get("model")))
    names, weights = params.get("loras"), params.get("loraweights")
    if isinstance(names, list):
        weights = weights if isinstance(weights, list) else []
        loras = []
        for index, name in enumerate(names):
            weight = number(weights[index]) if index < len(weights) else None
            if name := text(name):
                loras.append({"name": name, "weight": weight if weight is not None else 1.0})
        if loras:
            recipe["loras"] = loras
    _put(recipe, "version", text(params.get("swarm_version")))
    return recipe


def _put(recipe: dict, key: str, value: Any) -> None:
    if value is not None and value != "":
        recipe[key] = value
