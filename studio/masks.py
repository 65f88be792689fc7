"""Inpainting on the site's side: the mask as the Generate form and the API
take it (a PNG file, or base64 / a data URL in JSON), checked and kept in the
job's request, and the worker's reading of it back.

The mask is kept inside the job's request as a 1-bit PNG in base64 (a few KB
for a painted mask): it lives and goes with the job row, with no file of its
own to orphan, and its sha256 is what the recipe records.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from PIL import Image

from atelier.image_uploads import validate_upload
from imaging.validation import InvalidImage

from .backends.base import BackendError
from .backends.inpaint_mask import (
    DEFAULT_INPAINT_AREA,
    DEFAULT_MASK_BLUR,
    DEFAULT_MASKED_CONTENT,
    DEFAULT_PADDING,
    InpaintOptions,
    decode_mask,
    encode_mask,
    is_empty,
    is_full,
    mask_to_size,
    read_mask,
)
from .models import GenerationJob

NOT_AN_IMAGE = "The mask could not be read as an image: send a PNG, white where to repaint."
NOT_BASE64 = "The mask must be a PNG file, or its base64 (a data: URL is fine too)."
EMPTY = "The mask is empty: paint over the part of the image to repaint."
FULL = "The mask covers the whole image: to repaint all of it, start from the image without a mask."
NEEDS_START = "A mask needs a starting image: choose or upload one."
UNREADABLE = "The job's mask could not be read. Paint it again."


class MaskInput(forms.FileInput):
    """A file input that also takes the mask as text (the API's JSON)."""

    def value_from_datadict(self, data, files, name):
        return files.get(name) or data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return name not in files and name not in data


class MaskField(forms.Field):
    """A mask: cleaned into a black-and-white "L" picture, or None when none came."""

    widget = MaskInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, UploadedFile):
            content = value
        elif isinstance(value, str):
            content = _from_base64(value)
        else:
            raise forms.ValidationError(NOT_BASE64, code="invalid")
        try:
            validated = validate_upload(content)
        except InvalidImage as exc:
            if exc.code in ("too_large", "too_many_pixels", "too_long"):  # its size: say so
                message = exc.message.replace("The image", "The mask", 1)
                raise forms.ValidationError(message, code=exc.code) from exc
            raise forms.ValidationError(NOT_AN_IMAGE, code="invalid") from exc
        try:
            mask = read_mask(validated.image)
        finally:
            validated.close()
        if is_empty(mask):
            raise forms.ValidationError(EMPTY, code="empty")
        if is_full(mask):
            raise forms.ValidationError(FULL, code="full")
        return mask


def _from_base64(text: str) -> bytes:
    if text.startswith("data:"):
        text = text.partition(",")[2]
    if len(text) > settings.ATELIER_MAX_UPLOAD_BYTES * 4 // 3 + 4:  # base64's 4 for 3
        largest = filesizeformat(settings.ATELIER_MAX_UPLOAD_BYTES)
        raise forms.ValidationError(f"The mask is larger than {largest}.", code="too_large")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise forms.ValidationError(NOT_BASE64, code="invalid") from exc


def fitted(mask: Image.Image, size: tuple[int, int]) -> tuple[Image.Image, str]:
    """The mask at the starting image's ``size``, and a note when it was not."""
    if mask.size == size:
        return mask, ""
    note = (
        f"The mask was {mask.width}×{mask.height} and the starting image "
        f"{size[0]}×{size[1]}: the mask was stretched to fit."
    )
    return mask_to_size(mask, size), note


def mask_request(mask: Image.Image, data: dict) -> dict:
    """The mask's part of a job's request: the PNG, its sha256, the options."""
    content = encode_mask(mask)
    return {
        "mask": base64.b64encode(content).decode("ascii"),
        "mask_sha256": hashlib.sha256(content).hexdigest(),
        "masked_content": data.get("masked_content") or DEFAULT_MASKED_CONTENT,
        "mask_blur": _or(data.get("mask_blur"), DEFAULT_MASK_BLUR),
        "inpaint_area": data.get("inpaint_area") or DEFAULT_INPAINT_AREA,
        "masked_area_padding": _or(data.get("masked_area_padding"), DEFAULT_PADDING),
    }


def _or(value, default):
    return default if value is None else value


def load_inpaint(data: dict) -> InpaintOptions | None:
    """The worker's reading of a job's mask and options; None without a mask."""
    if not data.get("mask"):
        return None
    try:
        content = base64.b64decode(data["mask"])
        mask = decode_mask(content)
    except Exception as exc:
        raise BackendError(UNREADABLE) from exc
    return InpaintOptions(
        mask=mask,
        mask_sha256=data.get("mask_sha256") or hashlib.sha256(content).hexdigest(),
        masked_content=data.get("masked_content", DEFAULT_MASKED_CONTENT),
        mask_blur=int(data.get("mask_blur", DEFAULT_MASK_BLUR)),
        inpaint_area=data.get("inpaint_area", DEFAULT_INPAINT_AREA),
        padding=int(data.get("masked_area_padding", DEFAULT_PADDING)),
    )


def mask_data_url(mask: Image.Image) -> str:
    """A mask as a data: URL, for the painter to show again."""
    return "data:image/png;base64," + base64.b64encode(encode_mask(mask)).decode("ascii")


def remixed_mask(user, params: dict) -> str:
    """The mask of a Remix of one's own inpainting (``remix_of`` and the
    recipe's ``mask_sha256``), from the job that made the image, as a data:
    URL; "" when there is none (another person's image: the mask is not theirs)."""
    wanted, image_id = params.get("mask_sha256"), params.get("remix_of")
    if not wanted or not str(image_id or "").isdigit() or not user.is_authenticated:
        return ""
    job = GenerationJob.objects.filter(owner=user, images__pk=int(image_id)).first()
    if job is None or job.request.get("mask_sha256") != wanted or not job.request.get("mask"):
        return ""
    return f"data:image/png;base64,{job.request['mask']}"
