"""The AUTOMATIC1111 engine: Stable Diffusion web UI, Forge or SD.Next, driven
through its web API (the server runs with ``--api``).

A job goes through these stages, in the order of this file:

1. server     the base URL (``config["url"]``, or the preset's
              ``options["base_url"]``) and the optional HTTP basic auth that
              the server's ``--api-auth user:password`` asks for;
2. checkpoint the preset's ``model_id`` looked up in ``/sdapi/v1/sd-models``
              by title, name, file name or hash. A1111 quietly falls back to
              another checkpoint for a name it does not know, so an unknown
              one fails here, before anything runs;
3. body       A1111's txt2img request, ``batch_size=n`` so that the images'
              seeds are seed, seed+1, ... as in the recipe. A combined sampler
              name such as "DPM++ 2M Karras" is split into sampler "DPM++ 2M"
              and scheduler "Karras" when the server lists schedulers (A1111
              1.9+); older servers get the name as given. With a starting
              image, A1111's img2img request instead: the same fields and
              ``init_images`` (the picture as base64 PNG), ``denoising_strength``
              and ``resize_mode`` (A1111's number for crop / fit / stretch;
              A1111 itself brings the picture to the size). With a mask, the
              img2img request inpaints: ``mask`` (white is repainted) and
              A1111's inpaint options; A1111 pastes the result back into the
              original itself. A hires fix is txt2img's ``enable_hr`` (A1111
              answers the upscaled size); the upscale of a finished picture is
              an img2img at the upscaled size, the picture cropped to its base
              size (and resized with Lanczos here, for that upscaler) first;
4. run        ``POST /sdapi/v1/txt2img`` (or ``/img2img``) blocks until the
              images are made, so it runs in a thread while this one polls ``/sdapi/v1/progress``
              for the step and live preview and checks for cancellation
              (``POST /sdapi/v1/interrupt``; the partial result is dropped);
5. images     the base64 PNGs decoded, paired with info's ``all_seeds``.

Passing failures (connection refused, 429, 502-504, a short call timing out)
are retried with ``call_with_retries``. A generation that outlasts
``generation_timeout`` is interrupted and fails: retrying it would only queue
the same work again on a server that is already busy with it.

A1111 runs one job at a time; its progress and interrupt are server-wide, so
a server shared with other users reports (and cancels) whatever it is running.

Config (``settings.ATELIER_ENGINES["a1111"]``): ``url``, ``username``,
``password``, ``connect_timeout``, ``timeout`` (short calls),
``generation_timeout``, ``poll_interval``, ``max_retry_seconds``.
Preset options: ``base_url``, ``scheduler`` (sent as is, no splitting),
``override_settings`` (more A1111 options for the job, e.g. CLIP skip).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import logging
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import PurePosixPath

import httpx2
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
from .hires_fix import UPSCALERS, lanczos, scaled_size
from .init_image import fit_to_size
from .inpaint_mask import InpaintOptions, mask_to_size
from .remote import RemoteEngine
from .retrying import RetryPolicy, parse_retry_after
from .samplers import sampler_names

log = logging.getLogger(__name__)

PROGRESS_TIMEOUT = 5.0  # seconds; a slow progress poll must not delay a cancel for long
TXT2IMG = "/sdapi/v1/txt2img"
IMG2IMG = "/sdapi/v1/img2img"
# Atelier's resize mode → A1111's img2img ``resize_mode`` (modules/images.py resize_image).
RESIZE_MODE_NUMBERS = {"stretch": 0, "crop": 1, "fit": 2}
# Atelier's masked content → A1111's ``inpainting_fill`` (its 2, "latent noise",
# and 3, "latent nothing", have no Atelier key).
INPAINTING_FILL = {"fill": 0, "original": 1}
CANCEL_GRACE = 5.0  # seconds to let the interrupted txt2img call return before leaving it


class A1111Backend(RemoteEngine):
    name = "a1111"
    label = "AUTOMATIC1111"
    required_setting = "url"
    image_to_image = True
    inpainting = True  # img2img's mask and inpaint options
    hires_fix = True  # txt2img's enable_hr; an upscale is an img2img at the upscaled size
    variations = True  # A1111's subseed and subseed_strength
    retry_policy = RetryPolicy(base_delay=1.0, max_delay=10.0, max_total=60.0, max_attempts=4)

    def __init__(self, config: dict, **pacing):
        super().__init__(config, **pacing)
        self.generation_timeout = httpx2.Timeout(
            float(config.get("generation_timeout") or 900.0), connect=self.timeout.connect
        )
        self.poll_interval = float(config.get("poll_interval") or 0.5)
        self.client = self.http_client()
        self._schedulers: dict[str, list[dict] | None] = {}  # per server URL; None = no such API
        self._lock = threading.Lock()

    def models(self) -> list[str]:
        """The server's checkpoint titles (raises BackendError when it cannot be asked)."""
        items = self.server({}).get_json("/sdapi/v1/sd-models")
        return [item["title"] for item in listed(items) if "title" in item]

    def samplers(self) -> list[str]:
        """The server's sampler names, or the usual A1111 ones when it cannot be asked."""
        try:
            items = self.server({}).get_json("/sdapi/v1/samplers")
        except BackendError:
            return sampler_names()
        return [item["name"] for item in listed(items) if "name" in item] or sampler_names()

    def generate(
        self,
        request: GenerationRequest,
        on_progress: ProgressCallback,
        should_cancel: CancelCheck,
    ) -> list[GeneratedImage]:
        server = self.server(request.options)

        retried = self.retrier(should_cancel, on_progress)

        checkpoint = retried(lambda: find_checkpoint(server, request.model_id))
        sampler, scheduler = retried(lambda: self.sampler_and_scheduler(server, request))
        body = txt2img_body(request, checkpoint, sampler, scheduler)
        path = TXT2IMG
        if request.init_image is not None and request.hires_scale:
            if request.hires_denoising_steps < 1:  # nothing to repaint, as the local engine
                return upscaled_as_is(request)
            body, path = upscale_body(body, request), IMG2IMG
        elif request.init_image is not None:
            body, path = img2img_body(body, request), IMG2IMG
            if request.inpaint is not None:
                body.update(inpaint_fields(request.inpaint, request.init_image))
        elif request.hires_scale:
            body.update(hires_fields(request))
        if should_cancel():
            raise Cancelled()
        on_progress(Progress(phase="loading", message=f"Sent to {server.display}"))
        data = retried(lambda: self.run(server, path, body, on_progress, should_cancel))
        return decode_images(data, request, server)

    # 1. Server ----------------------------------------------------------------

    def server(self, options: dict) -> Server:
        url, credentials = self.server_address(
            options, "No AUTOMATIC1111 server is set: set ATELIER_A1111_URL."
        )
        auth = httpx2.BasicAuth(*credentials) if credentials else None
        return Server(url, auth, self.client, self.timeout)

    # 3. Body ------------------------------------------------------------------

    def sampler_and_scheduler(
        self, server: Server, request: GenerationRequest
    ) -> tuple[str, str | None]:
        if request.options.get("scheduler"):
            return request.sampler, request.options["scheduler"]
        if " " not in request.sampler:
            return request.sampler, None
        return split_sampler(request.sampler, self.schedulers(server))

    def schedulers(self, server: Server) -> list[dict] | None:
        """The server's schedulers, asked once per server; None when it has no such API."""
        with self._lock:
            if server.url in self._schedulers:
                return self._schedulers[server.url]
        try:
            items = listed(server.get_json("/sdapi/v1/schedulers")) or None
        except NoSuchEndpoint:
            items = None
        with self._lock:
            self._schedulers[server.url] = items
        return items

    # 4. Run -------------------------------------------------------------------

    def run(
        self,
        server: Server,
        path: str,
        body: dict,
        on_progress: ProgressCallback,
        should_cancel: CancelCheck,
    ) -> dict:
        """POST txt2img (or img2img) in a thread; meanwhile poll progress and watch
        for a cancel."""
        result: Future = Future()

        def post() -> None:
            try:
                result.set_result(server.generate(path, body, self.generation_timeout))
            except BaseException as exc:  # handed to the waiting thread
                result.set_exception(exc)

        threading.Thread(target=post, name="a1111-txt2img", daemon=True).start()
        last_preview = None
        while True:
            try:
                return result.result(timeout=self.poll_interval)
            except FutureTimeout:
                pass
            except GenerationTimeout:
                server.interrupt()
                raise
            if should_cancel():
                server.interrupt()
                try:
                    result.exception(timeout=CANCEL_GRACE)  # A1111 answers with a partial result
                except FutureTimeout:
                    pass
                raise Cancelled()
            last_preview = report_progress(server, on_progress, last_preview)


