"""The mask of an inpainting job, and the picture the engine is given for it.

Pure PIL, A1111's img2img "Inpaint" steps under its names (what the recipe
records): white in the mask is repainted, black kept.

- ``read_mask``: any picture as a mask (its alpha where it has some, else its
  grey levels), made strictly black and white;
- ``prepare``: the starting image and mask brought to the model's size, the
  whole picture or only the masked area (its bounding box plus padding,
  grown to the job's proportions), blurred by "mask blur", the masked part
  filled from its surroundings ("fill") or left as it is ("original");
- ``Inpainting.paste_back``: the engine's result laid under the original,
  the blurred mask as the seam, so that outside the mask the original
  pixels are kept exactly (A1111's overlay).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageFilter, ImageOps

from .init_image import fit_to_size

# Atelier's key -> A1111's name (A1111 writes "Masked content", "Inpaint area").
MASKED_CONTENT = {"original": "original", "fill": "fill"}
INPAINT_AREAS = {"whole": "Whole picture", "masked": "Only masked"}
INPAINT_AREA_KEYS = {name: key for key, name in INPAINT_AREAS.items()}
DEFAULT_MASKED_CONTENT = "original"
DEFAULT_INPAINT_AREA = "whole"
DEFAULT_MASK_BLUR = 4
MASK_BLUR_MAX = 64
DEFAULT_PADDING = 32
PADDING_MAX = 256


def inpaint_area_key(value) -> str | None:
    """An inpaint area given as Atelier's key or A1111's name; None if neither."""
    text = str(value or "").strip()
    if text in INPAINT_AREAS:
        return text
    return INPAINT_AREA_KEYS.get(text)


def read_mask(picture: Image.Image) -> Image.Image:
    """``picture`` as a black-and-white ("L", 0 or 255) mask: its alpha channel
    when it has a transparent part (a stroke painted on a clear layer), else
    its grey levels, split at the middle grey."""
    if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
        alpha = picture.convert("RGBA").getchannel("A")
        if alpha.getextrema()[0] < 255:
            return alpha.point(lambda value: 255 if value >= 128 else 0)
    return picture.convert("L").point(lambda value: 255 if value >= 128 else 0)


def is_empty(mask: Image.Image) -> bool:
    """Nothing painted: nothing to repaint."""
    return mask.getbbox() is None


def is_full(mask: Image.Image) -> bool:
    """Everything painted: that is image to image, not inpainting."""
    return mask.getextrema()[0] == 255


def mask_to_size(mask: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The mask stretched to ``size`` (the starting image's), still black and white."""
    if mask.size == size:
        return mask
    return mask.resize(size, Image.Resampling.BILINEAR).point(
        lambda value: 255 if value >= 128 else 0
    )


def encode_mask(mask: Image.Image) -> bytes:
    """The mask as the small PNG that is stored with the job (1 bit a pixel)."""
    buffer = io.BytesIO()
    mask.convert("1").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def decode_mask(content: bytes) -> Image.Image:
    with Image.open(io.BytesIO(content)) as picture:
        return read_mask(picture)


@dataclass(frozen=True)
class InpaintOptions:
    """An inpainting job's mask and A1111's options for it."""

    mask: Image.Image  # black and white, the starting image's size (else stretched to it)
    mask_sha256: str = ""  # of the stored mask PNG, for the recipe
    masked_content: str = DEFAULT_MASKED_CONTENT  # a key of MASKED_CONTENT
    mask_blur: int = DEFAULT_MASK_BLUR  # pixels
    inpaint_area: str = DEFAULT_INPAINT_AREA  # a key of INPAINT_AREAS
    padding: int = DEFAULT_PADDING  # pixels around the masked area, "Only masked"
    model: str = ""  # the inpainting variant's preset key, when the job runs on one

    def recipe(self) -> dict:
        """The recipe's part, under A1111's infotext names in snake case."""
        data = {
            "mask_sha256": self.mask_sha256,
            "masked_content": MASKED_CONTENT.get(self.masked_content, self.masked_content),
            "mask_blur": self.mask_blur,
            "inpaint_area": INPAINT_AREAS.get(self.inpaint_area, self.inpaint_area),
        }
        if self.inpaint_area == "masked":
            data["masked_area_padding"] = self.padding
        if self.model:
            data["inpainting_model"] = self.model
        return data

    def prepare(self, image: Image.Image, width: int, height: int, resize_mode: str):
        return prepare(
            image,
            self.mask,
            width,
            height,
            resize_mode=resize_mode,
            masked_content=self.masked_content,
            mask_blur=self.mask_blur,
            inpaint_area=self.inpaint_area,
            padding=self.padding,
        )


