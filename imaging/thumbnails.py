"""WebP renditions of an image: gallery thumbnails, avatars and live job previews.

Every function accepts any Pillow image (any mode, any ICC profile, EXIF-rotated or
not) and never enlarges it.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps

from imaging.color import drop_opaque_alpha, to_rgb_or_rgba, to_srgb
from imaging.orientation import upright

THUMBNAIL_QUALITY = 75
THUMBNAIL_METHOD = 4
PREVIEW_QUALITY = 60
PREVIEW_METHOD = 0

_RESAMPLE = Image.Resampling.LANCZOS
# Shrink by whole factors with a box filter first, then LANCZOS the rest: far faster
# on large originals and visually the same.
_REDUCING_GAP = 3.0


def make_thumbnail(image: Image.Image, width: int = 384) -> tuple[bytes, int, int]:
    """Return WebP bytes of the image scaled to ``width`` (never wider than the original),
    with its width and height. Transparency is kept."""
    if width < 1:
        raise ValueError("width must be at least 1")
    image = _prepare(image)
    new_width = min(width, image.width)
    new_height = max(1, round(image.height * new_width / image.width))
    thumbnail = _resize(image, (new_width, new_height))
    data = _encode_webp(thumbnail, quality=THUMBNAIL_QUALITY, method=THUMBNAIL_METHOD)
    return data, thumbnail.width, thumbnail.height


def make_avatar(image: Image.Image, size: int = 256) -> bytes:
    """Return a square WebP cut from the centre of the image, ``size`` pixels a side
    (or the image's shorter side, if that is smaller)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    image = _prepare(image)
    side = min(size, image.width, image.height)
    avatar = ImageOps.fit(image, (side, side), _RESAMPLE, centering=(0.5, 0.5))
    return _encode_webp(avatar, quality=THUMBNAIL_QUALITY, method=THUMBNAIL_METHOD)


def make_preview(image: Image.Image, max_side: int = 256) -> bytes:
    """Return a small, quickly encoded WebP that fits in ``max_side`` × ``max_side``,
    for showing a job's progress while it runs."""
    if max_side < 1:
        raise ValueError("max_side must be at least 1")
    image = _prepare(image)
    scale = min(1.0, max_side / max(image.width, image.height))
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    preview = _resize(image, size, resample=Image.Resampling.BILINEAR)
    return _encode_webp(preview, quality=PREVIEW_QUALITY, method=PREVIEW_METHOD)


def _prepare(image: Image.Image) -> Image.Image:
    return drop_opaque_alpha(to_rgb_or_rgba(to_srgb(upright(image))))


def _resize(
    image: Image.Image,
    size: tuple[int, int],
    resample: Image.Resampling = _RESAMPLE,
) -> Image.Image:
    if image.size == size:
        return image
    return image.resize(size, resample, reducing_gap=_REDUCING_GAP)


def _encode_webp(image: Image.Image, *, quality: int, method: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=quality, method=method)
    return buffer.getvalue()