create_backend = A1111Backend
is_configured = A1111Backend.is_configured
refusal = A1111Backend.refusal
able_label = A1111Backend.able_label


@dataclass
class Server:
    """One A1111 server: its URL, credentials and the calls this engine makes."""

    url: str
    auth: httpx2.BasicAuth | None
    client: httpx2.Client
    timeout: httpx2.Timeout

    @property
    def display(self) -> str:
        """The URL for messages (credentials never are part of it)."""
        return self.url

    def get_json(self, path: str, **params):
        return parse_json(self.call("GET", path, params=params or None), self)

    def generate(self, path: str, body: dict, timeout: httpx2.Timeout) -> dict:
        """POST txt2img or img2img: blocks until the images are made."""
        response = self.call("POST", path, json=body, timeout=timeout)
        return parse_json(response, self)

    def progress(self) -> dict:
        timeout = httpx2.Timeout(PROGRESS_TIMEOUT, connect=self.timeout.connect)
        response = self.call(
            "GET", "/sdapi/v1/progress", params={"skip_current_image": "false"}, timeout=timeout
        )
        return parse_json(response, self)

    def interrupt(self) -> None:
        """Ask the server to stop; a failure here must not hide the cancel itself."""
        try:
            self.call("POST", "/sdapi/v1/interrupt")
        except (BackendError, httpx2.HTTPError) as exc:
            log.warning("could not interrupt %s: %s", self.display, exc)

    def call(self, method: str, path: str, **kwargs):
        """One HTTP call; transport failures and error statuses become BackendError."""
        kwargs.setdefault("timeout", self.timeout)
        try:
            response = self.client.request(method, self.url + path, auth=self.auth, **kwargs)
        except httpx2.ConnectError as exc:
            reason = "connection refused" if "refused" in str(exc).lower() else "cannot connect"
            raise BackendError(
                f"The AUTOMATIC1111 server at {self.display} is not reachable: {reason}. "
                "Is it running with --api?",
                retryable=True,
            ) from None
        except httpx2.ConnectTimeout:
            raise BackendError(
                f"The AUTOMATIC1111 server at {self.display} did not accept a connection "
                f"within {self.timeout.connect:g} s.",
                retryable=True,
            ) from None
        except httpx2.ReadTimeout:
            if path in (TXT2IMG, IMG2IMG):
                raise GenerationTimeout(
                    f"The AUTOMATIC1111 server at {self.display} did not finish within "
                    f"{kwargs['timeout'].read:g} s; it was interrupted. Try fewer steps or a "
                    "smaller size, or raise ATELIER_A1111_GENERATION_TIMEOUT."
                ) from None
            raise BackendError(
                f"The AUTOMATIC1111 server at {self.display} did not answer {path} within "
                f"{kwargs['timeout'].read:g} s.",
                retryable=True,
            ) from None
        except (httpx2.RemoteProtocolError, httpx2.ReadError, httpx2.WriteError):
            raise BackendError(
                f"The AUTOMATIC1111 server at {self.display} closed the connection.",
                retryable=True,
            ) from None
        except httpx2.HTTPError as exc:
            raise BackendError(
                f"Talking to the AUTOMATIC1111 server at {self.display} failed "
                f"({type(exc).__name__})."
            ) from None
        if response.status_code >= 400:
            raise error_for(response, self, path)
        return response


