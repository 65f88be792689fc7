"""OpenAI's image edits and variations (``/v1/images/edits``,
``/v1/images/variations``): multipart requests as the official SDK sends
them, turned into GenerationForm's image to image and inpainting.

- An edit without a mask: image to image at EDIT_STRENGTH, the prompt saying
  what changes.
- An edit with a mask: inpainting (the local engine). OpenAI's mask is a PNG
  with an alpha channel, transparent where the picture is edited; Atelier's
  is white where it is repainted. The transparent part is made anew
  (strength 1, filled from around it) and every opaque pixel is kept as it
  was (no mask blur), as OpenAI promises.
- A variation: image to image at VARIATION_STRENGTH with new seeds; the
  prompt is the picture's own recipe's when it carries one (A1111, ComfyUI,
  Atelier, ... as an upload reads them), else empty.

Without ``size``, the job has the picture's size, brought within the model's
bounds. Every refusal comes before a job is queued (docs/decisions.md).
"""

from __future__ import annotations

import base64
from functools import partial

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.template.defaultfilters import filesizeformat
from PIL import Image as PILImage
from rest_framework import status

from atelier.image_uploads import BUSY, BUSY_RETRY_AFTER, UploadsBusy, upload_slot, validate_upload
from atelier.rate_limits import GenerationThrottle
from gallery.uploads import UploadTooLarge, check_request_size, clean_recipe
from imaging.orientation import orientation
from imaging.recipes import read_file_recipe
from imaging.validation import InvalidImage
from studio import limits
from studio.backends.init_image import working_size
from studio.backends.inpaint_mask import encode_mask, is_empty, is_full
from studio.presets import get_preset

from .openai import (
    OpenAIError,
    OpenAIView,
    generations_response,
    model_key,
    queued,
    response_format,
    size_fields,
)
from .waiting import AwaitingJob

EDIT_STRENGTH = 0.75  # A1111's default: the prompt shows, the composition stays
INPAINT_STRENGTH = 1.0  # the transparent part carries nothing to keep
VARIATION_STRENGTH = 0.6  # Atelier's default: the same subject and colours, new details

NO_ALPHA = (
    "The mask must be a PNG with an alpha channel, fully transparent where the image "
    "should be edited."
)
NOT_A_MASK = "The mask could not be read as an image: send a PNG with an alpha channel."
NOTHING_TRANSPARENT = (
    "The mask has no transparent pixels: make the part to edit fully transparent (alpha 0)."
)
ALL_TRANSPARENT = (
    "The mask is transparent everywhere: to rework the whole image, send it without a mask."
)
SIZES_DIFFER = "Invalid input: mask and image must have the same dimensions."
NO_STREAMING = "Streaming is not supported here: leave 'stream' out."


def text_fields(data) -> dict:
    """A multipart request's text fields (its last value of each); a JSON
    body's, which has no files to start from, are read alike."""
    if not isinstance(data, dict):
        return {}
    return {key: value for key, value in data.items() if isinstance(value, str)}


def one_file(files, name: str, *, required: bool):
    """The file sent as ``name`` (GPT Image's ``name[]``: the first of them)."""
    found = files.getlist(name) or files.getlist(f"{name}[]")
    if found:
        return found[0]
    if required:
        raise OpenAIError(
            f"Missing required parameter: '{name}' (a file, in a multipart/form-data request).",
            param=name,
        )
    return None


def within_limit(file, name: str) -> None:
    most = settings.ATELIER_MAX_UPLOAD_BYTES
    if file.size > most:
        raise OpenAIError(
            f"The {name} is larger than {filesizeformat(most)}.",
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            param=name,
        )


def picture_size(file) -> tuple[int, int] | None:
    """The picture's width and height as it is shown (EXIF-turned), from its
    header; None when it cannot be read (the form says why)."""
    try:
        with PILImage.open(file) as opened:
            width, height = opened.size
            turned = orientation(opened) in (5, 6, 7, 8)
    except (OSError, ValueError, SyntaxError, PILImage.DecompressionBombError):
        return None
    finally:
        file.seek(0)
    if width < 1 or height < 1:
        return None
    return (height, width) if turned else (width, height)


