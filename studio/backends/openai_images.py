"""OpenAI Images: ``images.generate`` (and ``images.edit`` for a starting
image) through the official ``openai`` client.

A job goes through four stages, in the order of this file:

1. request   the model's rules (sizes, images per call, whether it takes
             ``response_format``) give the body: the request's width × height
             becomes the nearest size the model makes (the image that comes
             back has that real size), and ``n`` is split into calls
             (dall-e-3 makes one image per call);
2. call      ``client.images.generate`` (``POST {base_url}/images/generations``;
             the client sends the key, organization and project headers and
             turns an error status into a typed exception), retried through
             ``retrying.call_with_retries`` on a rate limit (429, honouring
             ``retry-after-ms``/``Retry-After``/``x-ratelimit-reset-requests``),
             a server error (5xx), a timeout or a dropped connection. The
             client's own retries are off (``max_retries=0``): Atelier's loop is
             the one that waits, because its wait is cancellable, shown on the
             job page and bounded by ``max_retry_seconds``;
3. errors    the client's exception, with OpenAI's ``code``/``type``/``param``
             and message, becomes a ``BackendError`` in OpenAI's words (never
             with the key); a refused key, a refused prompt, an exhausted quota
             are not retried;
4. images    the ``b64_json`` items are decoded and checked here (the client
             does not validate answers), so an answer that is not an image
             fails the job cleanly.

OpenAI takes no negative prompt, seed, steps, guidance or sampler: they are not
sent, and the seeds recorded with the images do not reproduce them.

Image to image: GPT Image models only, through ``images.edit`` (``POST
{base_url}/images/edits``, multipart, the picture as ``image``), the picture
first brought to the size OpenAI makes per the resize mode. The edit endpoint
has no denoising strength: the strength is not sent (the job page says so while
it runs; the recipe keeps what was asked). dall-e-2 edits only under a mask
and dall-e-3 has no edits, so both refuse a starting image without a mask, at
the form (``refusal``).

Inpainting: GPT Image models and dall-e-2, through ``images.edit`` with a
``mask``: a PNG of the picture's size, transparent (alpha 0) where it is
repainted and opaque elsewhere, made from Atelier's mask (white: repaint)
brought to OpenAI's size by the same resize mode as the picture. OpenAI has no
mask blur, no "masked content" and no "only masked area": they are not sent,
the mask is used as painted, and the job page says so while it runs. The
answer goes under the original outside the mask (``Inpainting.paste_back``, as
on the local engine): GPT Image models rework the whole picture, so only the
masked part of what OpenAI made is kept.

Config (``settings.ATELIER_ENGINES["openai"]``): "api_key" (required),
"base_url" (required; the settings entry gives https://api.openai.com/v1),
"organization" and "project" (optional headers), "timeout" (seconds to read an
answer, default 180), "connect_timeout" (default 10), "max_retry_seconds"
(default 300). Preset options (``request.options``): "base_url" (overrides the
config's), and "quality", "style", "background", "moderation", "output_format"
passed through to OpenAI as they are.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
import re
from dataclasses import dataclass

from openai import APIConnectionError, APIStatusError, APITimeoutError, OpenAI, OpenAIError, Timeout
from openai.types import Image as ImageItem
from PIL import Image, ImageOps, UnidentifiedImageError

from .base import (
    BackendError,
    CancelCheck,
    Cancelled,
    GeneratedImage,
    GenerationRequest,
    ModelUnavailable,
    Progress,
    ProgressCallback,
)
from .init_image import fit_to_size
from .inpaint_mask import DEFAULT_MASKED_CONTENT, Inpainting, InpaintOptions, prepare
from .remote import RemoteEngine
from .retrying import parse_retry_after

PASSED_THROUGH = ("quality", "style", "background", "moderation", "output_format")
# What images.edit takes of those (it has no "style" nor "moderation").
EDIT_PASSED_THROUGH = ("quality", "background", "output_format", "input_fidelity")
NO_STRENGTH = (
    "OpenAI's image edits take no denoising strength: the picture is reworked as the "
    "model sees fit."
)
NO_MASK_OPTIONS = "OpenAI's edits take the mask as painted: {ignored} not used."


@dataclass(frozen=True)
class ModelRules:
    sizes: tuple[tuple[int, int], ...]  # empty: any size, sent as asked
    per_call: int  # most images one call makes
    response_format: bool  # whether the model takes response_format (gpt-image-* refuse it)


MODELS = {
    "dall-e-2": ModelRules(((256, 256), (512, 512), (1024, 1024)), 10, True),
    "dall-e-3": ModelRules(((1024, 1024), (1792, 1024), (1024, 1792)), 1, True),
    "gpt-image-1": ModelRules(((1024, 1024), (1536, 1024), (1024, 1536)), 10, False),
}
# An OpenAI-compatible server's own model: the size as asked, base64 asked for.
OTHER_MODEL = ModelRules((), 10, True)


class OpenAIImagesBackend(RemoteEngine):
    name = "openai"
    label = "OpenAI"
    required_setting = "api_key"  # OPENAI_API_KEY
    read_timeout = 180.0  # gpt-image-1 at high quality can take more than a minute
    connect_timeout = 10.0

    image_to_image = True  # GPT Image models only: see refusal
    inpainting = True  # GPT Image models and dall-e-2

    @classmethod
    def refusal(cls, operation: str, model_id: str) -> str:
        """GPT Image models edit a whole picture or under a mask; dall-e-2 only
        under a mask, dall-e-3 (and another server's model) not at all."""
        model = model_id or "model"
        if operation == "image_to_image" and not is_gpt_image(model_id):
            if model_id == "dall-e-2":
                return (
                    "OpenAI's dall-e-2 cannot start from an image without a mask "
                    "(it edits only under one: paint it under Inpaint)."
                )
            return (
                f"OpenAI's {model} cannot start from an image "
                "(its image edits take GPT Image models only)."
            )
        if operation == "inpainting" and not (is_gpt_image(model_id) or model_id == "dall-e-2"):
            return (
                f"OpenAI's {model} cannot inpaint "
                "(its image edits take GPT Image models and dall-e-2 only)."
            )
        return super().refusal(operation, model_id)

    @classmethod
    def able_label(cls, operation: str) -> str:
        if operation == "inpainting":
            return "OpenAI's GPT Image and dall-e-2 models"
        return "OpenAI's GPT Image models" if super().able_label(operation) else ""

    def models(self) -> list[str]:
        return list(MODELS)

    def samplers(self) -> list[str]:
        """None to choose: OpenAI has no sampler setting."""
        return []

    def generate(
        self,
        request: GenerationRequest,
        on_progress: ProgressCallback,
        should_cancel: CancelCheck,
    ) -> list[GeneratedImage]:
        if not request.model_id:
            raise ModelUnavailable(
                "No model is set for this preset. Set its model id in the admin."
            )
        base_url = (request.options.get("base_url") or self.config.get("base_url") or "").rstrip(
            "/"
        )
        if not base_url:
            raise BackendError("The OpenAI base URL is not set. Set OPENAI_BASE_URL.")
        rules = rules_for(request.model_id)
        size = pick_size(rules, request.width, request.height)
        note = size_note(request, size)
        starting = mask = inpainting = None
        if request.init_image is not None:
            operation = "image_to_image" if request.inpaint is None else "inpainting"
            if refusal := self.refusal(operation, request.model_id):
                raise BackendError(refusal)
            if request.inpaint is None:
                picture = fit_to_size(request.init_image, *size, request.resize_mode)
            else:
                inpainting = mask_as_painted(request, size)
                picture, mask = inpainting.image, png_bytes(openai_mask(inpainting.mask))
            starting = png_bytes(picture)
            ignored = ignored_mask_options(request.inpaint) if request.inpaint else ""
            note = " ".join(part for part in (note, NO_STRENGTH, ignored) if part)
        on_progress(Progress(phase="sampling", step=0, total=request.n, message=note))
        secret = self.config.get("api_key") or ""
        images: list[Image.Image] = []
        with self._client(base_url, secret) as client:
            for count in batches(request.n, rules.per_call):
                if should_cancel():
                    raise Cancelled()
                body = request_body(request, rules, size, count, starting, mask)
                retried = self.retrier(
                    should_cancel, on_progress, step=len(images), total=request.n
                )
                answer = retried(lambda body=body: generate_images(client, body, secret))
                images.extend(decode_images(answer, count))
                on_progress(
                    Progress(phase="sampling", step=len(images), total=request.n, message=note)
                )
        if should_cancel():
            raise Cancelled()
        if inpainting is not None:  # the original kept outside the mask
            images = [inpainting.paste_back(fitted(image, size)) for image in images]
        return [
            GeneratedImage(image, seed) for image, seed in zip(images, request.seeds(), strict=True)
        ]

    def _client(self, base_url: str, secret: str) -> OpenAI:
        """The client for one job; ``max_retries=0``: ``self.retrier`` is the one retry loop."""
        try:
            return OpenAI(
                api_key=secret,
                # None: the client reads OPENAI_ORG_ID/OPENAI_PROJECT_ID, as settings do.
                organization=self.config.get("organization") or None,
                project=self.config.get("project") or None,
                base_url=base_url,
                timeout=Timeout(self.timeout.read, connect=self.timeout.connect),
                max_retries=0,
            )
        except OpenAIError as error:  # no key here nor in OPENAI_API_KEY
            raise BackendError("The OpenAI API key is not set. Set OPENAI_API_KEY.") from error


create_backend = OpenAIImagesBackend
is_configured = OpenAIImagesBackend.is_configured
refusal = OpenAIImagesBackend.refusal
able_label = OpenAIImagesBackend.able_label

# 1. Request ------------------------------------------------------------------


def is_gpt_image(model: str) -> bool:
    return model.startswith("gpt-image")


def rules_for(model: str) -> ModelRules:
    if model in MODELS:
        return MODELS[model]
    if is_gpt_image(model):  # gpt-image-1-mini and later share gpt-image-1's rules
        return MODELS["gpt-image-1"]
    return OTHER_MODEL


def pick_size(rules: ModelRules, width: int, height: int) -> tuple[int, int]:
    """The model's size nearest to the one asked for: closest shape first, then closest area."""
    if not rules.sizes:
        return width, height

    def distance(size: tuple[int, int]) -> tuple[float, float]:
        shape = abs(math.log(width / height) - math.log(size[0] / size[1]))
        area = abs(math.log(width * height) - math.log(size[0] * size[1]))
        return round(shape, 6), area

    return min(rules.sizes, key=distance)


def size_note(request: GenerationRequest, size: tuple[int, int]) -> str:
    if size == (request.width, request.height):
        return ""
    return (
        f"{request.model_id} makes {size[0]}×{size[1]} images, the nearest to the "
        f"{request.width}×{request.height} asked for."
    )


def batches(n: int, per_call: int) -> list[int]:
    """How many images each call asks for: 5 with 2 per call is [2, 2, 1]."""
    return [min(per_call, n - start) for start in range(0, n, per_call)]


def mask_as_painted(request: GenerationRequest, size) -> Inpainting:
    """The picture and mask at OpenAI's ``size`` (the picture's resize mode for
    both), and the original to lay over the answer: A1111's preparation
    without the options OpenAI has no equivalent for (no blur, the picture as
    it is under the mask, the whole picture)."""
    return prepare(
        request.init_image,
        request.inpaint.mask,
        *size,
        resize_mode=request.resize_mode,
        masked_content=DEFAULT_MASKED_CONTENT,
        mask_blur=0,
    )


def openai_mask(mask: Image.Image) -> Image.Image:
    """Atelier's mask (white: repaint) as OpenAI's: transparent where it is
    repainted, opaque black elsewhere."""
    opaque = mask.convert("L").point(lambda value: 0 if value >= 128 else 255)
    picture = Image.new("RGBA", mask.size, (0, 0, 0, 255))
    picture.putalpha(opaque)
    return picture


def ignored_mask_options(options: InpaintOptions) -> str:
    """The note for what was asked of the mask that OpenAI cannot do; "" for none."""
    ignored = []
    if options.mask_blur:
        ignored.append(f"the mask blur ({options.mask_blur} px)")
    if options.masked_content != DEFAULT_MASKED_CONTENT:
        ignored.append(f"“{options.masked_content}” for the masked content")
    if options.inpaint_area == "masked":
        ignored.append("“only masked area”")
    if not ignored:
        return ""
    listed = ", ".join(ignored[:-1]) + " and " + ignored[-1] if len(ignored) > 1 else ignored[0]
    verb = "are" if len(ignored) > 1 else "is"
    return NO_MASK_OPTIONS.format(ignored=f"{listed} {verb}")


def fitted(image: Image.Image, size) -> Image.Image:
    """An answer at OpenAI's ``size`` (another server may make another)."""
    return image if image.size == tuple(size) else ImageOps.fit(image.convert("RGB"), size)


def request_body(
    request: GenerationRequest,
    rules: ModelRules,
    size,
    count: int,
    image: bytes | None = None,
    mask: bytes | None = None,
) -> dict:
    """images.generate's arguments; with ``image`` (a PNG), images.edit's, and
    with ``mask`` (OpenAI's: transparent where to repaint) an inpainting."""
    body = {
        "model": request.model_id,
        "prompt": request.prompt,
        "n": count,
        "size": f"{size[0]}x{size[1]}",
    }
    if image is not None:
        body["image"] = ("start.png", image, "image/png")
    if mask is not None:
        body["mask"] = ("mask.png", mask, "image/png")
    if rules.response_format:
        body["response_format"] = "b64_json"
    for key in PASSED_THROUGH if image is None else EDIT_PASSED_THROUGH:
        if request.options.get(key):
            body[key] = request.options[key]
    return body


# 2. Call ---------------------------------------------------------------------


def generate_images(client: OpenAI, body: dict, secret: str):
    """One call: the client's answer, or a ``BackendError`` that says whether to try again."""
    try:
        answer = client.images.edit(**body) if "image" in body else client.images.generate(**body)
    except APITimeoutError as error:
        raise BackendError("OpenAI did not answer in time.", retryable=True) from error
    except APIConnectionError as error:
        cause = type(error.__cause__ or error).__name__  # the transport's: ConnectError, ...
        raise BackendError(f"Could not reach OpenAI ({cause}).", retryable=True) from error
    except APIStatusError as error:
        raise explain_error(error, body["model"], secret) from error
    except json.JSONDecodeError as error:  # a body said to be JSON that is not
        raise BackendError("OpenAI returned a malformed answer (not JSON).") from error
    if isinstance(answer, str):  # a body not said to be JSON comes back as its text
        raise BackendError("OpenAI returned a malformed answer (not JSON).")
    return answer


# 3. Errors -------------------------------------------------------------------


def explain_error(error: APIStatusError, model: str, secret: str) -> BackendError:
    """Turn OpenAI's error status and body into a message a person can act on."""
    status = error.status_code
    code = str(error.code or error.type or "")
    detail = redact(error_message(error), secret)
    said = f": {detail.rstrip('.')}." if detail else "."
    if status == 401:
        # OpenAI's message quotes part of the key, so it is not repeated.
        return BackendError("OpenAI rejected the API key (401). Check OPENAI_API_KEY.")
    if code in ("content_policy_violation", "moderation_blocked"):
        return BackendError(f"OpenAI refused the prompt{said} Change the prompt and try again.")
    if code == "insufficient_quota":
        return BackendError(f"The OpenAI account is out of credit (429){said}")
    if status == 404 or code == "model_not_found" or (status == 400 and error.param == "model"):
        return ModelUnavailable(
            f"OpenAI cannot run the model {model} ({status}){said} Check the preset's model id."
        )
    if status == 403:
        return BackendError(f"OpenAI refused access to {model} (403){said}")
    if status == 429:
        return BackendError(
            "OpenAI is rate-limiting this key (429).",
            retryable=True,
            retry_after=retry_after_seconds(error.response.headers),
        )
    if status >= 500:
        return BackendError(
            f"OpenAI had a server error ({status}){said}",
            retryable=True,
            retry_after=retry_after_seconds(error.response.headers),
        )
    return BackendError(f"OpenAI refused the request ({status}){said}")


def error_message(error: APIStatusError) -> str:
    """OpenAI's own words: ``error.message`` of its JSON body (the client keeps the
    ``error`` object as ``body``), or the string some OpenAI-compatible servers
    send as ``{"error": "..."}``; never a page of HTML from a proxy."""
    if isinstance(error.body, dict):
        return str(error.body.get("message") or "")
    is_json = "json" in error.response.headers.get("content-type", "")
    return error.body if isinstance(error.body, str) and is_json else ""


def retry_after_seconds(headers) -> float | None:
    """The wait OpenAI asks for: ``retry-after-ms``, ``Retry-After`` (seconds or a
    date), else ``x-ratelimit-reset-requests`` (a duration such as "6m0s" or "20ms")."""
    if value := headers.get("retry-after-ms"):
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    if (seconds := parse_retry_after(headers.get("retry-after"))) is not None:
        return seconds
    if value := headers.get("x-ratelimit-reset-requests"):
        return parse_duration(value)
    return None


DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
DURATION_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(text: str) -> float | None:
    """ "1m30.5s" → 90.5; None when the text is not such a duration."""
    text = text.strip()
    parts = DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        return None
    return sum(float(number) * DURATION_UNITS[unit] for number, unit in parts)


def redact(text: str, secret: str) -> str:
    return text.replace(secret, "[key]") if secret else text


# 4. Images -------------------------------------------------------------------


def decode_images(answer, count: int) -> list[Image.Image]:
    """The ``data`` items' ``b64_json`` as checked, fully loaded images. ``answer`` is
    what the client built from the JSON, unvalidated: anything a server may send."""
    items = getattr(answer, "data", None)
    if not isinstance(items, list) or not all(isinstance(item, ImageItem) for item in items):
        raise BackendError("OpenAI returned a malformed answer (no image list).")
    if any(item.b64_json is None and item.url for item in items):
        raise BackendError(
            "OpenAI answered with image links instead of image data; "
            "this model should be asked for b64_json."
        )
    if len(items) != count:
        raise BackendError(f"OpenAI returned {len(items)} of the {count} images asked for.")
    return [decode_image(item.b64_json) for item in items]


def png_bytes(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def decode_image(data) -> Image.Image:
    if not isinstance(data, str):
        raise BackendError("OpenAI returned something that is not an image.")
    if data.startswith("data:"):  # a data URL from an OpenAI-compatible server
        data = data.partition(",")[2]
    try:
        image = Image.open(io.BytesIO(base64.b64decode(data, validate=True)))
        image.load()
    except (
        binascii.Error,
        UnidentifiedImageError,
        Image.DecompressionBombError,
        OSError,
        SyntaxError,
        ValueError,
    ) as error:
        raise BackendError("OpenAI returned something that is not an image.") from error
    return image
