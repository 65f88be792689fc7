"""A1111's ``POST /sdapi/v1/png-info``: the recipe in a picture, as A1111's
infotext. Atelier's, A1111's and the other tools' recipes are read by the
readers the upload uses (imaging.recipes); a picture without one answers
``info: ""``, as A1111 does."""

from __future__ import annotations

import base64
import binascii
import io

from PIL import Image

from imaging import png_metadata
from imaging.recipes import read_file_recipe

from . import FacadeError

INVALID = "Invalid encoded image"  # A1111's words for a picture it cannot read


def decode_image(text) -> bytes:
    """A base64 picture (a ``data:`` URL too) as its file's bytes; FacadeError
    if it is not one. Only its header is read: the pixels are not needed."""
    if not isinstance(text, str):
        raise FacadeError("Input should be a valid string", field="image")
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        content = base64.b64decode(text.strip().encode("ascii"), validate=True)
        with Image.open(io.BytesIO(content)):
            pass
    except (binascii.Error, ValueError, OSError, Image.DecompressionBombError) as exc:
        raise FacadeError(INVALID, field="image") from exc
    return content


def png_info(content: bytes) -> dict:
    """A1111's answer for a picture's bytes: ``info`` (the infotext), ``items``
    (its other text chunks) and ``parameters`` (the infotext's fields)."""
    texts = png_metadata.read_png_text(content) if content.startswith(b"\x89PNG") else {}
    info = texts.get(png_metadata.PARAMETERS_KEY, "").strip()
    if not info and (recipe := read_file_recipe(content).recipe):
        info = png_metadata.format_parameters(recipe)
    items = {key: value for key, value in texts.items() if key != png_metadata.PARAMETERS_KEY}
    parameters = png_metadata.infotext_fields(info) if info else {}
    return {"info": info, "items": items, "parameters": parameters}