def atelier_mask(file, size: tuple[int, int] | None) -> str:
    """OpenAI's mask (transparent: edit) as the form's: a base64 PNG, white
    where the picture is repainted. Raises OpenAIError naming ``mask``."""
    within_limit(file, "mask")
    try:
        validated = validate_upload(file)
    except InvalidImage as exc:
        raise OpenAIError(NOT_A_MASK, param="mask") from exc
    try:
        picture = validated.image
        if picture.mode not in ("RGBA", "LA", "PA") and "transparency" not in picture.info:
            raise OpenAIError(NO_ALPHA, param="mask")
        if size is not None and picture.size != size:
            raise OpenAIError(SIZES_DIFFER, param="mask")
        alpha = picture.convert("RGBA").getchannel("A")
    finally:
        validated.close()
    mask = alpha.point(lambda value: 255 if value < 128 else 0)
    if is_empty(mask):
        raise OpenAIError(NOTHING_TRANSPARENT, param="mask")
    if is_full(mask):
        raise OpenAIError(ALL_TRANSPARENT, param="mask")
    return base64.b64encode(encode_mask(mask)).decode("ascii")


def starting_data(fields: dict, image, prompt: str) -> tuple[dict, tuple[int, int] | None]:
    """What edits and variations share, in the form's terms, and the picture's size."""
    model = model_key(fields)
    response_format(fields)
    if str(fields.get("stream", "")).lower() in ("true", "1"):
        raise OpenAIError(NO_STREAMING, param="stream")
    within_limit(image, "image")
    size = picture_size(image)
    data = {"prompt": prompt, "model": model, **size_fields(fields)}
    if "width" not in data and size is not None and (preset := get_preset(model)):
        data["width"], data["height"] = working_size(*size, preset.min_size, preset.max_size)
    if fields.get("n") not in (None, ""):
        data["n"] = fields["n"]
    return data, size


def start_edit(user, fields: dict, files):
    """``POST /v1/images/edits``: the caller's job. Raises OpenAIError."""
    image = one_file(files, "image", required=True)
    mask = one_file(files, "mask", required=False)
    prompt = fields.get("prompt")
    if not prompt:
        raise OpenAIError("Missing required parameter: 'prompt'.", param="prompt")
    data, size = starting_data(fields, image, prompt)
    data["denoising_strength"] = EDIT_STRENGTH
    if mask is not None:
        data["mask"] = atelier_mask(mask, size)
        data.update(denoising_strength=INPAINT_STRENGTH, masked_content="fill", mask_blur=0)
    return queued(user, data, {"init_upload": image})


def start_variation(user, fields: dict, files):
    """``POST /v1/images/variations``: the caller's job. Raises OpenAIError."""
    image = one_file(files, "image", required=True)
    within_limit(image, "image")
    recipe = clean_recipe(read_file_recipe(image).recipe)
    image.seek(0)
    data, _size = starting_data(fields, image, recipe.get("prompt", "")[: limits.PROMPT_MAX])
    if "negative_prompt" in recipe:
        data["negative_prompt"] = recipe["negative_prompt"][: limits.NEGATIVE_PROMPT_MAX]
    data["denoising_strength"] = VARIATION_STRENGTH
    return queued(user, data, {"init_upload": image}, prompt_required=False)


class StartingFromAnImage(OpenAIView):
    """A multipart request starting from a picture; ``start`` queues its job."""

    throttle_classes = [GenerationThrottle]  # 429 rate_limit_exceeded, with Retry-After
    start = None

    def post(self, request):
        try:
            check_request_size(request.META.get("CONTENT_LENGTH"), files=2)
            fields, files = text_fields(request.data), request.FILES
            with upload_slot():  # the pictures are decoded here (atelier.image_uploads)
                job = self.start(request.user, fields, files)
        except UploadTooLarge as refused:
            return OpenAIError(refused.message, status_code=413).response()
        except RequestDataTooBig:
            return OpenAIError("The form's text fields are too large.", status_code=413).response()
        except TooManyFilesSent:
            return OpenAIError("Send one image and at most one mask.").response()
        except UploadsBusy:
            response = OpenAIError(BUSY, status_code=503, kind="server_error").response()
            response["Retry-After"] = str(BUSY_RETRY_AFTER)
            return response
        except OpenAIError as error:
            return error.response()
        return AwaitingJob(job, partial(generations_response, request, fields))


class ImageEdits(StartingFromAnImage):
    start = staticmethod(start_edit)


class ImageVariations(StartingFromAnImage):
    start = staticmethod(start_variation)
