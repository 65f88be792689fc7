"""The starting image of an image-to-image job, brought to the job's size.

Pure PIL: the resize modes of A1111's img2img tab, under their A1111 names
(what the recipe records) and Atelier's short keys (what the form sends).
"""

from __future__ import annotations

from PIL import Image, ImageOps

# Atelier's key -> A1111's name (A1111 writes "Resize mode: <name>" in the infotext).
RESIZE_MODES = {
    "crop": "Crop and resize",
    "fit": "Resize and fill",
    "stretch": "Just resize",
}
RESIZE_MODE_KEYS = {name: key for key, name in RESIZE_MODES.items()}
DEFAULT_RESIZE_MODE = "crop"
DEFAULT_STRENGTH = 0.6


def resize_mode_key(value) -> str | None:
    """A resize mode given as Atelier's key or A1111's name; None if neither."""
    text = str(value or "").strip()
    if text in RESIZE_MODES:
        return text
    return RESIZE_MODE_KEYS.get(text)


def fit_to_size(image: Image.Image, width: int, height: int, mode: str) -> Image.Image:
    """``image`` as an RGB picture of ``width`` x ``height``.

    stretch: scaled to the size, proportions changed;
    crop:    scaled to cover the size, the overflow cut off evenly;
    fit:     scaled to fit inside, the rest filled by stretching the edge pixels
             outward (A1111's "Resize and fill").
    """
    image = image.convert("RGB")
    size = (width, height)
    if image.size == size:
        return image.copy()
    if mode == "stretch":
        return image.resize(size, Image.Resampling.LANCZOS)
    if mode == "crop":
        return ImageOps.fit(image, size, Image.Resampling.LANCZOS)
    if mode != "fit":
        raise ValueError(f"Unknown resize mode {mode!r}.")
    inner = ImageOps.contain(image, size, Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", size)
    left, top = (width - inner.width) // 2, (height - inner.height) // 2
    canvas.paste(inner, (left, top))
    if inner.width < width:  # bars left and right: the outer columns stretched
        right = width - left - inner.width
        if left:
            edge = inner.crop((0, 0, 1, inner.height)).resize((left, inner.height))
            canvas.paste(edge, (0, top))
        if right:
            edge = inner.crop((inner.width - 1, 0, inner.width, inner.height))
            canvas.paste(edge.resize((right, inner.height)), (left + inner.width, top))
    if inner.height < height:  # bars above and below: the outer rows stretched
        bottom = height - top - inner.height
        if top:
            edge = inner.crop((0, 0, inner.width, 1)).resize((inner.width, top))
            canvas.paste(edge, (left, 0))
        if bottom:
            edge = inner.crop((0, inner.height - 1, inner.width, inner.height))
            canvas.paste(edge.resize((inner.width, bottom)), (left, top + inner.height))
    return canvas


def working_size(width: int, height: int, lowest: int, highest: int, multiple: int = 8):
    """The size to work on a ``width`` x ``height`` picture at, as A1111's "Send
    to img2img" fills it in: its own, each side a multiple of ``multiple``,
    scaled to keep within a model's ``lowest``..``highest`` sides with its
    proportions. So "crop" trims at most a few pixels, and an inpainting keeps
    every pixel outside its mask."""
    scale = 1.0
    if max(width, height) > highest:
        scale = highest / max(width, height)
    elif min(width, height) < lowest:
        scale = min(lowest / min(width, height), highest / max(width, height))

    def side(value: int) -> int:
        fitted = max(multiple, int(value * scale) // multiple * multiple)
        return min(max(fitted, lowest), highest)

    return side(width), side(height)