class NoSuchEndpoint(BackendError):
    """A 404 from FastAPI's router: the server lacks this API (or --api is off)."""


class GenerationTimeout(BackendError):
    """txt2img (or img2img) did not answer within the generation timeout."""


def error_for(response: httpx2.Response, server: Server, path: str) -> BackendError:
    """A message a person can act on, for an A1111 error status.

    A1111 answers its own errors as ``{"error", "detail", "body", "errors"}``
    and FastAPI's validation errors as ``{"detail": [{"loc", "msg", ...}]}``.
    """
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    detail = body.get("detail")
    where = f"The AUTOMATIC1111 server at {server.display}"
    if status == 401:
        if server.auth is None:
            return BackendError(
                f"{where} asks for a user name and password (401): set "
                "ATELIER_A1111_USERNAME and ATELIER_A1111_PASSWORD to a pair from its --api-auth."
            )
        return BackendError(
            f"{where} rejected the user name or password (401). Check ATELIER_A1111_USERNAME "
            "and ATELIER_A1111_PASSWORD against its --api-auth."
        )
    if status == 403:
        return BackendError(f"{where} refused the request (403).")
    if status == 404:
        if isinstance(detail, str) and "model" in detail.lower():
            return ModelUnavailable(f"{where} has no such checkpoint ({detail}).")
        if isinstance(detail, str) and "sampler" in detail.lower():
            return BackendError(f"{where} does not know this sampler ({detail}).")
        return NoSuchEndpoint(
            f"{where} has no API at {path} (404): start it with --api, and check the URL."
        )
    if status == 422:
        return BackendError(f"{where} rejected the request (422): {validation_text(detail)}.")
    if status == 429 or status in (502, 503, 504):
        return BackendError(
            f"{where} is busy or restarting ({status}).",
            retryable=True,
            retry_after=retry_after(response),
        )
    error = str(body.get("error") or "")
    text = str(body.get("errors") or detail or "")
    if "OutOfMemory" in error or "out of memory" in text.lower():
        return BackendError(
            f"{where} ran out of GPU memory. Try a smaller size or fewer images, "
            "or start it with --medvram (or --lowvram)."
        )
    if status == 400 and detail:
        return BackendError(f"{where} refused the request: {detail}.")
    summary = ": ".join(part for part in (error, text) if part)[:300]
    return BackendError(f"{where} failed ({status}){': ' + summary if summary else ''}.")


