"""Bring any Pillow image into 8-bit sRGB, the one colour space the web shows reliably."""

from __future__ import annotations

import io

from PIL import Image, ImageCms

# Modes whose pixels are already 8-bit RGB(A) or grey; everything else is converted.
_ALPHA_MODES = {"RGBA", "LA", "PA", "La", "RGBa"}


def to_srgb(image: Image.Image) -> Image.Image:
    """Apply an embedded ICC profile (Display P3, Adobe RGB, CMYK…) so that pixels are sRGB.

    Returns a new image without the profile. An image without a profile, or with one
    that cannot be applied, is returned unchanged (its pixels are taken to be sRGB).
    """
    icc_profile = image.info.get("icc_profile")
    if not icc_profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        converted = ImageCms.profileToProfile(
            image,
            source,
            ImageCms.createProfile("sRGB"),
            outputMode=output_mode,
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image
    assert converted is not None  # profileToProfile returns an image unless inPlace=True
    converted.info.pop("icc_profile", None)
    return converted


def to_rgb_or_rgba(image: Image.Image) -> Image.Image:
    """Return an 8-bit "RGB" image, or "RGBA" when the image has (real or palette) transparency.

    16-bit and 32-bit grey images are scaled down rather than clipped, so that a
    16-bit PNG does not turn white.
    """
    if image.mode == "RGBA" or (image.mode == "RGB" and "transparency" not in image.info):
        return image
    if image.mode.startswith("I;16"):
        return image.point(lambda value: value / 256, "L").convert("RGB")
    if image.mode == "I":
        low, high = image.getextrema()
        if high > 255 or low < 0:
            return image.point(lambda value: value / 256, "L").convert("RGB")
        return image.point(lambda value: value, "L").convert("RGB")
    if image.mode == "F":
        low, high = image.getextrema()
        if 0.0 <= low and high <= 1.0:
            image = image.point(lambda value: value * 255)
        return image.convert("L").convert("RGB")
    if has_transparency(image):
        return image.convert("RGBA")
    return image.convert("RGB")


def has_transparency(image: Image.Image) -> bool:
    """Whether the mode can carry transparency (alpha band or a transparent colour)."""
    return image.mode in _ALPHA_MODES or "transparency" in image.info


def drop_opaque_alpha(image: Image.Image) -> Image.Image:
    """An RGBA image whose every pixel is opaque becomes RGB (smaller files, same look)."""
    if image.mode == "RGBA" and image.getchannel("A").getextrema() == (255, 255):
        return image.convert("RGB")
    return image
