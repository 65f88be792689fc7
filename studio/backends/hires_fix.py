"""Hires fix and upscaling, the torch-free part: the upscalers under their
A1111 names (what the recipe records) and Atelier's keys (what the form
sends), the upscaled size, and the Lanczos upscale in plain PIL.

A1111's "Hires. fix": make the picture at the base size, upscale it (in
latent space, or decoded and resized with Lanczos), then repaint it with an
image-to-image pass at the denoising strength. Upscaling a finished picture
is the same second half, with that picture as the base.
"""

from __future__ import annotations

from PIL import Image

# Atelier's key -> A1111's name (A1111 writes "Hires upscaler: <name>").
UPSCALERS = {"latent": "Latent", "lanczos": "Lanczos"}
UPSCALER_KEYS = {name.casefold(): key for key, name in UPSCALERS.items()}
DEFAULT_UPSCALER = "latent"
DEFAULT_SCALE = 2.0
DEFAULT_STRENGTH = 0.5  # the repainting pass's, when the form leaves it empty
UPSCALE_STRENGTH = 0.35  # the "Upscale" action's: keep the picture, add detail


def upscaler_key(value) -> str | None:
    """An upscaler given as Atelier's key or A1111's name; None if neither."""
    text = str(value or "").strip()
    if text in UPSCALERS:
        return text
    return UPSCALER_KEYS.get(text.casefold())


def scaled_size(width: int, height: int, scale: float, multiple: int = 8) -> tuple[int, int]:
    """``width`` x ``height`` times ``scale``, each side rounded down to a
    multiple of ``multiple`` (what the model's latent space needs)."""
    return (
        max(multiple, int(width * scale) // multiple * multiple),
        max(multiple, int(height * scale) // multiple * multiple),
    )


def base_size(width: int, height: int, multiple: int = 8) -> tuple[int, int]:
    """The size a finished picture is upscaled from: its own, each side rounded
    down to a multiple of ``multiple`` (the few pixels over are cropped evenly)."""
    return max(multiple, width // multiple * multiple), max(multiple, height // multiple * multiple)


def lanczos(picture: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The picture resized to ``size`` with Lanczos (A1111's "Lanczos" upscaler)."""
    return picture.convert("RGB").resize(size, Image.Resampling.LANCZOS)
