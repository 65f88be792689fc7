"""Hugging Face Inference: text to image through ``huggingface_hub``'s InferenceClient.

A job goes through four stages, in the order of this file:

1. request   the model to call (a hub id routed by huggingface_hub, a URL under
             the configured ``base_url``, or an Inference Endpoint URL given as
             the model id) and the diffusers parameters of one image;
2. call      ``InferenceClient.text_to_image`` once per image, with the seeds
             ``request.seeds()``: the API makes one image per call. With a
             starting image, ``InferenceClient.image_to_image`` (the
             image-to-image task) instead: the picture brought to the job's
             size here per the resize mode, sent as the inputs, with
             ``strength`` and ``seed`` among the parameters (the serving
             toolkit hands them to the diffusers img2img pipeline; a provider
             or model without the task answers with an error that is shown);
3. retry     a model that is loading (503 with ``estimated_time``), a rate limit
             (429 with ``Retry-After``), a timeout or a dropped connection waits
             and tries again (``retrying.call_with_retries``), reporting the
             wait as a "waiting" progress; every other failure becomes a
             ``BackendError`` a person can act on, without the token in it;
4. images    the answer's bytes are decoded and checked here, so a payload that
             is not an image fails the job cleanly.

Config (``settings.ATELIER_ENGINES["huggingface"]``): "token" (required),
"provider" (default "hf-inference"), "base_url" (optional, e.g.
"https://router.huggingface.co/hf-inference": the hf-inference provider's
``{base_url}/models/{model_id}``; empty lets huggingface_hub route),
"timeout" (seconds per call, default 120), "max_retry_seconds" (default 300).
Preset options (``request.options``) may override "provider" and "base_url".

The hosted pipeline always runs the model's own scheduler: the request's sampler
is not sent (the serving toolkit hands every parameter to the diffusers
pipeline, which has no scheduler argument), so ``samplers()`` is empty.
"""

from __future__ import annotations

# httpx2 is huggingface_hub's HTTP client: InferenceClient wraps a timeout in its
# own InferenceTimeoutError but lets a refused or dropped connection through as
# httpx2's TransportError, which no huggingface_hub.errors type covers
# (docs/decisions.md, "HTTP clients").
import functools
import io

import httpx2
from huggingface_hub import InferenceClient, InferenceTimeoutError
from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled
from PIL import Image, UnidentifiedImageError

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
from .remote import RemoteEngine
from .retrying import parse_retry_after

DEFAULT_PROVIDER = "hf-inference"
DEFAULT_MODELS = ["stabilityai/stable-diffusion-xl-base-1.0"]


class HuggingFaceBackend(RemoteEngine):
    name = "huggingface"
    label = "Hugging Face"
    required_setting = "token"  # HF_TOKEN
    read_timeout = 120.0  # SDXL at 1024² and 30 steps takes 5–60 s when warm
    image_to_image = True  # the image-to-image task, where the provider offers it

    def models(self) -> list[str]:
        return list(self.config.get("models") or DEFAULT_MODELS)

    def samplers(self) -> list[str]:
        """None to choose: the hosted pipeline runs the model's own scheduler."""
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
        provider = (
            request.options.get("provider") or self.config.get("provider") or DEFAULT_PROVIDER
        )
        target = model_target(request, self.config, provider)
        client = InferenceClient(
            provider=provider,
            token=self.config.get("token") or None,
            timeout=self.timeout.read,
        )
        secret = self.config.get("token") or ""
        call = text_to_image
        if request.init_image is not None:
            picture = fit_to_size(
                request.init_image, request.width, request.height, request.resize_mode
            )
            call = functools.partial(image_to_image, starting=png_bytes(picture))
        total = request.n
        on_progress(Progress(phase="sampling", step=0, total=total))
        results = []
        for done, seed in enumerate(request.seeds()):
            if should_cancel():
                raise Cancelled()
            retried = self.retrier(should_cancel, on_progress, step=done, total=total)
            image = retried(lambda seed=seed: call(client, target, request, seed, secret))
            results.append(GeneratedImage(image, seed))
            on_progress(Progress(phase="sampling", step=done + 1, total=total))
        if should_cancel():
            raise Cancelled()
        return results


create_backend = HuggingFaceBackend
is_configured = HuggingFaceBackend.is_configured
refusal = HuggingFaceBackend.refusal
able_label = HuggingFaceBackend.able_label

# 1. Request ------------------------------------------------------------------


def model_target(request: GenerationRequest, config: dict, provider: str) -> str:
    """What to pass as ``model``: a URL the client posts to as is, or a hub id it routes.

    A model id that is a URL is an Inference Endpoint. With a ``base_url`` (the
    preset's, else the config's) the hf-inference provider's URL is built here,
    exactly as huggingface_hub builds it under the router, so that a mirror or
    a test server can stand in for Hugging Face.
    """
    if request.model_id.startswith(("http://", "https://")):
        return request.model_id
    base_url = (request.options.get("base_url") or config.get("base_url") or "").rstrip("/")
    if base_url and provider == DEFAULT_PROVIDER:
        return f"{base_url}/models/{request.model_id}"
    return request.model_id


def parameters(request: GenerationRequest, seed: int) -> dict:
    """The diffusers pipeline arguments Hugging Face accepts for text to image."""
    return {
        "negative_prompt": request.negative_prompt or None,  # None is left out of the body
        "height": request.height,
        "width": request.width,
        "num_inference_steps": request.steps,
        "guidance_scale": request.cfg_scale,
        "seed": seed,
    }


