"""The ComfyUI engine: a txt2img (img2img, inpainting, hires fix) workflow
run through ComfyUI's HTTP and websocket API.

A job goes through these stages, in the order of this file:

1. workflow  an API-format workflow (``comfyui_txt2img.json`` next to this
             file, or the preset's ``options["workflow"]``) whose
             ``"{{name}}"`` strings are filled from the recipe; see
             ``PLACEHOLDERS``. One prompt per image, with seeds seed,
             seed+1, ...: the images of a ComfyUI batch share one seed, so
             they could not be made again from their recipes. With a starting
             image: ``comfyui_img2img.json`` (or ``options["img2img_workflow"]``),
             LoadImage → VAEEncode → KSampler with ``denoise`` = strength; the
             picture is first brought to the job's size here, per the resize
             mode (``init_image.fit_to_size``: ComfyUI's ImageScale has no
             "Resize and fill"), then uploaded with ``POST /upload/image``
             under a name made of its sha256.
             Inpainting: the picture and the mask as A1111 prepares them
             (``InpaintOptions.prepare``, as the local engine: the mask blurred,
             "fill" painted in, "only masked" cropped to its area), both
             uploaded as PNGs; the mask is read by LoadImageMask's red channel
             (white is repainted). ``comfyui_inpaint.json`` ("original"):
             VAEEncode → SetLatentNoiseMask → KSampler at ``denoise`` =
             strength; ``comfyui_inpaint_fill.json`` ("fill"):
             VAEEncodeForInpaint (``grow_mask_by`` = twice the mask blur) →
             KSampler at denoise 1.0, ComfyUI's idiom; then VAEDecode →
             ImageCompositeMasked onto the loaded picture under the mask →
             SaveImage. The result is pasted back into the original
             (``Inpainting.paste_back``): outside the mask its pixels are
             kept exactly, as on the local engine.
             Hires fix (``with_hires``): the txt2img workflow's saved latent
             goes through a second KSampler (same seed, ``denoise`` =
             strength, ``hires_steps`` or ``steps``) after LatentUpscale
             ("Latent", bilinear as A1111's) or VAEDecode → ImageScale
             (lanczos) → VAEEncode ("Lanczos"), to exactly
             ``hires_fix.scaled_size``. Upscale (``with_upscale``, a
             starting image with ``hires_scale``): the img2img workflow with
             ImageScale before its VAEEncode, or LatentUpscale after it;
2. submit    the websocket ``/ws?clientId=…`` opens first, so that no message
             about the job is missed, then each prompt is queued with
             ``POST /prompt`` under that client id (a workflow ComfyUI finds
             invalid is a 400 naming the node and input, e.g. a checkpoint
             it does not have);
3. follow    the websocket's messages: ``progress`` → steps, binary frames →
             previews, ``executing`` with ``node: null`` → a prompt is done,
             ``execution_error`` → the node's exception. A cancel removes the
             job's queued prompts (``POST /queue``) and interrupts the running
             one (``POST /interrupt``);
4. images    ``GET /history/{prompt_id}`` → the SaveImage outputs →
             ``GET /view`` → PIL images.

Passing failures (connection refused, 429, 502-504, a short call timing out,
the websocket dropping) are retried with ``call_with_retries``; a job still
running after ``generation_timeout`` is stopped and fails.

Config (``settings.ATELIER_ENGINES["comfyui"]``): ``url``, ``username`` and
``password`` (basic auth of a proxy in front of ComfyUI), ``connect_timeout``,
``timeout`` (short calls), ``generation_timeout``, ``workflow_dir`` (where a
preset's relative workflow path is looked up), ``max_retry_seconds``.
Preset options: ``base_url``, ``workflow``, ``img2img_workflow``,
``inpaint_workflow``, ``inpaint_fill_workflow`` (see ``WORKFLOWS``),
``scheduler`` (ComfyUI's name; overrides the one implied by the sampler).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
import logging
import re
import struct
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx2
from PIL import Image, UnidentifiedImageError
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
from websockets.sync.client import ClientConnection, connect

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
from .hires_fix import scaled_size
from .init_image import fit_to_size
from .remote import RemoteEngine
from .retrying import RetryPolicy, parse_retry_after

log = logging.getLogger(__name__)

TEMPLATE = Path(__file__).with_name("comfyui_txt2img.json")
# What a job does → our workflow for it, and the preset option that replaces it.
WORKFLOWS = {
    "txt2img": (TEMPLATE, "workflow"),
    "img2img": (TEMPLATE.with_name("comfyui_img2img.json"), "img2img_workflow"),
    "inpaint": (TEMPLATE.with_name("comfyui_inpaint.json"), "inpaint_workflow"),
    "inpaint_fill": (TEMPLATE.with_name("comfyui_inpaint_fill.json"), "inpaint_fill_workflow"),
}
# hires_fix.UPSCALERS key → ComfyUI's upscale_method: A1111's "Latent" is bilinear.
LATENT_UPSCALE_METHOD = "bilinear"
IMAGE_UPSCALE_METHOD = "lanczos"
GROW_MASK_MAX = 64  # VAEEncodeForInpaint's limit for grow_mask_by
WAIT = 0.25  # seconds between cancellation checks while no message comes
CLOSE_TIMEOUT = 2.0  # seconds to wait for ComfyUI's side of a websocket close
MAX_MESSAGE = 16 * 2**20  # bytes; previews are small, but a large one must not drop the socket

# A1111 sampler names (what presets and recipes use) → ComfyUI's KSampler sampler_name.
SAMPLERS = {
    "Euler a": "euler_ancestral",
    "Euler": "euler",
    "LMS": "lms",
    "Heun": "heun",
    "DPM2": "dpm_2",
    "DPM2 a": "dpm_2_ancestral",
    "DPM++ 2S a": "dpmpp_2s_ancestral",
    "DPM++ 2M": "dpmpp_2m",
    "DPM++ SDE": "dpmpp_sde",
    "DPM++ 2M SDE": "dpmpp_2m_sde",
    "DPM++ 2M SDE Heun": "dpmpp_2m_sde_heun",
    "DPM++ 3M SDE": "dpmpp_3m_sde",
    "DPM fast": "dpm_fast",
    "DPM adaptive": "dpm_adaptive",
    "DDIM": "ddim",
    "DDPM": "ddpm",
    "UniPC": "uni_pc",
    "LCM": "lcm",
}
# A1111's scheduler suffixes ("DPM++ 2M Karras") → ComfyUI's KSampler scheduler.
SCHEDULERS = {
    "Karras": "karras",
    "Exponential": "exponential",
    "SGM Uniform": "sgm_uniform",
    "Simple": "simple",
    "Normal": "normal",
    "Beta": "beta",
    "KL Optimal": "kl_optimal",
}
KARRAS_SAMPLERS = ["LMS", "DPM2", "DPM2 a", "DPM++ 2S a", "DPM++ 2M", "DPM++ SDE", "DPM++ 2M SDE"]
NATIVE_NAME = re.compile(r"[a-z0-9_.]+")  # ComfyUI's own sampler names, e.g. "res_multistep"
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
PLACEHOLDERS = (
    "prompt",
    "negative_prompt",
    "model",
    "width",
    "height",
    "seed",
    "steps",
    "cfg",
    "sampler_name",
    "scheduler",
    "batch_size",
    "filename_prefix",
    "image",
    "mask",
    "grow_mask_by",
    "denoise",
)


class ComfyUIBackend(RemoteEngine):
    name = "comfyui"
    label = "ComfyUI"
    required_setting = "url"
    image_to_image = True
    inpainting = True
    hires_fix = True
    retry_policy = RetryPolicy(base_delay=1.0, max_delay=10.0, max_total=60.0, max_attempts=4)

    def __init__(self, config: dict, **pacing):
        super().__init__(config, **pacing)
        self.generation_timeout = float(config.get("generation_timeout") or 900.0)
        self.client = self.http_client()

    def models(self) -> list[str]:
        """The server's checkpoint file names (raises BackendError when it cannot be asked)."""
        server = self.server({})
        try:
            return list(server.get_json("/models/checkpoints"))
        except NoSuchEndpoint:  # before ComfyUI had /models: the loader node's choices
            info = server.get_json("/object_info/CheckpointLoaderSimple")
        try:
            choices = info["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"]
            return list(choices[1]["options"] if choices[0] == "COMBO" else choices[0])
        except (KeyError, IndexError, TypeError):
            raise BackendError(
                f"ComfyUI at {server.display} did not list its checkpoints."
            ) from None

    def samplers(self) -> list[str]:
        """The A1111 sampler names this engine maps onto ComfyUI's samplers."""
        return [*SAMPLERS, *(f"{name} Karras" for name in KARRAS_SAMPLERS)]

    def generate(
        self,
        request: GenerationRequest,
        on_progress: ProgressCallback,
        should_cancel: CancelCheck,
    ) -> list[GeneratedImage]:
        server = self.server(request.options)
        sampler, scheduler = comfy_sampler(request.sampler, request.options)
        kind, picture, inpainting = prepared_pictures(request)
        template = load_workflow(request.options, self.config, kind)

        retried = self.retrier(should_cancel, on_progress)

        image = mask = ""
        if picture is not None:
            content = png_bytes(picture)
            image = retried(lambda: server.upload_image(content))
        if inpainting is not None:
            mask_content = png_bytes(inpainting.mask)
            mask = retried(lambda: server.upload_image(mask_content))
        workflows = [
            fill_workflow(template, request, seed, sampler, scheduler, image, mask)
            for seed in request.seeds()
        ]
        if request.hires_scale:
            extend = with_upscale if picture is not None else with_hires
            workflows = [extend(workflow, request) for workflow in workflows]
        if should_cancel():
            raise Cancelled()
        results = retried(
            lambda: self.run(server, workflows, request, on_progress, should_cancel, retried)
        )
        if inpainting is not None:  # the original kept outside the mask, as A1111 does
            return [GeneratedImage(pasted_back(inpainting, r.image), r.seed) for r in results]
        return results

    def server(self, options: dict) -> Server:
        url, credentials = self.server_address(
            options, "No ComfyUI server is set: set ATELIER_COMFYUI_URL."
        )
        return Server(url, credentials, self.client, self.timeout)

    def run(self, server, workflows, request, on_progress, should_cancel, retried):
        """One attempt: open the websocket, queue, follow, fetch the images."""
        client_id = uuid.uuid4().hex
        with server.open_websocket(client_id) as websocket:
            job = ComfyJob(server, websocket, client_id, on_progress, should_cancel)
            job.passes = sampling_passes(workflows[0])
            job.submit(workflows, retried)
            job.follow(self.generation_timeout)
        pictures = [retried(lambda pid=pid: server.image_of(pid)) for pid in job.prompt_ids]
        return [
            GeneratedImage(picture, seed)
            for picture, seed in zip(pictures, request.seeds(), strict=True)
        ]