def validation_text(detail) -> str:
    """FastAPI's ``[{"loc": ["body", "steps"], "msg": "..."}]`` as "steps: ..." lines."""
    if not isinstance(detail, list):
        return str(detail or "invalid request")
    parts = []
    for item in detail[:5]:
        if not isinstance(item, dict):
            continue
        loc = [str(x) for x in item.get("loc", []) if x != "body"]
        parts.append(f"{'.'.join(loc) or 'request'}: {item.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def listed(data) -> list[dict]:
    """The objects of a JSON list answer; anything else counts as an empty list."""
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def retry_after(response: httpx2.Response) -> float | None:
    return parse_retry_after(response.headers.get("Retry-After"))


def parse_json(response: httpx2.Response, server: Server):
    try:
        return response.json()
    except ValueError:
        raise BackendError(
            f"The AUTOMATIC1111 server at {server.display} answered with something that is "
            "not JSON. Is the URL that of its API?"
        ) from None


# 2. Checkpoint ----------------------------------------------------------------


def find_checkpoint(server: Server, model_id: str) -> str | None:
    """The title of the server's checkpoint named ``model_id``; None when none is named."""
    if not model_id:
        return None
    items = listed(server.get_json("/sdapi/v1/sd-models"))
    for item in items:
        if model_id.strip() in checkpoint_names(item):
            return item["title"]
    known = ", ".join(item.get("title", "?") for item in items[:10]) or "none"
    raise ModelUnavailable(
        f"The AUTOMATIC1111 server at {server.display} has no checkpoint {model_id!r} "
        f"(it has: {known}). Put the file in its models/Stable-diffusion folder, or fix the "
        "preset's model id."
    )


def checkpoint_names(item: dict) -> set[str]:
    """The names A1111 itself accepts for a checkpoint: title, name, file, hashes."""
    title = item.get("title") or ""
    file_name = PurePosixPath((item.get("filename") or "").replace("\\", "/")).name
    names = {
        title,
        title.rsplit(" [", 1)[0],
        item.get("model_name") or "",
        file_name,
        PurePosixPath(file_name).stem,
        item.get("hash") or "",
        item.get("sha256") or "",
    }
    return names - {""}


# 3. Body ----------------------------------------------------------------------


def split_sampler(name: str, schedulers: list[dict] | None) -> tuple[str, str | None]:
    """Split "DPM++ 2M Karras" into ("DPM++ 2M", "Karras") if the server has that scheduler."""
    for item in schedulers or []:
        label = item.get("label") or item.get("name")
        for option in (item.get("label"), item.get("name"), *(item.get("aliases") or [])):
            if option and name.casefold().endswith(" " + option.casefold()):
                return name[: -len(option) - 1], label
    return name, None


def txt2img_body(
    request: GenerationRequest, checkpoint: str | None, sampler: str, scheduler: str | None
) -> dict:
    """A1111's StableDiffusionTxt2ImgProcessingAPI body for the request."""
    body = {
        "prompt": request.prompt,
        "negative_prompt": request.negative_prompt,
        "steps": request.steps,
        "cfg_scale": request.cfg_scale,
        "width": request.width,
        "height": request.height,
        "sampler_name": sampler,
        "seed": request.seed,
        "batch_size": request.n,
        "n_iter": 1,
        "send_images": True,
        "save_images": False,
    }
    if scheduler:
        body["scheduler"] = scheduler
    if request.varies:  # A1111 numbers each image's subseed as it does its seed
        body["subseed"] = request.variation_seed
        body["subseed_strength"] = request.variation_strength
    overrides = dict(request.options.get("override_settings") or {})
    if checkpoint:
        overrides["sd_model_checkpoint"] = checkpoint
    if overrides:
        body["override_settings"] = overrides
    return body


def img2img_body(body: dict, request: GenerationRequest) -> dict:
    """A1111's StableDiffusionImg2ImgProcessingAPI body: the txt2img ``body`` and
    the starting picture, as it is (A1111 resizes it per ``resize_mode``)."""
    return {
        **body,
        "init_images": [png_base64(request.init_image.convert("RGB"))],
        "denoising_strength": request.strength,
        "resize_mode": RESIZE_MODE_NUMBERS.get(request.resize_mode, RESIZE_MODE_NUMBERS["crop"]),
    }


def inpaint_fields(inpaint: InpaintOptions, picture: Image.Image) -> dict:
    """img2img's inpainting fields: the mask at the picture's size (A1111 crops
    "only masked" from both alike) and A1111's options under its names."""
    return {
        "mask": png_base64(mask_to_size(inpaint.mask.convert("L"), picture.size)),
        "inpainting_fill": INPAINTING_FILL.get(inpaint.masked_content, INPAINTING_FILL["original"]),
        "mask_blur": inpaint.mask_blur,
        "inpaint_full_res": inpaint.inpaint_area == "masked",  # A1111's default is True
        "inpaint_full_res_padding": inpaint.padding,
        "inpainting_mask_invert": 0,  # white is repainted
    }


def hires_fields(request: GenerationRequest) -> dict:
    """txt2img's "Hires. fix": made at width x height, upscaled by ``hr_scale``
    and repainted at ``denoising_strength`` in ``hr_second_pass_steps`` (0: steps)."""
    return {
        "enable_hr": True,
        "hr_scale": request.hires_scale,
        "hr_upscaler": UPSCALERS.get(request.hires_upscaler, UPSCALERS["latent"]),
        "hr_second_pass_steps": request.hires_steps,
        "denoising_strength": request.strength,
    }


def upscale_body(body: dict, request: GenerationRequest) -> dict:
    """The upscale of a finished picture, as the local engine does it: the
    picture cropped to the base size (width x height), upscaled, repainted at
    ``strength``. A1111 has no hires fix for img2img, so this is a plain
    img2img at the upscaled size: the picture resized here with Lanczos for
    that upscaler, else sent at its base size for A1111 to stretch
    (``resize_mode`` 0, with its img2img upscaler; a latent upscale of a
    picture is not in its API)."""
    width, height = scaled_size(request.width, request.height, request.hires_scale)
    start = fit_to_size(request.init_image, request.width, request.height, "crop")
    if request.hires_upscaler == "lanczos":
        start = lanczos(start, (width, height))
    return {
        **body,
        "width": width,
        "height": height,
        "steps": request.hires_steps or request.steps,
        "init_images": [png_base64(start)],
        "denoising_strength": request.strength,
        "resize_mode": RESIZE_MODE_NUMBERS["stretch"],
    }


def upscaled_as_is(request: GenerationRequest) -> list[GeneratedImage]:
    """An upscale with nothing to repaint (strength too low for one step): the
    picture resized with Lanczos, as the local engine gives it; the server is not asked."""
    size = scaled_size(request.width, request.height, request.hires_scale)
    start = fit_to_size(request.init_image, request.width, request.height, "crop")
    return [GeneratedImage(lanczos(start, size), seed) for seed in request.seeds()]


def png_base64(picture: Image.Image) -> str:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


# 4. Progress ------------------------------------------------------------------


def report_progress(server: Server, on_progress: ProgressCallback, last_preview: str | None):
    """One progress poll → a sampling report; returns the preview seen, to skip repeats.

    Progress is a nicety: a failed poll is logged and the job goes on."""
    try:
        data = server.progress()
    except BackendError as exc:
        log.debug("progress poll failed: %s", exc.message)
        return last_preview
    state = data.get("state") if isinstance(data, dict) else None
    if not isinstance(state, dict) or not state.get("sampling_steps"):
        return last_preview
    encoded = data.get("current_image")
    preview = None
    if encoded and encoded != last_preview:
        try:
            preview = decode_image(encoded)
        except BackendError:
            preview = None
    on_progress(
        Progress(
            phase="sampling",
            step=int(state.get("sampling_step") or 0),
            total=int(state["sampling_steps"]),
            preview=preview,
        )
    )
    return encoded or last_preview


# 5. Images --------------------------------------------------------------------


def decode_images(data, request: GenerationRequest, server: Server) -> list[GeneratedImage]:
    """The n images of the answer, with their seeds from info's ``all_seeds``.

    Images before ``index_of_first_image`` (a grid) and after the n asked for
    (extensions' extra images) are not part of the result."""
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise BackendError(f"The AUTOMATIC1111 server at {server.display} answered without images.")
    info = parse_info(data.get("info"))
    first = info.get("index_of_first_image") or 0
    encoded = data["images"][first : first + request.n]
    if len(encoded) < request.n:
        raise BackendError(
            f"The AUTOMATIC1111 server at {server.display} returned {len(encoded)} of the "
            f"{request.n} images asked for."
        )
    seeds = info.get("all_seeds")
    if not isinstance(seeds, list) or len(seeds) < request.n:
        seeds = request.seeds()
    return [
        GeneratedImage(decode_image(item), int(seed))
        for item, seed in zip(encoded, seeds[: request.n], strict=True)
    ]


def parse_info(info) -> dict:
    """``info`` is a JSON string (a dict on some forks); anything else counts as empty."""
    if isinstance(info, dict):
        return info
    try:
        parsed = json.loads(info) if isinstance(info, str) else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def decode_image(encoded: str) -> Image.Image:
    """A base64 image (raw, or as a ``data:image/...;base64,`` URL) as a loaded PIL image."""
    if not isinstance(encoded, str):
        raise BackendError("The engine returned something that is not an image.")
    if encoded.startswith("data:"):
        encoded = encoded.partition(",")[2]
    try:
        picture = Image.open(io.BytesIO(base64.b64decode(encoded, validate=True)))
        picture.load()
    except (binascii.Error, ValueError, UnidentifiedImageError, OSError):
        raise BackendError("The engine returned something that is not an image.") from None
    return picture