def image_parameters(request: GenerationRequest, seed: int) -> dict:
    """The image-to-image task's parameters (the size as its ``target_size``) and
    the diffusers img2img pipeline's ``strength`` and ``seed``."""
    return {
        "negative_prompt": request.negative_prompt or None,
        "target_size": {"width": request.width, "height": request.height},
        "num_inference_steps": request.steps,
        "guidance_scale": request.cfg_scale,
        "strength": request.strength,
        "seed": seed,
    }


def png_bytes(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


# 2. Call ---------------------------------------------------------------------


def text_to_image(
    client: InferenceClient, target: str, request: GenerationRequest, seed: int, secret: str
) -> Image.Image:
    """One image, or a ``BackendError`` that says whether trying again may help."""
    return answered_image(
        lambda: client.text_to_image(request.prompt, model=target, **parameters(request, seed)),
        request,
        secret,
    )


def image_to_image(
    client: InferenceClient,
    target: str,
    request: GenerationRequest,
    seed: int,
    secret: str,
    *,
    starting: bytes,
) -> Image.Image:
    """One image made from ``starting`` (PNG bytes), as ``text_to_image``."""
    return answered_image(
        lambda: client.image_to_image(
            starting, request.prompt, model=target, **image_parameters(request, seed)
        ),
        request,
        secret,
    )


def answered_image(ask, request: GenerationRequest, secret: str) -> Image.Image:
    """The image ``ask()`` returns, loaded; the client's failures as ``BackendError``."""
    try:
        image = ask()
        image.load()  # the client opens lazily; a truncated image fails here, not in the runner
    except InferenceTimeoutError as error:
        raise BackendError("Hugging Face did not answer in time.", retryable=True) from error
    except HfHubHTTPError as error:
        raise explain_http_error(error, request.model_id, secret) from error
    except OfflineModeIsEnabled as error:
        raise BackendError(
            "Hugging Face Inference needs the network, but offline mode is on (HF_HUB_OFFLINE). "
            "Unset HF_HUB_OFFLINE or pick a local model."
        ) from error
    except httpx2.TransportError as error:
        raise BackendError(
            f"Could not reach Hugging Face ({type(error).__name__}).", retryable=True
        ) from error
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as error:
        raise BackendError("Hugging Face returned something that is not an image.") from error
    except ValueError as error:  # the client refuses a model/provider pair before any call
        raise BackendError(
            f"Hugging Face Inference cannot run {request.model_id}: {redact(str(error), secret)}"
        ) from error
    return image


# 3. Errors -------------------------------------------------------------------


def explain_http_error(error: HfHubHTTPError, model_id: str, secret: str) -> BackendError:
    """Turn an HTTP error status into a message a person can act on."""
    response = error.response
    status = response.status_code
    body = _json_body(response)
    detail = redact(_server_message(body, response), secret)
    if status == 401:
        return BackendError("Hugging Face rejected the token (401). Check HF_TOKEN.")
    if status == 403:
        return BackendError(
            f"Hugging Face refused access to {model_id} (403){_colon(detail)} "
            "Check that HF_TOKEN may call Inference Providers and has accepted the model's terms."
        )
    if status == 404:
        return ModelUnavailable(
            f"Hugging Face Inference has no model {model_id} (404). Check the preset's model id, "
            "or pick a provider that serves it."
        )
    if status == 503 and "loading" in detail.lower():
        estimated = body.get("estimated_time") if isinstance(body, dict) else None
        wait = float(estimated) if isinstance(estimated, int | float) else None
        about = f" (about {wait:.0f} s)" if wait is not None else ""
        return BackendError(
            f"Hugging Face is loading the model {model_id}{about}.",
            retryable=True,
            retry_after=wait if wait is not None else retry_after_seconds(response.headers),
        )
    if status == 429:
        return BackendError(
            "Hugging Face is rate-limiting this token (429).",
            retryable=True,
            retry_after=retry_after_seconds(response.headers),
        )
    if status in (502, 503, 504):
        return BackendError(
            f"Hugging Face is unavailable ({status}){_colon(detail)}",
            retryable=True,
            retry_after=retry_after_seconds(response.headers),
        )
    if 400 <= status < 500:
        return BackendError(f"Hugging Face refused the request ({status}){_colon(detail)}")
    return BackendError(f"Hugging Face failed to make the image ({status}){_colon(detail)}")


def retry_after_seconds(headers) -> float | None:
    """The wait a 429/503 asks for: ``Retry-After`` (seconds or a date), else the
    ``RateLimit`` header's ``t=`` (seconds until the window resets)."""
    if (seconds := parse_retry_after(headers.get("retry-after"))) is not None:
        return seconds
    for part in (headers.get("ratelimit") or "").split(";"):
        name, _, number = part.strip().partition("=")
        if name == "t" and number.isdigit():
            return float(number)
    return None


def _json_body(response) -> dict | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _server_message(body: dict | None, response) -> str:
    """Hugging Face's own words: ``{"error": "..."}`` (or a list of them), else short text."""
    if body is not None:
        error = body.get("error")
        if isinstance(error, list):
            return "; ".join(str(item) for item in error)
        if error:
            return str(error)
        return ""
    text = response.text.strip()
    if not text or text.startswith("<"):  # an HTML error page says nothing useful
        return ""
    return text[:300]


def _colon(detail: str) -> str:
    return f": {detail.rstrip('.')}." if detail else "."


def redact(text: str, secret: str) -> str:
    return text.replace(secret, "[token]") if secret else text