create_backend = ComfyUIBackend
is_configured = ComfyUIBackend.is_configured
refusal = ComfyUIBackend.refusal
able_label = ComfyUIBackend.able_label


# 1. Workflow ------------------------------------------------------------------


def prepared_pictures(request: GenerationRequest):
    """What the job does (a key of WORKFLOWS), the picture to upload (None for
    text to image) and, for inpainting, how its result goes back into the
    original. A hires fix or an upscale wins over a mask, as on the local engine."""
    if request.init_image is None:
        return "txt2img", None, None
    if request.hires_scale:  # an upscale: the picture at its base size, as hires_local
        picture = fit_to_size(request.init_image, request.width, request.height, "crop")
        return "img2img", picture, None
    if request.inpaint is not None:
        inpainting = request.inpaint.prepare(
            request.init_image, request.width, request.height, request.resize_mode
        )
        kind = "inpaint_fill" if request.inpaint.masked_content == "fill" else "inpaint"
        return kind, inpainting.image, inpainting
    picture = fit_to_size(request.init_image, request.width, request.height, request.resize_mode)
    return "img2img", picture, None


def pasted_back(inpainting, picture: Image.Image) -> Image.Image:
    """ComfyUI's result in the original picture (``Inpainting.paste_back``),
    brought to the size it was asked for first (a workflow may round it)."""
    if picture.size != inpainting.image.size:
        picture = picture.resize(inpainting.image.size, Image.Resampling.LANCZOS)
    return inpainting.paste_back(picture)


