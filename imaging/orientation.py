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
