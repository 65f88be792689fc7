"""Turning an image the way its EXIF Orientation tag says it should be shown."""

from __future__ import annotations

import struct

from PIL import Image, ImageOps


def upright(image: Image.Image) -> Image.Image:
    """Return a loaded, detached copy of ``image`` turned upright, without the Orientation tag.

    Phones store pictures sideways and set the tag; once the tag is stripped with the rest
    of the EXIF, only turned pixels keep the picture the right way up. An unreadable EXIF
    block leaves the image as it is.
    """
    try:
        return ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, struct.error):
        return image.copy()


_ORIENTATION = 0x0112


def orientation(image: Image.Image) -> int | None:
    """The EXIF Orientation tag (1 = already upright), or None without a readable one."""
    try:
        return image.getexif().get(_ORIENTATION)
    except (OSError, SyntaxError, ValueError, struct.error):
        return None
