"""The AUTOMATIC1111-compatible web API (``/sdapi/v1/``), so that tools and
client libraries written for A1111 work by changing only the host.

The mapping between A1111's wire format and Atelier's generation requests is
in plain functions; the views only authenticate, call them and answer."""

from __future__ import annotations

import base64
import io
import json
import math
import re
from functools import partial

from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from PIL import ImageOps
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from accounts.models import Profile
from atelier.image_uploads import BUSY, BUSY_RETRY_AFTER, UploadsBusy, upload_slot, validate_upload
from atelier.rate_limits import GenerationThrottle
from imaging.png_metadata import format_parameters
from imaging.validation import InvalidImage
from studio import limits
from studio.backends.a1111 import RESIZE_MODE_NUMBERS
from studio.backends.base import BackendError
from studio.backends.hires_fix import DEFAULT_SCALE, DEFAULT_UPSCALER, UPSCALERS, upscaler_key
from studio.backends.inpaint_mask import encode_mask, read_mask
from studio.backends.samplers import SAMPLER_ALIASES, SAMPLERS, canonical_sampler
from studio.checkpoints import LORA, model_files, models_dir, safetensors_metadata
from studio.jobs import active_jobs, cancel_job
from studio.models import GenerationJob
from studio.presets import default_preset_key, enabled_presets, get_preset
from studio.styles import find_style, styles_for

from ..base64_files import NotBase64, decode_base64
from ..parsers import PictureJSONParser, limit_of
from . import (
    FacadeError,
    GenerationFailed,
    JobLimitReached,
    Outcome,
    TimedOut,
    image_base64,
    queue,
    submit,
    valid_form,
)
from .a1111_png_info import decode_image, png_info
from .auth import A1111_AUTHENTICATION
from .waiting import AwaitingJob

CHECKPOINT_SETTING = "a1111_checkpoint"

# Our form's field names, as A1111 calls them in error locations.
A1111_FIELDS = {
    "sampler": "sampler_name",
    "n": "batch_size",
    "model": "override_settings",
    "variation_seed": "subseed",
    "variation_seed_strength": "subseed_strength",
    "init_upload": "init_images",
    "masked_content": "inpainting_fill",
    "inpaint_area": "inpaint_full_res",
    "masked_area_padding": "inpaint_full_res_padding",
    "hires_upscale": "hr_scale",
    "hires_upscaler": "hr_upscaler",
    "hires_steps": "hr_second_pass_steps",
}

# A1111's img2img ``resize_mode`` → Atelier's, the A1111 engine's mapping
# (studio/backends/a1111.py) the other way round. A1111's 3, "Just resize
# (latent upscale)", Atelier does not have.
RESIZE_MODES = {number: key for key, number in RESIZE_MODE_NUMBERS.items()}
# A1111's ``inpainting_fill`` → Atelier's masked content. A1111's 2 ("latent
# noise") and 3 ("latent nothing") Atelier does not have: refused, not guessed.
MASKED_CONTENTS = {0: "fill", 1: "original"}
# A1111's defaults for img2img (StableDiffusionProcessingImg2Img), where they
# differ from the Generate form's.
IMG2IMG_DEFAULTS = {
    "denoising_strength": 0.75,
    "resize_mode": 0,
    "mask_blur": 4,
    "inpainting_fill": 0,
    "inpaint_full_res": True,
    "inpaint_full_res_padding": 0,
    "inpainting_mask_invert": 0,
}


# --- Checkpoints -------------------------------------------------------------------------


def find_preset(name):
    """The enabled preset a checkpoint name means: its key or label, in any
    case, with or without A1111's `` [hash]`` suffix; None if there is none."""
    if not isinstance(name, str):
        return None
    wanted = re.sub(r"\s*\[[^\]]*\]\s*$", "", name).strip().casefold()
    wanted = re.sub(r"\.(safetensors|ckpt)$", "", wanted)
    for preset in enabled_presets():
        if wanted in (preset.key.casefold(), preset.label.casefold()):
            return preset
    return None


def chosen_checkpoint(user) -> str:
    """The preset key this person picked with ``POST /options``, or the default."""
    profile = Profile.objects.filter(user=user).first()
    key = (profile.settings or {}).get(CHECKPOINT_SETTING) if profile else None
    if key and get_preset(key):
        return key
    return default_preset_key()


