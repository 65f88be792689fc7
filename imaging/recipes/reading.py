"""Which tool wrote a file's recipe, read by that tool's reader; notes for the rest."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

from imaging import png_metadata

from . import comfyui, fooocus, invokeai, novelai, swarmui
from .jsontext import Unreadable, load_object

A1111 = "A1111"
ATELIER = "Atelier"

# Text chunks that are not recipes and need no note (image editors, Atelier's own).
_HARMLESS = {
    "Software",
    "Title",
    "Author",
    "Description",
    "Copyright",
    "Creation Time",
    "Comment",
    "Source",
    "Disclaimer",
    "Warning",
    "create-date",
    "modify-date",
    "date:create",
    "date:modify",
    "date:timestamp",
    "XML:com.adobe.xmp",
    "Raw profile type exif",
    "Raw profile type iptc",
    "Raw profile type xmp",
    "fooocus_scheme",
}
_MAX_NAMED_KEYS = 5


@dataclass
class RecipeReading:
    """A file's recipe (None without one) and notes on metadata that was left out."""

    recipe: dict | None = None
    notes: list[str] = field(default_factory=list)


def read_file_recipe(data: bytes | BinaryIO) -> RecipeReading:
    """The recipe in a PNG, JPEG or WebP file, from whichever tool wrote it."""
    content = data if isinstance(data, bytes) else png_metadata._read_all(data)
    if content.startswith(png_metadata._PNG_SIGNATURE):
        return _from_png_text(png_metadata.read_png_text(content))
    comment = png_metadata._read_exif_user_comment(content)
    if comment and comment.strip():
        return _from_parameters(comment)
    return RecipeReading()


def _from_png_text(texts: dict[str, str]) -> RecipeReading:
    notes = []
    if png_metadata.RECIPE_KEY in texts:
        recipe = png_metadata._recipe_from_json(texts[png_metadata.RECIPE_KEY])
        if recipe:
            recipe.setdefault("source", ATELIER)
            return RecipeReading(recipe)
        notes.append(_unreadable_note(ATELIER))
        texts = {key: value for key, value in texts.items() if key != png_metadata.RECIPE_KEY}
    reading = _from_tool_chunks(texts)
    if reading.recipe is None:
        reading.notes = [*notes, *reading.notes]
    return reading


def _from_tool_chunks(texts: dict[str, str]) -> RecipeReading:
    """The first tool whose chunks the file has and whose reader gives a recipe
    (a ComfyUI saver may also write A1111's ``parameters``: either will do)."""
    attempts = []
    if "prompt" in texts or "workflow" in texts:
        attempts.append((comfyui.SOURCE, comfyui.read, texts.get("prompt"), texts.get("workflow")))
    if "invokeai_metadata" in texts:
        attempts.append((invokeai.SOURCE, invokeai.read, texts["invokeai_metadata"]))
    if novelai.is_novelai(texts):
        attempts.append((novelai.SOURCE, novelai.read, texts))
    notes: list[str] = []
    for tool, reader, *args in attempts:
        reading = _attempt(tool, reader, *args)
        if reading.recipe:
            return reading
        notes += reading.notes
    if (parameters := texts.get(png_metadata.PARAMETERS_KEY)) and parameters.strip():
        reading = _from_parameters(parameters)
        if reading.recipe:
            return reading
        notes += reading.notes
    if not notes and (unknown := sorted(key for key in texts if key not in _HARMLESS)):
        notes.append(_unknown_note(unknown))
    return RecipeReading(notes=notes)


def _from_parameters(parameters: str) -> RecipeReading:
    """``parameters``: A1111's infotext, or JSON from SwarmUI or Fooocus."""
    if parameters.lstrip().startswith("{"):
        return _attempt("JSON", _from_parameters_json, parameters)
    return _attempt(A1111, _from_infotext, parameters)


def _from_parameters_json(parameters: str) -> dict:
    data = load_object(parameters)
    if swarmui.is_swarmui(data):
        return swarmui.from_json(data)
    if fooocus.is_fooocus(data):
        return fooocus.from_json(data)
    raise Unreadable("JSON from a tool Atelier does not know")


def _from_infotext(parameters: str) -> dict:
    recipe = png_metadata.parse_parameters(parameters)
    version = str(recipe.get("version", ""))
    recipe.setdefault("source", fooocus.SOURCE if version.startswith("Fooocus") else A1111)
    return recipe


def _attempt(tool: str, reader, *args) -> RecipeReading:
    try:
        recipe = reader(*args)
    except Exception:  # noqa: BLE001 — anything a hostile chunk causes is a note, not a crash
        recipe = None
    if not recipe:
        if tool == "JSON":
            return RecipeReading(notes=[_unknown_note(["parameters"])])
        return RecipeReading(notes=[_unreadable_note(tool)])
    return RecipeReading(recipe)


def _unreadable_note(tool: str) -> str:
    return f"The {tool} recipe in this file could not be read; the image was kept without it."


def _unknown_note(keys: list[str]) -> str:
    named = ", ".join(key[:40] for key in keys[:_MAX_NAMED_KEYS])
    more = f" and {len(keys) - _MAX_NAMED_KEYS} more" if len(keys) > _MAX_NAMED_KEYS else ""
    return f"This file's metadata ({named}{more}) is not a recipe Atelier reads; it was not kept."