def load_workflow(options: dict, config: dict, kind: str = "txt2img") -> dict:
    """The preset's workflow file for ``kind`` (a key of WORKFLOWS: its option
    names it), else ours, in ComfyUI's API format."""
    path, key = WORKFLOWS[kind]
    if options.get(key):
        path = Path(options[key])
        if not path.is_absolute():
            path = Path(config.get("workflow_dir") or TEMPLATE.parent) / path
    try:
        workflow = json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise BackendError(f"The ComfyUI workflow file {path} cannot be read.") from None
    except ValueError:
        raise BackendError(f"The ComfyUI workflow file {path} is not valid JSON.") from None
    if not isinstance(workflow, dict) or not all(
        isinstance(node, dict) and "class_type" in node for node in workflow.values()
    ):
        raise BackendError(
            f"The ComfyUI workflow file {path} is not in API format: export it from ComfyUI "
            "with “Export (API)”."
        )
    return workflow


def comfy_sampler(name: str, options: dict) -> tuple[str, str]:
    """ComfyUI's (sampler_name, scheduler) for an A1111 sampler name like "DPM++ 2M Karras"."""
    scheduler = options.get("scheduler")
    if name in SAMPLERS:
        return SAMPLERS[name], scheduler or "normal"
    for label, comfy_scheduler in SCHEDULERS.items():
        base = name.removesuffix(" " + label)
        if base != name and base in SAMPLERS:
            return SAMPLERS[base], scheduler or comfy_scheduler
    if NATIVE_NAME.fullmatch(name):
        return name, scheduler or "normal"
    raise BackendError(
        f"ComfyUI has no sampler like {name!r}. Choose one of: {', '.join(SAMPLERS)} "
        "(optionally followed by Karras or Exponential), or one of ComfyUI's own names."
    )