def choose_checkpoint(user, name) -> str:
    preset = find_preset(name)
    if preset is None:
        raise FacadeError(f"model {name!r} not found", field="sd_model_checkpoint")
    profile, _ = Profile.objects.get_or_create(user=user)
    profile.settings = {**(profile.settings or {}), CHECKPOINT_SETTING: preset.key}
    profile.save(update_fields=["settings"])
    return preset.key


def sd_models() -> list[dict]:
    return [
        {
            "title": preset.key,
            "model_name": preset.key,
            "hash": None,
            "sha256": None,
            "filename": preset.model_id,
            "config": None,
        }
        for preset in enabled_presets()
    ]


def samplers() -> list[dict]:
    return [
        {"name": name, "aliases": SAMPLER_ALIASES.get(name, []), "options": {}} for name in SAMPLERS
    ]


def upscalers() -> list[dict]:
    """The hires fix's upscalers that work on the picture (A1111 lists its
    latent ones apart, in ``latent_upscale_modes``); each scales up to ×4."""
    return [
        {
            "name": name,
            "model_name": None,
            "model_path": None,
            "model_url": None,
            "scale": limits.HIRES_SCALE_MAX,
        }
        for key, name in UPSCALERS.items()
        if not key.startswith("latent")
    ]


def latent_upscale_modes() -> list[dict]:
    return [{"name": name} for key, name in UPSCALERS.items() if key.startswith("latent")]


def loras() -> list[dict]:
    """The LoRAs of the models folder's ``Lora/``. The alias is the file's name,
    which ``<lora:name:weight>`` takes here; the path is relative to the models
    folder (the server's own folders are not told)."""
    folder = models_dir()
    return [
        {
            "name": path.stem,
            "alias": path.stem,
            "path": path.relative_to(folder).as_posix(),
            "metadata": safetensors_metadata(path),
        }
        for path in model_files(LORA)
    ]


def options(user) -> dict:
    return {
        "sd_model_checkpoint": chosen_checkpoint(user),
        "sd_checkpoint_hash": None,
        "sd_vae": "Automatic",
        "samples_format": "png",
        "CLIP_stop_at_last_layers": 1,
    }


def set_options(user, body: dict) -> None:
    """Only ``sd_model_checkpoint`` means something here; other options are ignored."""
    if body.get("sd_model_checkpoint") is not None:
        choose_checkpoint(user, body["sd_model_checkpoint"])


# --- txt2img ------------------------------------------------------------------------------


def _count(body: dict, name: str) -> int:
    value = body.get(name)
    if value is None:
        return 1
    if isinstance(value, float) and not math.isfinite(value):  # JSON's 1e309 is inf
        raise FacadeError("Input should be a finite number", field=name)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise FacadeError("Input should be a valid integer", field=name)
    if value < 1:
        raise FacadeError("Input should be greater than or equal to 1", field=name)
    return int(value)


def _sampler(body: dict):
    name = body.get("sampler_name") or body.get("sampler_index")
    if name is None:
        return None
    if not isinstance(name, str):
        raise FacadeError("Input should be a valid string", field="sampler_name")
    try:
        name = canonical_sampler(name)
    except BackendError:
        return name  # the form names the samplers there are
    scheduler = body.get("scheduler")
    if isinstance(scheduler, str) and scheduler.casefold() == "karras":
        if f"{name} Karras" in SAMPLERS:
            return f"{name} Karras"
    return name


def _refuse_non_finite(body: dict) -> None:
    """Every value goes back in the answer's ``parameters``, which JSON cannot
    carry as inf (a 500 after the images were made): refuse it first."""
    for name, value in body.items():
        try:
            json.dumps(value, allow_nan=False)
        except ValueError as error:
            raise FacadeError("Input should be a finite number", field=name) from error


def _style(user, styles) -> str:
    """A1111's ``styles``, a list of names. As A1111 does, a name it does not
    know is left out; of those it knows, Atelier applies one per image."""
    if styles in (None, []):
        return ""
    if not isinstance(styles, list) or not all(isinstance(name, str) for name in styles):
        raise FacadeError("Input should be a valid list of style names", field="styles")
    known = [style for name in styles if (style := find_style(user, name))]
    if len(known) > 1:
        raise FacadeError("Atelier applies one style per generation: name one", field="styles")
    return known[0].name if known else ""


