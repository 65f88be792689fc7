"""Checking an uploaded file before it becomes an image in someone's gallery.

The checks run cheapest first, and nothing is decoded before the file is known to be
small enough and its header to promise a reasonable number of pixels:

1. size — at most ``max_bytes`` are read;
2. format — Pillow must recognise it as PNG, JPEG or WebP (the file name is not asked);
3. pixels — width × height from the header must not exceed ``max_pixels``;
4. decode — the first frame is decoded in full, so damaged files fail here and not later.

What is kept is re-encoded from the pixels, so EXIF (GPS, camera serials), XMP, ICC
profiles and comments are gone; only the generation recipe is written back.
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image

from imaging.color import to_srgb
from imaging.orientation import upright
from imaging.png_metadata import (
    encode_png,
    encode_user_comment,
    format_parameters,
    read_recipe,
    save_png,
)

FORMATS = ("PNG", "JPEG", "WEBP")
EXTENSIONS = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}
JPEG_QUALITY = 92
WEBP_QUALITY = 90

NOT_AN_IMAGE = "This file is not an image we can read (PNG, JPEG or WebP)."
EMPTY_FILE = "The file is empty."
DAMAGED_FILE = "The image file is damaged or incomplete."

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
    """An accepted upload: its first frame (loaded, upright, in sRGB) and the bytes to store."""

    image: Image.Image
    format: str
    width: int
    height: int
    recipe: dict | None
    content: bytes

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


def validate_image(data: bytes | BinaryIO, *, max_bytes: int, max_pixels: int) -> ValidatedImage:
    """Check an upload and return its pixels, recipe and cleaned bytes, or raise InvalidImage."""
    content = _read_limited(data, max_bytes)
    if not content:
        raise InvalidImage(EMPTY_FILE, "empty")

    # Pillow's own bomb check warns above MAX_IMAGE_PIXELS; make that an error too.
    # (catch_warnings is process-global; the worst a race can do is leave this filter on.)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image, image_format = _decode_first_frame(content, max_pixels)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise _too_many_pixels(max_pixels) from error

    recipe = read_recipe(content)
    encoded = _reencode(image, image_format, recipe, lossless=_is_lossless_webp(content))
    return ValidatedImage(
        image=image,
        format=image_format,
        width=image.width,
        height=image.height,
        recipe=recipe,
        content=encoded,
    )


def _read_limited(data: bytes | BinaryIO, max_bytes: int) -> bytes:
    if isinstance(data, bytes | bytearray | memoryview):
        content = bytes(data[: max_bytes + 1])
    else:
        content = data.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise InvalidImage(f"The image is larger than {_describe_bytes(max_bytes)}.", "too_large")
    return content


def _decode_first_frame(content: bytes, max_pixels: int) -> tuple[Image.Image, str]:
    try:
        opened = Image.open(io.BytesIO(content), formats=FORMATS)
    except (Image.UnidentifiedImageError, *_DECODE_ERRORS) as error:
        raise InvalidImage(NOT_AN_IMAGE, "unsupported") from error

    with opened:
        image_format = opened.format
        if image_format not in FORMATS:  # defensive: formats= already restricts this
            raise InvalidImage(NOT_AN_IMAGE, "unsupported")
        width, height = opened.size
        if width * height > max_pixels:
            raise _too_many_pixels(max_pixels)
        if width < 1 or height < 1:
            raise InvalidImage(NOT_AN_IMAGE, "unsupported")
        try:
            opened.seek(0)  # an animation keeps its first frame only
            opened.load()
        except _DECODE_ERRORS as error:
            raise InvalidImage(DAMAGED_FILE, "damaged") from error
        image = upright(opened)  # a detached copy
    return to_srgb(image), image_format


def _reencode(
    image: Image.Image, image_format: str, recipe: dict | None, *, lossless: bool
) -> bytes:
    if image_format == "PNG":
        return encode_png(image, recipe) if recipe else save_png(image)

    exif = _recipe_exif(recipe)
    buffer = io.BytesIO()
    clean = _clean_copy(image, "JPEG" if image_format == "JPEG" else "WEBP")
    if image_format == "JPEG":
        clean.save(buffer, format="JPEG", quality=JPEG_QUALITY, exif=exif)
    elif lossless:
        clean.save(buffer, format="WEBP", lossless=True, exif=exif)
    else:
        clean.save(buffer, format="WEBP", quality=WEBP_QUALITY, exif=exif)
    return buffer.getvalue()


def _clean_copy(image: Image.Image, target_format: str) -> Image.Image:
    """A copy with no metadata, in a mode the target format can store."""
    if target_format == "JPEG":
        keep = image.mode in ("L", "RGB")
        mode = "RGB"
    else:
        keep = image.mode in ("RGB", "RGBA")
        mode = "RGBA" if image.mode in ("LA", "PA", "P") or "transparency" in image.info else "RGB"
    clean = image.copy() if keep else image.convert(mode)
    clean.info = {}
    return clean


def _recipe_exif(recipe: dict | None) -> bytes:
    """EXIF holding nothing but the recipe, in A1111's UserComment (empty without one)."""
    if not recipe:
        return b""
    exif = Image.Exif()
    exif[_EXIF_IFD] = {_USER_COMMENT: encode_user_comment(format_parameters(recipe))}
    return exif.tobytes()


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