def fill_workflow(
    template: dict,
    request: GenerationRequest,
    seed: int,
    sampler: str,
    scheduler: str,
    image: str = "",
    mask: str = "",
) -> dict:
    """The template with each "{{name}}" filled in.

    A string that is only a placeholder becomes the value itself (a number
    stays a number); a placeholder inside a longer string is replaced by the
    value's text. Values are never scanned again, so a prompt that contains
    "{{seed}}" stays as typed."""
    values = {
        "prompt": request.prompt,
        "negative_prompt": request.negative_prompt,
        "model": request.model_id,
        "width": request.width,
        "height": request.height,
        "seed": seed,
        "steps": request.steps,
        "cfg": request.cfg_scale,
        "sampler_name": sampler,
        "scheduler": scheduler,
        "batch_size": 1,
        "filename_prefix": "atelier",
        "image": image,  # the uploaded starting image's name (img2img)
        "mask": mask,  # the uploaded mask's name (inpainting)
        # VAEEncodeForInpaint dilates the mask by a square this wide: the
        # repainted area reaches as far as the blurred seam.
        "grow_mask_by": min(2 * request.inpaint.mask_blur, GROW_MASK_MAX) if mask else 0,
        "denoise": request.strength if image else 1.0,
    }

    def value(name: str):
        if name not in values:
            raise BackendError(
                f"The ComfyUI workflow uses an unknown placeholder {{{{{name}}}}}. "
                f"Known ones: {', '.join(PLACEHOLDERS)}."
            )
        if name == "model" and not values["model"]:
            raise BackendError("This ComfyUI preset names no checkpoint: set its model id.")
        if name == "image" and not image:
            raise BackendError(
                "This ComfyUI workflow loads a starting image ({{image}}), but the job has "
                "none: use it as the preset's img2img_workflow, not its workflow."
            )
        if name == "mask" and not mask:
            raise BackendError(
                "This ComfyUI workflow loads a mask ({{mask}}), but the job has none: use it "
                "as the preset's inpaint_workflow, not its workflow or img2img_workflow."
            )
        return values[name]

    def fill(node):
        if isinstance(node, dict):
            return {key: fill(item) for key, item in node.items()}
        if isinstance(node, list):
            return [fill(item) for item in node]
        if isinstance(node, str):
            whole = PLACEHOLDER.fullmatch(node)
            if whole:
                return value(whole.group(1))
            return PLACEHOLDER.sub(lambda match: str(value(match.group(1))), node)
        return node

    return fill(template)


# Hires fix and upscale: the workflow graph extended -------------------------------


def with_hires(workflow: dict, request: GenerationRequest) -> dict:
    """A text-to-image workflow with A1111's hires fix: the latent the saved
    picture is decoded from is upscaled and repainted by a second KSampler
    (the first one's inputs, at ``denoise`` = strength)."""
    workflow = copy.deepcopy(workflow)
    decode_id, sampler_id = saved_chain(workflow)
    decode, sampler = workflow[decode_id], workflow[sampler_id]
    width, height = scaled_size(request.width, request.height, request.hires_scale)
    vae = decode["inputs"]["vae"]
    if request.hires_upscaler == "lanczos":
        pixels = add_node(workflow, "VAEDecode", {"samples": [sampler_id, 0], "vae": vae})
        bigger = add_node(workflow, "ImageScale", image_scale([pixels, 0], width, height))
        latent = add_node(workflow, "VAEEncode", {"pixels": [bigger, 0], "vae": vae})
    else:
        latent = add_node(workflow, "LatentUpscale", latent_scale([sampler_id, 0], width, height))
    second = add_node(
        workflow,
        "KSampler",
        {
            **sampler["inputs"],
            "steps": request.hires_steps or request.steps,
            "denoise": request.strength,
            "latent_image": [latent, 0],
        },
        title="Hires fix",
    )
    decode["inputs"]["samples"] = [second, 0]
    return workflow


def with_upscale(workflow: dict, request: GenerationRequest) -> dict:
    """An image-to-image workflow as the Upscale action: its loaded picture
    upscaled before its VAEEncode (Lanczos) or its latent after (Latent), and
    repainted in ``hires_steps`` (0: ``steps``)."""
    workflow = copy.deepcopy(workflow)
    _, sampler_id = saved_chain(workflow)
    sampler = workflow[sampler_id]
    encode_id = link_source(workflow, sampler["inputs"].get("latent_image"))
    if encode_id is None or workflow[encode_id]["class_type"] != "VAEEncode":
        raise BackendError(
            f"The ComfyUI workflow's KSampler (node {sampler_id}) does not start from a "
            "VAEEncode of the loaded picture, which an upscale needs."
        )
    width, height = scaled_size(request.width, request.height, request.hires_scale)
    encode = workflow[encode_id]
    if request.hires_upscaler == "lanczos":
        bigger = add_node(
            workflow, "ImageScale", image_scale(encode["inputs"]["pixels"], width, height)
        )
        encode["inputs"]["pixels"] = [bigger, 0]
    else:
        bigger = add_node(workflow, "LatentUpscale", latent_scale([encode_id, 0], width, height))
        sampler["inputs"]["latent_image"] = [bigger, 0]
    sampler["inputs"]["steps"] = request.hires_steps or request.steps
    return workflow