def _flag(body: dict, name: str, default: bool) -> bool:
    """A yes/no field as A1111's FastAPI reads one: a boolean, 0 or 1, "true" or "false"."""
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    if isinstance(value, bool) or value in (0, 1):
        return bool(value)
    raise FacadeError("Input should be a valid boolean", field=name)


def _number_choice(body: dict, name: str, choices: dict, refusal: str):
    """One of A1111's numbered choices (``resize_mode``, ``inpainting_fill``) as Atelier's key."""
    value = body.get(name)
    if value is None:
        value = IMG2IMG_DEFAULTS[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise FacadeError("Input should be a valid integer", field=name)
    if int(value) not in choices:
        raise FacadeError(refusal, field=name)
    return choices[int(value)]


def hires_data(body: dict) -> dict:
    """A1111's hires fix (``enable_hr``, ``hr_scale``, ``hr_upscaler``,
    ``hr_second_pass_steps``, ``denoising_strength``) as the form's fields;
    nothing when it is off. The form says what it refuses (other engines,
    a factor outside ×1.5–×4, an output over the pixel limit)."""
    if not _flag(body, "enable_hr", False):
        return {}
    for name in ("hr_resize_x", "hr_resize_y"):
        if body.get(name):
            raise FacadeError(
                "Atelier's hires fix upscales by hr_scale: leave hr_resize_x and hr_resize_y at 0.",
                field=name,
            )
    upscaler = body.get("hr_upscaler")
    key = DEFAULT_UPSCALER if upscaler in (None, "") else upscaler_key(upscaler)
    if key is None:
        raise FacadeError(
            f"Upscaler {upscaler!r} not found: use one of {', '.join(UPSCALERS.values())}.",
            field="hr_upscaler",
        )
    scale = body.get("hr_scale")
    data = {"hires_upscale": DEFAULT_SCALE if scale is None else scale, "hires_upscaler": key}
    if body.get("hr_second_pass_steps"):  # 0: as many as steps, as in A1111
        data["hires_steps"] = body["hr_second_pass_steps"]
    if body.get("denoising_strength") is not None:
        data["denoising_strength"] = body["denoising_strength"]
    return data


def txt2img_data(user, body: dict) -> dict:
    return {**form_data(user, body), **hires_data(body)}


def _base64_file(text: str, field: str, what: str) -> bytes:
    try:
        return decode_base64(text)
    except NotBase64 as exc:
        raise FacadeError(f"{what} is not base64 (a data: URL is fine too).", field=field) from exc


def init_upload(images) -> SimpleUploadedFile:
    """The first of A1111's ``init_images`` as the form's uploaded starting
    image (the form checks it as it checks an upload)."""
    if images in (None, [], ""):
        raise FacadeError(
            "Send the starting image in init_images (a base64 PNG, JPEG or WebP).",
            field="init_images",
        )
    if not isinstance(images, list) or not isinstance(images[0], str):
        raise FacadeError("Input should be a valid list of base64 images", field="init_images")
    content = _base64_file(images[0], "init_images", "The starting image")
    return SimpleUploadedFile("init_image", content)


def _inverted(mask):
    """A1111's ``inpainting_mask_invert``: the mask with black and white
    swapped. A mask that cannot be read goes to the form as it came, for the
    form to say why."""
    if not isinstance(mask, str):
        return mask
    try:
        validated = validate_upload(io.BytesIO(_base64_file(mask, "mask", "The mask")))
    except (FacadeError, InvalidImage):
        return mask
    try:
        inverted = ImageOps.invert(read_mask(validated.image))
    finally:
        validated.close()
    return base64.b64encode(encode_mask(inverted)).decode("ascii")


def inpaint_data(body: dict) -> dict:
    """A1111's mask and its options as the form's inpainting fields."""
    mask = body["mask"]
    if _flag(body, "inpainting_mask_invert", False):
        mask = _inverted(mask)
    fill = _number_choice(
        body,
        "inpainting_fill",
        MASKED_CONTENTS,
        "Atelier fills the masked area with 0 (fill: the colours around it) or "
        "1 (original: the picture as it is); 2 (latent noise) and 3 (latent nothing) "
        "are not available.",
    )
    data = {
        "mask": mask,
        "masked_content": fill,
        "inpaint_area": "masked" if _flag(body, "inpaint_full_res", True) else "whole",
    }
    for name, field in (
        ("mask_blur", "mask_blur"),
        ("inpaint_full_res_padding", "masked_area_padding"),
    ):
        value = body.get(name)
        data[field] = IMG2IMG_DEFAULTS[name] if value is None else value
    return data


def img2img_data(user, body: dict) -> tuple[dict, dict]:
    """An A1111 img2img body as GenerationForm data and files: the txt2img
    fields (no hires fix: A1111's img2img has none), the first of
    ``init_images``, ``denoising_strength``, ``resize_mode`` and, with a
    ``mask``, its options."""
    data = form_data(user, body)
    files = {"init_upload": init_upload(body.get("init_images"))}
    strength = body.get("denoising_strength")
    data["denoising_strength"] = (
        IMG2IMG_DEFAULTS["denoising_strength"] if strength is None else strength
    )
    data["resize_mode"] = _number_choice(
        body,
        "resize_mode",
        RESIZE_MODES,
        "Atelier resizes with 0 (just resize), 1 (crop and resize) or 2 (resize and "
        "fill); 3 (latent upscale) is not available.",
    )
    if body.get("mask") not in (None, ""):
        data.update(inpaint_data(body))
    return data, files


def form_data(user, body: dict) -> dict:
    """An A1111 txt2img body as GenerationForm data. Unknown keys and scripts
    are ignored; ``styles`` names one style (studio.styles)."""
    _refuse_non_finite(body)
    for name in ("prompt", "negative_prompt"):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise FacadeError("Input should be a valid string", field=name)
    n = _count(body, "batch_size") * _count(body, "n_iter")
    if n > limits.N_MAX:
        raise FacadeError(
            f"batch_size × n_iter is over {limits.N_MAX}: at most {limits.N_MAX} images "
            "per request.",
            field="batch_size",
        )
    overrides = body.get("override_settings")
    wanted = overrides.get("sd_model_checkpoint") if isinstance(overrides, dict) else None
    if wanted is not None:
        preset = find_preset(wanted)
        if preset is None:
            raise FacadeError(f"model {wanted!r} not found", field="override_settings")
        model = preset.key
    else:
        model = chosen_checkpoint(user)
    data = {
        "prompt": body.get("prompt") or "",
        "model": model,
        "sampler": _sampler(body),
        "n": n,
    }
    if body.get("negative_prompt") is not None:
        data["negative_prompt"] = body["negative_prompt"]
    if style := _style(user, body.get("styles")):
        data["style"] = style
    for name in ("steps", "cfg_scale", "width", "height", "seed"):
        if body.get(name) is not None:
            data[name] = body[name]
    if body.get("subseed_strength"):  # A1111's variation seed (clients send 0 by default)
        data["variation_seed_strength"] = body["subseed_strength"]
        data["variation_seed"] = -1 if body.get("subseed") is None else body["subseed"]
    return {key: value for key, value in data.items() if value is not None}


def txt2img(body: dict, outcome: Outcome, notes=()) -> dict:
    """A1111's answer to ``body``, once its job has finished; ``notes``: what
    was changed in what was sent (a mask stretched to fit), in ``info``.
    Raises TimedOut or GenerationFailed."""
    finished = outcome.finished()
    request, images = finished.request, finished.images
    recipes = [image.recipe for image in images]
    seeds = [recipe.get("seed", request["seed"]) for recipe in recipes] or [request["seed"]]
    # A1111's subseeds: each image's variation seed, else (none used) its seed.
    pairs = zip(recipes, seeds, strict=False)  # no recipes: the request's seed alone
    subseeds = [recipe.get("variation_seed", seed) for recipe, seed in pairs] or seeds
    width = recipes[0].get("width", request["width"]) if recipes else request["width"]
    height = recipes[0].get("height", request["height"]) if recipes else request["height"]
    count = max(len(images), 1)
    info = {
        "prompt": request["prompt"],
        "all_prompts": [request["prompt"]] * count,
        "negative_prompt": request["negative_prompt"],
        "all_negative_prompts": [request["negative_prompt"]] * count,
        "seed": seeds[0],
        "all_seeds": seeds,
        "subseed": subseeds[0],
        "all_subseeds": subseeds,
        "subseed_strength": request.get("variation_seed_strength", 0),
        "width": width,
        "height": height,
        "sampler_name": request["sampler"],
        "cfg_scale": request["cfg_scale"],
        "steps": request["steps"],
        "batch_size": _count(body, "batch_size"),
        "restore_faces": False,
        "face_restoration_model": None,
        "sd_model_name": request["model"],
        "sd_model_hash": None,
        "sd_vae_name": None,
        "sd_vae_hash": None,
        "seed_resize_from_w": -1,
        "seed_resize_from_h": -1,
        "denoising_strength": request.get("denoising_strength"),
        "extra_generation_params": {},
        "index_of_first_image": 0,
        "infotexts": [format_parameters(recipe) for recipe in recipes],
        "styles": [],
        "job_timestamp": _timestamp(finished.job),
        "clip_skip": 1,
        "is_using_inpainting_conditioning": False,
        "version": "atelier",
        **({"notes": list(notes)} if notes else {}),
    }
    parameters = {
        "prompt": request["prompt"],
        "negative_prompt": request["negative_prompt"],
        "seed": request["seed"],
        "sampler_name": request["sampler"],
        "batch_size": _count(body, "batch_size"),
        "n_iter": _count(body, "n_iter"),
        "steps": request["steps"],
        "cfg_scale": request["cfg_scale"],
        "width": request["width"],
        "height": request["height"],
        **body,
    }
    send_images = body.get("send_images", True) is not False
    return {
        "images": [image_base64(image) for image in images] if send_images else [],
        "parameters": parameters,
        "info": json.dumps(info),
    }


def img2img(body: dict, outcome: Outcome, notes=()) -> dict:
    """As ``txt2img``; the starting image and the mask are not sent back in
    ``parameters`` (A1111 sets them to null there)."""
    answer = txt2img(body, outcome, notes)
    answer["parameters"] |= {"init_images": None, "mask": None}
    return answer


def generation_response(make_answer, body: dict, outcome: Outcome) -> Response:
    try:
        return Response(make_answer(body, outcome))
    except TimedOut as exc:
        return Response({"detail": str(exc)}, status=status.HTTP_504_GATEWAY_TIMEOUT)
    except GenerationFailed as exc:
        # A1111 answers an engine error with a 500 naming it.
        error = {"error": "RuntimeError", "detail": str(exc), "body": "", "errors": str(exc)}
        return Response(error, status=status.HTTP_500_INTERNAL_SERVER_ERROR)


# --- Progress and interruption ------------------------------------------------------------


def _timestamp(job) -> str:
    moment = job.started or job.created
    return timezone.localtime(moment).strftime("%Y%m%d%H%M%S") if moment else "0"


def _preview(job) -> str | None:
    if not job.preview:
        return None
    try:
        with job.preview.open("rb") as stored:
            return base64.b64encode(stored.read()).decode("ascii")
    except OSError:
        return None  # the worker replaced or removed it meanwhile


def progress(user, *, skip_current_image=False) -> dict:
    """The caller's latest running job, as A1111's ``/progress`` reports its one job."""
    active = active_jobs(user)
    job_count = active.count()
    job = (
        active.filter(status=GenerationJob.Status.RUNNING).order_by("-started").first()
        or active.order_by("-created").first()
    )
    if job is None:
        return {
            "progress": 0,
            "eta_relative": 0,
            "state": {
                "skipped": False,
                "interrupted": False,
                "stopping_generation": False,
                "job": "",
                "job_count": 0,
                "job_timestamp": "0",
                "job_no": 0,
                "sampling_step": 0,
                "sampling_steps": 0,
            },
            "current_image": None,
            "textinfo": None,
            "current_task": None,
        }
    eta = 0.0
    if job.started and job.progress > 0:
        elapsed = (timezone.now() - job.started).total_seconds()
        eta = max(0.0, elapsed / job.progress - elapsed)
    return {
        "progress": job.progress,
        "eta_relative": round(eta, 2),
        "state": {
            "skipped": False,
            "interrupted": job.cancel_requested,
            "stopping_generation": job.cancel_requested,
            "job": f"txt2img {job.pk}",
            "job_count": job_count,
            "job_timestamp": _timestamp(job),
            "job_no": 0,
            "sampling_step": job.step,
            "sampling_steps": job.total_steps or job.request.get("steps", 0),
        },
        "current_image": None if skip_current_image else _preview(job),
        "textinfo": job.message or job.phase or job.status,
        "current_task": str(job.pk),
    }


def interrupt(user) -> None:
    for job in active_jobs(user):
        cancel_job(job)


# --- Views --------------------------------------------------------------------------------


def _a1111_exceptions(exc, context):
    """FastAPI's shapes: an unreadable body is a 422, every error has a ``detail``."""
    if isinstance(exc, ParseError):
        return Response(
            {"detail": [{"loc": ["body"], "msg": str(exc.detail), "type": "json_invalid"}]},
            status=422,
        )
    return exception_handler(exc, context)


def refused(error: FacadeError) -> Response:
    loc = ["body", A1111_FIELDS.get(error.field, error.field)] if error.field else ["body"]
    status_code = 413 if error.code == "too_large" else status.HTTP_422_UNPROCESSABLE_ENTITY
    return Response(
        {"detail": [{"loc": loc, "msg": error.message, "type": "value_error"}]},
        status=status_code,
    )


def _body(request) -> dict:
    try:
        data = request.data
    except RequestDataTooBig as exc:
        largest = filesizeformat(limit_of(exc))
        raise FacadeError(
            f"The request is larger than {largest}: send smaller pictures.", code="too_large"
        ) from exc
    if not isinstance(data, dict):
        raise FacadeError("Input should be a valid dictionary")
    return data


class A1111View(APIView):
    schema = None  # A third party's wire format, not in our OpenAPI schema
    authentication_classes = A1111_AUTHENTICATION
    permission_classes = [IsAuthenticated]

    def get_exception_handler(self):
        return _a1111_exceptions


class Txt2Img(A1111View):
    throttle_classes = [GenerationThrottle]  # FastAPI's 429: {"detail": ...}, Retry-After

    def post(self, request):
        try:
            body = _body(request)
            job = submit(request.user, txt2img_data(request.user, body))
        except FacadeError as error:
            return refused(error)
        except JobLimitReached as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        return AwaitingJob(job, partial(generation_response, txt2img, body))


class Img2Img(A1111View):
    throttle_classes = [GenerationThrottle]
    parser_classes = [PictureJSONParser]  # a picture as large as an upload's, in base64

    def post(self, request):
        try:
            body = _body(request)
            # Its pictures are decoded here: one of the process's decode slots
            # (atelier/image_uploads.py), as an upload's form takes one.
            with upload_slot():
                data, files = img2img_data(request.user, body)
                form = valid_form(data, request.user, files)
                job = queue(request.user, form)
        except FacadeError as error:
            return refused(error)
        except UploadsBusy:
            return Response(
                {"detail": BUSY},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": str(BUSY_RETRY_AFTER)},
            )
        except JobLimitReached as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        answer = partial(img2img, notes=form.notes)
        return AwaitingJob(job, partial(generation_response, answer, body))


class PngInfo(A1111View):
    """The recipe in a picture, as A1111's infotext (a1111_png_info.py)."""

    parser_classes = [PictureJSONParser]

    def post(self, request):
        try:
            body = _body(request)
            if body.get("image") is None:
                raise FacadeError("Field required", field="image")
            if isinstance(body["image"], str) and not body["image"].strip():
                return Response({"info": "", "items": {}, "parameters": {}})  # as A1111
            return Response(png_info(decode_image(body["image"])))
        except FacadeError as error:
            return refused(error)


class Upscalers(A1111View):
    def get(self, request):
        return Response(upscalers())


class LatentUpscaleModes(A1111View):
    def get(self, request):
        return Response(latent_upscale_modes())


class Loras(A1111View):
    def get(self, request):
        return Response(loras())


class Progress(A1111View):
    def get(self, request):
        skip = str(request.query_params.get("skip_current_image", "")).lower() in ("1", "true")
        return Response(progress(request.user, skip_current_image=skip))


class Interrupt(A1111View):
    def post(self, request):
        interrupt(request.user)
        return Response({})


class SdModels(A1111View):
    def get(self, request):
        return Response(sd_models())


class Samplers(A1111View):
    def get(self, request):
        return Response(samplers())


class PromptStyles(A1111View):
    """The styles this person may name in ``styles``, as A1111 lists its own."""

    def get(self, request):
        return Response(
            [
                {"name": s.name, "prompt": s.prompt, "negative_prompt": s.negative_prompt}
                for s in styles_for(request.user)
            ]
        )


class Options(A1111View):
    def get(self, request):
        return Response(options(request.user))

    def post(self, request):
        try:
            set_options(request.user, _body(request))
        except FacadeError as error:
            return refused(error)
        return Response(None)


class Scripts(A1111View):
    def get(self, request):
        return Response({"txt2img": [], "img2img": []})
