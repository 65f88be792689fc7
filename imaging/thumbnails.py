"""WebP renditions of an image: gallery thumbnails, avatars and live job previews.

Every function accepts any Pillow image (any mode, any ICC profile, EXIF-rotated or
not) and never enlarges it. A large image is first shrunk by a whole factor
(``Image.reduce``, a small new image), so the colour and mode conversions that
follow never copy the full-size pixels.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps

from imaging.color import drop_opaque_alpha, to_rgb_or_rgba, to_srgb
from imaging.orientation import orientation, upright

THUMBNAIL_QUALITY = 75
THUMBNAIL_METHOD = 4
PREVIEW_QUALITY = 60
PREVIEW_METHOD = 0

_RESAMPLE = Image.Resampling.LANCZOS
# Shrink by whole factors with a box filter first, then LANCZOS the rest: far faster
# on large originals and visually the same.
_REDUCING_GAP = 3.0
# WebP cannot store an image longer than this on either side.
WEBP_MAX_SIDE = 16383
# Modes whose pixel values can be averaged by ``Image.reduce`` (not palette indexes).
_REDUCIBLE_MODES = {"L", "LA", "RGB", "RGBA", "CMYK", "I", "F"}


def make_thumbnail(image: Image.Image, width: int = 384) -> tuple[bytes, int, int]:
    """Return WebP bytes of the image scaled to ``width`` (never wider than the original),
    with its width and height. Transparency is kept."""
    if width < 1:
        raise ValueError("width must be at least 1")
    shown_width, shown_height = _upright_size(image)
    scale = min(1.0, width / shown_width, WEBP_MAX_SIDE / shown_height)
    size = (max(1, round(shown_width * scale)), max(1, round(shown_height * scale)))
    image = _prepare(image, size)
    thumbnail = _resize(image, size)
    data = _encode_webp(thumbnail, quality=THUMBNAIL_QUALITY, method=THUMBNAIL_METHOD)
    return data, thumbnail.width, thumbnail.height


def make_avatar(image: Image.Image, size: int = 256) -> bytes:
    """Return a square WebP cut from the centre of the image, ``size`` pixels a side
    (or the image's shorter side, if that is smaller)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    side = min(size, *_upright_size(image))
    image = _prepare(image, (side, side))
    avatar = ImageOps.fit(image, (side, side), _RESAMPLE, centering=(0.5, 0.5))
    return _encode_webp(avatar, quality=THUMBNAIL_QUALITY, method=THUMBNAIL_METHOD)


def make_preview(image: Image.Image, max_side: int = 256) -> bytes:
    """Return a small, quickly encoded WebP that fits in ``max_side`` × ``max_side``,
    for showing a job's progress while it runs."""
    if max_side < 1:
        raise ValueError("max_side must be at least 1")
    shown_width, shown_height = _upright_size(image)
    scale = min(1.0, max_side / max(shown_width, shown_height))
    size = (max(1, round(shown_width * scale)), max(1, round(shown_height * scale)))
    image = _prepare(image, size)
    preview = _resize(image, size, resample=Image.Resampling.BILINEAR)
    return _encode_webp(preview, quality=PREVIEW_QUALITY, method=PREVIEW_METHOD)


def _prepare(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The image upright, in 8-bit sRGB, no larger than needed to make ``size`` well."""
    image = _reduced(image, size)
    if orientation(image) not in (None, 1):
        image = upright(image)
    return drop_opaque_alpha(to_rgb_or_rgba(to_srgb(image)))


def _upright_size(image: Image.Image) -> tuple[int, int]:
    """Width and height as shown, once the EXIF Orientation tag is applied."""
    if orientation(image) in (5, 6, 7, 8):  # turned a quarter
        return image.height, image.width
    return image.size


def _reduced(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Shrink by the largest whole factor that leaves ``_REDUCING_GAP`` times ``size``
    on both sides (the same factor across, so orientation does not matter)."""
    factor = int(min(image.width, image.height) / (_REDUCING_GAP * min(size)))
    factor = min(factor, int(max(image.width, image.height) / (_REDUCING_GAP * max(size))))
    if factor < 2 or image.mode not in _REDUCIBLE_MODES:
        return image
    return image.reduce(factor)  # keeps info: the ICC profile and Orientation tag


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