def image_scale(image: list, width: int, height: int) -> dict:
    """ImageScale's inputs: to exactly that size (ImageScaleBy rounds its own way)."""
    return {
        "image": image,
        "upscale_method": IMAGE_UPSCALE_METHOD,
        "width": width,
        "height": height,
        "crop": "disabled",
    }


def latent_scale(samples: list, width: int, height: int) -> dict:
    """LatentUpscale's inputs (a size in pixels, as hires_fix.scaled_size gives it)."""
    return {
        "samples": samples,
        "upscale_method": LATENT_UPSCALE_METHOD,
        "width": width,
        "height": height,
        "crop": "disabled",
    }


def saved_chain(workflow: dict) -> tuple[str, str]:
    """(VAEDecode, KSampler) ids of the chain KSampler → VAEDecode → … → SaveImage
    (through any image nodes between, such as an ImageCompositeMasked)."""
    for node in workflow.values():
        if node["class_type"] != "SaveImage":
            continue
        decode_id = upstream(workflow, node["inputs"].get("images"), "VAEDecode")
        if decode_id is None:
            continue
        sampler_id = link_source(workflow, workflow[decode_id]["inputs"].get("samples"))
        if sampler_id is not None and workflow[sampler_id]["class_type"] == "KSampler":
            return decode_id, sampler_id
    raise BackendError(
        "The ComfyUI workflow has no KSampler → VAEDecode → SaveImage chain for the hires "
        "fix or upscale to extend."
    )


def upstream(workflow: dict, link, class_type: str) -> str | None:
    """The nearest node of ``class_type`` up the chain of first image inputs from ``link``."""
    seen = set()
    node_id = link_source(workflow, link)
    while node_id is not None and node_id not in seen:
        seen.add(node_id)
        node = workflow[node_id]
        if node["class_type"] == class_type:
            return node_id
        inputs = node.get("inputs", {})
        link = inputs.get("source") or inputs.get("images") or inputs.get("image")
        node_id = link_source(workflow, link)
    return None


def link_source(workflow: dict, link) -> str | None:
    """The id of the node a link (``[node_id, output]``) comes from; None if it is not one."""
    if isinstance(link, list) and len(link) == 2 and str(link[0]) in workflow:
        return str(link[0])
    return None


def add_node(workflow: dict, class_type: str, inputs: dict, title: str = "") -> str:
    """A new node under the next free number; its id."""
    node_id = str(max((int(key) for key in workflow if key.isdigit()), default=0) + 1)
    workflow[node_id] = {"class_type": class_type, "inputs": inputs}
    if title:
        workflow[node_id]["_meta"] = {"title": title}
    return node_id


def sampling_passes(workflow: dict) -> dict[str, tuple[int, int]]:
    """Each KSampler's (steps before it, steps in all) in one prompt, for the
    progress: a hires fix's second pass goes on from the first one's end."""
    samplers = {
        node_id: node["inputs"]["steps"]
        for node_id, node in workflow.items()
        if node["class_type"] == "KSampler" and isinstance(node["inputs"].get("steps"), int)
    }
    total = sum(samplers.values())
    return {
        node_id: (
            sum(samplers[other] for other in ancestors(workflow, node_id) & samplers.keys()),
            total,
        )
        for node_id in samplers
    }


def ancestors(workflow: dict, node_id: str) -> set[str]:
    found, todo = set(), [node_id]
    while todo:
        for value in workflow[todo.pop()].get("inputs", {}).values():
            source = link_source(workflow, value)
            if source is not None and source not in found:
                found.add(source)
                todo.append(source)
    return found


# 2-4. Server calls ------------------------------------------------------------


