"""Checking an uploaded file before it becomes an image in someone's gallery.

The checks run cheapest first, and nothing is decoded before the file is known to be
small enough and its header to promise a reasonable number of pixels:

1. size — at most ``max_bytes`` are read;
2. format — Pillow must recognise it as PNG, JPEG or WebP (the file name is not asked);
3. pixels — width × height from the header must not exceed ``max_pixels`` (nor Pillow's
   own ``Image.MAX_IMAGE_PIXELS``), and neither side ``max_side``;
4. decode — the first frame is decoded in full, so damaged files fail here and not later.

The decode is the only full-size copy made here: the image is turned upright or
converted to sRGB only when its tags ask for it, and its metadata is dropped in place.

What is kept is re-encoded from the pixels by ``ValidatedImage.encode``, so EXIF (GPS,
camera serials), XMP, ICC profiles and comments are gone; only the recipe the caller
passes (the cleaned one, not the file's own chunks) is written back.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO

from PIL import Image

from imaging.color import to_srgb
from imaging.orientation import orientation, upright
from imaging.png_metadata import (
    encode_png,
    encode_user_comment,
    format_parameters,
    save_png,
)
from imaging.recipes import read_file_recipe

FORMATS = ("PNG", "JPEG", "WEBP")
EXTENSIONS = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}
JPEG_QUALITY = 92
WEBP_QUALITY = 90

NOT_AN_IMAGE = "This file is not an image we can read (PNG, JPEG or WebP)."
EMPTY_FILE = "The file is empty."
DAMAGED_FILE = "The image file is damaged or incomplete."
RECIPE_TOO_LONG = "The generation recipe in this file is too long to keep."

# What a JPEG APP1 segment can hold: the EXIF that carries the recipe must fit in it.
_MAX_EXIF_BYTES = 65_533

# Errors Pillow's decoders raise on files that lie about themselves.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error)

_EXIF_IFD = 0x8769
_USER_COMMENT = 0x9286


class InvalidImage(ValueError):
    """An upload that cannot become an image; ``message`` is written for the uploader."""

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class ValidatedImage:
    """An accepted upload: its first frame (loaded, upright, in sRGB, without metadata)
    and the recipe the file carried, as written by whoever made the file."""

    image: Image.Image
    format: str
    width: int
    height: int
    recipe: dict | None
    lossless: bool = False
    # Metadata found but not read (damaged, or from a tool Atelier does not know).
    recipe_notes: list[str] = field(default_factory=list)

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]

    def encode(self, recipe: dict | None) -> bytes:
        """The bytes to store: the pixels in the upload's format, carrying ``recipe``
        and nothing else. Raises InvalidImage when the recipe cannot be embedded."""
        return _reencode(self.image, self.format, recipe, lossless=self.lossless)

    def close(self) -> None:
        """Free the pixels now rather than when the last reference goes."""
        self.image.close()


def validate_image(
    data: bytes | BinaryIO, *, max_bytes: int, max_pixels: int, max_side: int | None = None
) -> ValidatedImage:
    """Check an upload and return its pixels and recipe, or raise InvalidImage."""
    content = _read_limited(data, max_bytes)
    if not content:
        raise InvalidImage(EMPTY_FILE, "empty")
    # Pillow warns (and from twice as many refuses) above its own limit; ours is checked
    # from the header first, so it is never above Pillow's. No warnings filter is set:
    # catch_warnings is process-global and not thread-safe under threaded workers.
    if Image.MAX_IMAGE_PIXELS:
        max_pixels = min(max_pixels, Image.MAX_IMAGE_PIXELS)
    image, image_format = _decode_first_frame(content, max_pixels, max_side)
    reading = read_file_recipe(content)
    return ValidatedImage(
        image=image,
        format=image_format,
        width=image.width,
        height=image.height,
        recipe=reading.recipe,
        lossless=_is_lossless_webp(content),
        recipe_notes=reading.notes,
    )


def _read_limited(data: bytes | BinaryIO, max_bytes: int) -> bytes:
    if isinstance(data, bytes | bytearray | memoryview):
        content = bytes(data[: max_bytes + 1])
    else:
        content = data.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise InvalidImage(f"The image is larger than {_describe_bytes(max_bytes)}.", "too_large")
    return content


def _decode_first_frame(
    content: bytes, max_pixels: int, max_side: int | None
) -> tuple[Image.Image, str]:
    try:
        opened = Image.open(io.BytesIO(content), formats=FORMATS)
    except Image.DecompressionBombError as error:
        raise _too_many_pixels(max_pixels) from error
    except (Image.UnidentifiedImageError, *_DECODE_ERRORS) as error:
        raise InvalidImage(NOT_AN_IMAGE, "unsupported") from error

    image_format = opened.format
    if image_format not in FORMATS:  # defensive: formats= already restricts this
        raise InvalidImage(NOT_AN_IMAGE, "unsupported")
    width, height = opened.size
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels)
    if max_side and max(width, height) > max_side:
        raise InvalidImage(
            f"The image is too long on one side (max {max_side} pixels a side).", "too_long"
        )
    if width < 1 or height < 1:
        raise InvalidImage(NOT_AN_IMAGE, "unsupported")
    try:
        opened.seek(0)  # an animation keeps its first frame only
        opened.load()
    except _DECODE_ERRORS as error:
        raise InvalidImage(DAMAGED_FILE, "damaged") from error

    # Each step below copies the pixels, so each runs only when the file asks for it.
    image = opened
    if orientation(opened) not in (None, 1):
        image = upright(opened)
        opened.close()
    if image.info.get("icc_profile"):
        converted = to_srgb(image)
        if converted is not image:
            image.close()
            image = converted
    # What is stored is re-encoded from these pixels: no metadata but transparency.
    image.info = {key: value for key, value in image.info.items() if key == "transparency"}
    return image, image_format


def _reencode(
    image: Image.Image, image_format: str, recipe: dict | None, *, lossless: bool
) -> bytes:
    if image_format == "PNG":
        return encode_png(image, recipe) if recipe else save_png(image)

    exif = _recipe_exif(recipe)
    buffer = io.BytesIO()
    storable = _storable(image, "JPEG" if image_format == "JPEG" else "WEBP")
    if image_format == "JPEG":
        storable.save(buffer, format="JPEG", quality=JPEG_QUALITY, exif=exif)
    elif lossless:
        storable.save(buffer, format="WEBP", lossless=True, exif=exif)
    else:
        storable.save(buffer, format="WEBP", quality=WEBP_QUALITY, exif=exif)
    if storable is not image:
        storable.close()
    return buffer.getvalue()


def _storable(image: Image.Image, target_format: str) -> Image.Image:
    """The image itself when the target format can store its mode, else a converted copy
    (without metadata either way: validation has already dropped it)."""
    if target_format == "JPEG":
        if image.mode in ("L", "RGB"):
            return image
        return image.convert("RGB")
    if image.mode in ("RGB", "RGBA") and "transparency" not in image.info:
        return image
    mode = "RGBA" if image.mode in ("LA", "PA", "P") or "transparency" in image.info else "RGB"
    converted = image.convert(mode)
    converted.info = {}
    return converted


def _recipe_exif(recipe: dict | None) -> bytes:
    """EXIF holding nothing but the recipe, in A1111's UserComment (empty without one)."""
    if not recipe:
        return b""
    exif = Image.Exif()
    exif[_EXIF_IFD] = {_USER_COMMENT: encode_user_comment(format_parameters(recipe))}
    data = exif.tobytes()
    if len(data) > _MAX_EXIF_BYTES:
        raise InvalidImage(RECIPE_TOO_LONG, "bad_metadata")
    return data


def _is_lossless_webp(content: bytes) -> bool:
    """Whether a WebP file's (first) image is lossless: a VP8L rather than a VP8 chunk."""
    if content[:4] != b"RIFF" or content[8:12] != b"WEBP":
        return False
    position = 12
    while position + 8 <= len(content):
        fourcc = content[position : position + 4]
        (size,) = struct.unpack("<I", content[position + 4 : position + 8])
        if fourcc == b"VP8L":
            return True
        if fourcc == b"VP8 ":
            return False
        if fourcc == b"ANMF":  # an animation frame: its image chunks follow a 16-byte header
            position += 8 + 16
            continue
        position += 8 + size + (size & 1)
    return False


def _too_many_pixels(max_pixels: int) -> InvalidImage:
    megapixels = f"{max_pixels / 1_000_000:.1f}".removesuffix(".0")
    return InvalidImage(
        f"The image has too many pixels (max {megapixels} megapixels).", "too_many_pixels"
    )


def _describe_bytes(count: int) -> str:
    for unit, size in (("MB", 1 << 20), ("KB", 1 << 10)):
        if count >= size:
            return f"{count / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{count} bytes"
