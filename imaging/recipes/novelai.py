"""NovelAI's recipe: ``Software: NovelAI``, ``Source`` (the model), ``Description``
(the prompt) and ``Comment`` (every setting, as JSON)."""

from __future__ import annotations

from typing import Any

from .jsontext import load_object, number, text
from .samplers import a1111_sampler

SOURCE = "NovelAI"


def is_novelai(texts: dict[str, str]) -> bool:
    return texts.get("Software", "").strip().startswith("NovelAI") and "Comment" in texts


def read(texts: dict[str, str]) -> dict:
    data = load_object(texts["Comment"])
    recipe: dict[str, Any] = {"source": SOURCE}
    prompt = text(data.get("prompt")) or text(texts.get("Description"))
    _put(recipe, "prompt", prompt)
    _put(recipe, "negative_prompt", text(data.get("uc")))
    for key, name in (
        ("seed", "seed"),
        ("steps", "steps"),
        ("width", "width"),
        ("height", "height"),
        ("cfg_scale", "scale"),
    ):
        _put(recipe, key, number(data.get(name)))
    _put(
        recipe,
        "sampler",
        a1111_sampler(text(data.get("sampler")), text(data.get("noise_schedule"))),
    )
    _put(recipe, "model", text(texts.get("Source")))
    return recipe


def _put(recipe: dict, key: str, value: Any) -> None:
    if value is not None and value != "":
        recipe[key] = value