@dataclass
class Inpainting:
    """What the engine runs on (``image`` and ``mask``, the model's size), and
    how its result goes back into the original picture."""

    image: Image.Image  # the model's input: width x height, RGB
    mask: Image.Image  # width x height, "L", blurred: the pipeline binarizes it
    overlay: Image.Image  # the original, transparent where it is repainted (RGBA)
    paste_box: tuple[int, int, int, int] | None  # only masked: where the result goes

    def paste_back(self, result: Image.Image) -> Image.Image:
        """The final picture: ``result`` (resized into the masked area's box when
        only that was inpainted) under the original outside the mask."""
        if self.paste_box is not None:
            x1, y1, x2, y2 = self.paste_box
            base = Image.new("RGBA", self.overlay.size)
            piece = ImageOps.fit(
                result.convert("RGB"), (x2 - x1, y2 - y1), Image.Resampling.LANCZOS
            )
            base.paste(piece, (x1, y1))
        else:
            base = result.convert("RGBA")
        base.alpha_composite(self.overlay)
        return base.convert("RGB")


def prepare(
    image: Image.Image,
    mask: Image.Image,
    width: int,
    height: int,
    *,
    resize_mode: str = "crop",
    masked_content: str = DEFAULT_MASKED_CONTENT,
    mask_blur: int = DEFAULT_MASK_BLUR,
    inpaint_area: str = DEFAULT_INPAINT_AREA,
    padding: int = DEFAULT_PADDING,
) -> Inpainting:
    """Bring ``image`` and its ``mask`` (any size: stretched to the image's) to
    the model's ``width`` x ``height``, as A1111's img2img does."""
    image = image.convert("RGB")
    mask = mask_to_size(mask.convert("L"), image.size)
    if mask_blur > 0:
        mask = mask.filter(ImageFilter.GaussianBlur(mask_blur))
    box = None
    if inpaint_area == "masked" and (box := crop_region(mask, padding)) is not None:
        box = expand_to_ratio(box, width, height, image.width, image.height)
        overlay_mask = mask
        mask = mask.crop(box).resize((width, height), Image.Resampling.LANCZOS)
        image_for_overlay = image
        image = image.crop(box).resize((width, height), Image.Resampling.LANCZOS)
    else:
        image = fit_to_size(image, width, height, resize_mode)
        mask = fit_to_size(mask, width, height, resize_mode).convert("L")
        # A1111 doubles the blurred mask for the overlay: the seam sits inside it.
        overlay_mask = mask.point(lambda value: min(255, value * 2))
        image_for_overlay = image
    overlay = image_for_overlay.convert("RGBA")
    overlay.putalpha(ImageOps.invert(overlay_mask))
    if masked_content == "fill":
        image = fill(image, mask)
    return Inpainting(image=image, mask=mask, overlay=overlay, paste_box=box)


def crop_region(mask: Image.Image, padding: int) -> tuple[int, int, int, int] | None:
    """The masked part's bounding box grown by ``padding`` on each side, within
    the picture (A1111's ``get_crop_region_v2``); None for an empty mask."""
    box = mask.getbbox()
    if box is None:
        return None
    x1, y1, x2, y2 = box
    return (
        max(x1 - padding, 0),
        max(y1 - padding, 0),
        min(x2 + padding, mask.width),
        min(y2 + padding, mask.height),
    )


def expand_to_ratio(box, width: int, height: int, image_width: int, image_height: int):
    """``box`` grown on its short side to the proportions of ``width`` x
    ``height``, kept within the picture (A1111's ``expand_crop_region``)."""
    x1, y1, x2, y2 = box
    if (x2 - x1) / (y2 - y1) > width / height:
        y1, y2 = _grow(y1, y2, int((x2 - x1) * height / width), image_height)
    else:
        x1, x2 = _grow(x1, x2, int((y2 - y1) * width / height), image_width)
    return x1, y1, x2, y2


def _grow(start: int, end: int, wanted: int, limit: int) -> tuple[int, int]:
    extra = wanted - (end - start)
    start -= extra // 2
    end += extra - extra // 2
    if end > limit:
        start -= end - limit
        end = limit
    if start < 0:
        end = min(end - start, limit)
        start = 0
    return start, end


def fill(image: Image.Image, mask: Image.Image) -> Image.Image:
    """The masked part painted over with the colours around it, blurred ever
    less (A1111's "fill"): the model starts from those colours, not the old shapes."""
    kept = Image.new("RGBa", image.size)
    kept.paste(image.convert("RGBA").convert("RGBa"), mask=ImageOps.invert(mask.convert("L")))
    filled = Image.new("RGBA", image.size)
    for radius, repeats in ((256, 1), (64, 1), (16, 2), (4, 4), (2, 2), (0, 1)):
        blurred = kept.filter(ImageFilter.GaussianBlur(radius)).convert("RGBA")
        for _ in range(repeats):
            filled.alpha_composite(blurred)
    return filled.convert("RGB")