@dataclass
class Server:
    """One ComfyUI server: its URL, credentials and the calls this engine makes."""

    url: str
    credentials: tuple[str, str] | None  # basic auth of a proxy in front of ComfyUI
    client: httpx2.Client
    timeout: httpx2.Timeout

    @property
    def auth(self) -> httpx2.BasicAuth | None:
        return httpx2.BasicAuth(*self.credentials) if self.credentials else None

    @property
    def display(self) -> str:
        """The URL for messages (credentials never are part of it)."""
        return self.url

    def open_websocket(self, client_id: str) -> ClientConnection:
        parts = urlsplit(self.url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        uri = urlunsplit((scheme, parts.netloc, parts.path + "/ws", f"clientId={client_id}", ""))
        headers = {}
        if self.credentials:
            token = base64.b64encode(":".join(self.credentials).encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        where = f"ComfyUI at {self.display}"
        try:
            return connect(
                uri,
                additional_headers=headers,
                open_timeout=self.timeout.connect,
                close_timeout=CLOSE_TIMEOUT,
                max_size=MAX_MESSAGE,
                # No flow control: with it, messages left unread when a job ends early
                # (an error, a cancel) pause reading, and closing waits out close_timeout.
                max_queue=None,
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            raise status_error(status, self, "/ws", retry_after=None) from None
        except ConnectionRefusedError:
            raise BackendError(
                f"{where} is not reachable: connection refused. Is it running, and listening "
                "on that address (--listen)?",
                retryable=True,
            ) from None
        except TimeoutError:
            raise BackendError(
                f"{where} did not open a websocket within {self.timeout.connect:g} s.",
                retryable=True,
            ) from None
        except (OSError, InvalidHandshake, InvalidURI) as exc:
            raise BackendError(
                f"{where} is not reachable ({type(exc).__name__}).", retryable=True
            ) from None

    def queue_prompt(self, workflow: dict, client_id: str) -> str:
        """POST /prompt → the prompt id; an invalid workflow → what ComfyUI says about it."""
        response = self.call(
            "POST", "/prompt", json={"prompt": workflow, "client_id": client_id}, ok=(400,)
        )
        data = parse_json(response, self)
        if response.status_code == 400:
            raise rejected_workflow(data, self)
        if not isinstance(data, dict) or not isinstance(data.get("prompt_id"), str):
            raise BackendError(f"ComfyUI at {self.display} queued the prompt without an id.")
        return data["prompt_id"]

    def upload_image(self, content: bytes) -> str:
        """POST /upload/image (multipart, as ComfyUI's own page sends it) → the name
        LoadImage (or LoadImageMask, for a mask) takes. Named by the bytes' sha256:
        the same picture again overwrites itself, and no job's picture replaces
        another's."""
        name = f"atelier-{hashlib.sha256(content).hexdigest()[:32]}.png"
        response = self.call(
            "POST",
            "/upload/image",
            files={"image": (name, content, "image/png")},
            data={"type": "input", "overwrite": "true"},
        )
        data = parse_json(response, self)
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise BackendError(
                f"ComfyUI at {self.display} stored the uploaded picture without a name."
            )
        subfolder = data.get("subfolder") or ""
        return f"{subfolder}/{data['name']}" if subfolder else data["name"]

    def image_of(self, prompt_id: str) -> Image.Image:
        """The first image a finished prompt saved."""
        history = parse_json(self.call("GET", f"/history/{prompt_id}"), self)
        entry = history.get(prompt_id) if isinstance(history, dict) else None
        if not isinstance(entry, dict):
            raise BackendError(
                f"ComfyUI at {self.display} has not recorded the prompt's result yet.",
                retryable=True,
            )
        failure = failure_in_history(entry, self)
        if failure:
            raise failure
        images = output_images(entry)
        if not images:
            raise BackendError(
                f"ComfyUI at {self.display} returned no image for the prompt: does the "
                "workflow end in a SaveImage node?"
            )
        first = images[0]
        params = {
            "filename": first["filename"],
            "subfolder": first.get("subfolder", ""),
            "type": first.get("type", "output"),
        }
        return decode_image(self.call("GET", "/view", params=params).content)

    def stop(self, prompt_ids: list[str], running: str | None) -> None:
        """Remove the queued prompts, interrupt the running one (if it is one of them).

        Best effort: a failure here must not hide the cancel or error itself."""
        try:
            self.call("POST", "/queue", json={"delete": prompt_ids})
            if running is None:
                queue = self.get_json("/queue")
                running = next(
                    (item[1] for item in queue.get("queue_running", []) if item[1] in prompt_ids),
                    None,
                )
            if running is not None:
                self.call("POST", "/interrupt", json={"prompt_id": running})
        except (BackendError, httpx2.HTTPError, LookupError, TypeError, AttributeError) as exc:
            log.warning("could not stop prompts on %s: %s", self.display, exc)

    def get_json(self, path: str):
        return parse_json(self.call("GET", path), self)

    def call(self, method: str, path: str, ok: tuple[int, ...] = (), **kwargs) -> httpx2.Response:
        """One HTTP call; transport failures and error statuses become BackendError."""
        where = f"ComfyUI at {self.display}"
        try:
            response = self.client.request(method, self.url + path, auth=self.auth, **kwargs)
        except httpx2.ConnectError as exc:
            reason = "connection refused" if "refused" in str(exc).lower() else "cannot connect"
            raise BackendError(f"{where} is not reachable: {reason}.", retryable=True) from None
        except httpx2.TimeoutException:
            raise BackendError(
                f"{where} did not answer {path.split('?')[0]} within {self.timeout.read:g} s.",
                retryable=True,
            ) from None
        except (httpx2.RemoteProtocolError, httpx2.ReadError, httpx2.WriteError):
            raise BackendError(f"{where} closed the connection.", retryable=True) from None
        except httpx2.HTTPError as exc:
            raise BackendError(f"Talking to {where} failed ({type(exc).__name__}).") from None
        if response.status_code >= 400 and response.status_code not in ok:
            raise status_error(response.status_code, self, path, retry_after=retry_after(response))
        return response


class NoSuchEndpoint(BackendError):
    """A 404: the server has no such route."""


def status_error(status: int, server: Server, path: str, retry_after: float | None):
    where = f"ComfyUI at {server.display}"
    if status == 401:
        if server.auth is None:
            return BackendError(
                f"{where} asks for a user name and password (401): set "
                "ATELIER_COMFYUI_USERNAME and ATELIER_COMFYUI_PASSWORD."
            )
        return BackendError(
            f"{where} rejected the user name or password (401). Check "
            "ATELIER_COMFYUI_USERNAME and ATELIER_COMFYUI_PASSWORD."
        )
    if status == 403:
        return BackendError(f"{where} refused the request (403).")
    if status == 404:
        return NoSuchEndpoint(
            f"{where} has no {path.split('?')[0]} (404): is that address a ComfyUI server?"
        )
    if status == 429 or status in (502, 503, 504):
        return BackendError(
            f"{where} is busy or restarting ({status}).", retryable=True, retry_after=retry_after
        )
    return BackendError(f"{where} failed ({status}) on {path.split('?')[0]}.")


def retry_after(response: httpx2.Response) -> float | None:
    return parse_retry_after(response.headers.get("Retry-After"))


def parse_json(response: httpx2.Response, server: Server):
    try:
        return response.json()
    except ValueError:
        raise BackendError(
            f"ComfyUI at {server.display} answered with something that is not JSON. "
            "Is the URL that of ComfyUI?"
        ) from None


def rejected_workflow(data, server: Server) -> BackendError:
    """ComfyUI's 400 ``{"error": {...}, "node_errors": {id: {"errors": [...], "class_type"}}}``
    as one message naming each node and input; a missing checkpoint as ModelUnavailable."""
    where = f"ComfyUI at {server.display}"
    data = data if isinstance(data, dict) else {}
    problems = []
    for node_id, entry in (data.get("node_errors") or {}).items():
        for error in entry.get("errors", []):
            extra = error.get("extra_info") or {}
            if error.get("type") == "value_not_in_list" and extra.get("input_name") == "ckpt_name":
                return ModelUnavailable(
                    f"{where} has no checkpoint {extra.get('received_value')!r}. Put the file "
                    "in its models/checkpoints folder, or fix the preset's model id."
                )
            problems.append(
                f"{entry.get('class_type', '?')} (node {node_id}): "
                f"{error.get('message', 'invalid')}: {error.get('details', '')}".rstrip(": ")
            )
    error = data.get("error")
    if not problems and isinstance(error, dict):
        problems.append(f"{error.get('message', '')}: {error.get('details', '')}".strip(": "))
    elif not problems and error:
        problems.append(str(error))
    return BackendError(
        f"{where} rejected the workflow: {'; '.join(problems)[:500] or 'no reason given'}."
    )


def execution_failure(data: dict, server: Server) -> BackendError:
    """An ``execution_error`` message's data as a message naming the node."""
    node = f"{data.get('node_type', '?')} (node {data.get('node_id', '?')})"
    text = str(data.get("exception_message") or "").strip()
    if "OutOfMemory" in str(data.get("exception_type")) or "out of memory" in text.lower():
        return BackendError(
            f"ComfyUI at {server.display} ran out of GPU memory in {node}. Try a smaller size, "
            "or start ComfyUI with --lowvram."
        )
    return BackendError(f"ComfyUI at {server.display} failed in {node}: {text[:300]}")


def failure_in_history(entry: dict, server: Server) -> BackendError | None:
    status = entry.get("status") or {}
    if status.get("status_str") != "error":
        return None
    for message in status.get("messages", []):
        if isinstance(message, list) and message[:1] == ["execution_error"]:
            return execution_failure(message[1], server)
    return BackendError(f"ComfyUI at {server.display} could not run the prompt.")


def output_images(entry: dict) -> list[dict]:
    """The images a prompt's outputs list, saved ones (type "output") first."""
    found = [
        image
        for output in (entry.get("outputs") or {}).values()
        if isinstance(output, dict)
        for image in output.get("images", [])
        if isinstance(image, dict) and image.get("filename")
    ]
    return sorted(found, key=lambda image: image.get("type") != "output")


def png_bytes(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def decode_image(data: bytes) -> Image.Image:
    try:
        picture = Image.open(io.BytesIO(data))
        picture.load()
    except (UnidentifiedImageError, OSError, ValueError):
        raise BackendError("The engine returned something that is not an image.") from None
    return picture


# 3. Follow --------------------------------------------------------------------


class ComfyJob:
    """The prompts of one job on one server and what the websocket says about them."""

    def __init__(self, server, websocket, client_id, on_progress, should_cancel):
        self.server = server
        self.websocket = websocket
        self.client_id = client_id
        self.on_progress = on_progress
        self.should_cancel = should_cancel
        self.prompt_ids: list[str] = []
        self.done: set[str] = set()
        self.running: str | None = None
        self.step, self.total = 0, 0
        # KSampler id → (steps before it, steps in all) in each prompt (sampling_passes).
        self.passes: dict[str, tuple[int, int]] = {}

    def submit(self, workflows: list[dict], retried) -> None:
        for workflow in workflows:
            if self.should_cancel():
                self.stop()
                raise Cancelled()
            self.prompt_ids.append(
                retried(lambda w=workflow: self.server.queue_prompt(w, self.client_id))
            )
        self.on_progress(Progress(phase="loading", message=f"Queued on {self.server.display}"))

    def follow(self, timeout: float) -> None:
        """Read messages until every prompt is done; stop them on a cancel or a failure."""
        deadline = time.monotonic() + timeout
        while len(self.done) < len(self.prompt_ids):
            if self.should_cancel():
                self.stop()
                raise Cancelled()
            if time.monotonic() > deadline:
                self.stop()
                raise BackendError(
                    f"ComfyUI at {self.server.display} did not finish within {timeout:g} s; "
                    "the job's prompts were stopped. Try fewer steps or a smaller size, or "
                    "raise ATELIER_COMFYUI_GENERATION_TIMEOUT."
                )
            try:
                message = self.websocket.recv(timeout=WAIT)
            except TimeoutError:
                continue
            except ConnectionClosed:
                self.stop()
                raise BackendError(
                    f"ComfyUI at {self.server.display} closed the websocket during the job.",
                    retryable=True,
                ) from None
            if isinstance(message, bytes):
                self.preview(message)
            else:
                self.handle(message)

    def handle(self, text: str) -> None:
        try:
            message = json.loads(text)
            kind, data = message["type"], message.get("data") or {}
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a websocket message that is not ComfyUI's JSON: %.80s", text)
            return
        prompt_id = data.get("prompt_id")
        if prompt_id is not None and prompt_id not in self.prompt_ids:
            return  # another client's prompt (some messages are broadcast)
        if kind == "execution_start" or (kind == "executing" and data.get("node") is not None):
            self.running = prompt_id or self.running
        elif kind == "executing":  # node None: the prompt is finished
            finished = prompt_id or self.running
            if finished is not None:
                self.done.add(finished)
            self.running = None
        elif kind == "progress" and (prompt_id or self.running):
            self.progress(prompt_id or self.running, data)
        elif kind == "execution_error":
            self.done.add(prompt_id)
            self.running = None
            self.stop()
            raise execution_failure(data, self.server)
        elif kind == "execution_interrupted":
            self.done.add(prompt_id)
            self.running = None
            self.stop()
            raise BackendError(
                f"ComfyUI at {self.server.display} interrupted the prompt (was it cancelled "
                "in ComfyUI itself?)."
            )

    def progress(self, prompt_id: str, data: dict) -> None:
        steps = int(data.get("max") or 0)
        if steps <= 0:
            return
        before, per_prompt = self.passes.get(data.get("node"), (0, steps))
        index = self.prompt_ids.index(prompt_id)
        self.step = index * per_prompt + before + int(data.get("value") or 0)
        self.total = len(self.prompt_ids) * per_prompt
        self.on_progress(Progress(phase="sampling", step=self.step, total=self.total))

    def preview(self, frame: bytes) -> None:
        """A binary frame: 4-byte event type, then for a preview (1) a 4-byte image type
        and the JPEG/PNG bytes, or for one with metadata (4) a 4-byte length, JSON, bytes."""
        if len(frame) < 8 or self.total <= 0:
            return
        event, second = struct.unpack(">II", frame[:8])
        if event == 1:
            data = frame[8:]
        elif event == 4:
            data = frame[8 + second :]
        else:
            return
        try:
            picture = decode_image(data)
        except BackendError:
            return
        self.on_progress(
            Progress(phase="sampling", step=self.step, total=self.total, preview=picture)
        )

    def stop(self) -> None:
        pending = [pid for pid in self.prompt_ids if pid not in self.done]
        if pending:
            running = self.running if self.running in pending else None
            self.server.stop(pending, running)
