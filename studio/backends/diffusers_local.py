"""The local engine: Stable Diffusion through diffusers, on this machine.

A job goes through four stages, in the order of this file:

1. load      the pipeline named by ``request.model_id`` (hub id, diffusers
             folder or single-file checkpoint) onto the best device, once;
             it stays loaded between jobs in a ``PipelineCache``;
2. configure a fresh scheduler for the job's sampler from the model's own
             scheduler config, so no job inherits the previous job's sampler;
3. run       the pipeline with one CPU generator per image (every random
             draw made in float32, whatever the pipeline's dtype), reporting each
             step (with a latent preview a few times a second) and checking
             for cancellation between steps;
4. images    come back as ``GeneratedImage`` in seed order.

Preset options (``request.options``): "display_name" (what messages call
the model instead of its path: the runner sets it for the models folder's
checkpoints); "dtype" ("float16", "bfloat16" or
"float32"; default float16 on a GPU, float32 on CPU); for single-file
checkpoints "pipeline" ("sd" or "sdxl"; guessed from the file's keys when
absent) and "config" (a local diffusers folder or hub id of the same
architecture, whose configs are used instead of fetching them from the hub).

Determinism: the same request on the same machine gives bit-identical pixels
only if torch uses the same number of CPU threads every time (float sums are
split differently across threads). Workers call ``pin_threads`` once at start.
On a GPU the same holds for the same device, dtype and library versions. A
GPU in half precision and the CPU in float32 give the same picture from the
same seed, but for the rounding (bench/local_engine_devices.py measures it).
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import torch
from diffusers import (
    AutoPipelineForImage2Image,
    AutoPipelineForInpainting,
    AutoPipelineForText2Image,
    DiffusionPipeline,
    StableDiffusionPipeline,
    StableDiffusionXLPipeline,
)
from PIL import Image

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
from .latent_preview import decode_preview, latents_to_preview, load_tiny_decoder
from .lora import Extras, apply_extras
from .model_download import explain_hub_error, fetch_model, locate, redact
from .samplers import canonical_sampler, make_scheduler, sampler_names

PREVIEW_INTERVAL = 0.3  # seconds between latent previews
PREVIEW_COST_RATIO = 5  # a preview that took t seconds waits 5t for the next
DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}


def pin_threads(n: int) -> None:
    """Make torch use exactly ``n`` CPU threads (needed for reproducible pixels)."""
    torch.set_num_threads(n)


def create_backend(config: dict | None = None) -> DiffusersBackend:
    return DiffusersBackend(models_dir=(config or {}).get("models_dir"))


def is_configured(config: dict | None = None) -> bool:
    """A local engine needs no credentials; torch being importable is enough."""
    return True


class DiffusersBackend:
    name = "diffusers"

    def __init__(self, cache: PipelineCache | None = None, models_dir: str | None = None):
        self.cache = cache or PipelineCache()
        self.models_dir = Path(models_dir) if models_dir else None
        self._tiny_decoders = {}

    def tiny_decoder(self, sdxl: bool, device: str, dtype: torch.dtype):
        """TAESD for the live preview (latent_preview), loaded once a process;
        None while its weights are not here, looked for again on the next job."""
        key = (sdxl, device, dtype)
        if key not in self._tiny_decoders:
            decoder = load_tiny_decoder(sdxl, self.models_dir, device, dtype)
            if decoder is None:
                return None
            self._tiny_decoders[key] = decoder
        return self._tiny_decoders[key]

    def models(self) -> list[str]:
        """Pipelines usable without a download: loaded ones and those in the hub cache."""
        return sorted(set(self.cache.loaded_model_ids()) | set(_cached_hub_pipelines()))

    def samplers(self) -> list[str]:
        return sampler_names()

    def generate(
        self,
        request: GenerationRequest,
        on_progress: ProgressCallback,
        should_cancel: CancelCheck,
    ) -> list[GeneratedImage]:
        canonical_sampler(request.sampler)  # an unknown sampler fails before any loading
        device, dtype = pick_device(request.options)
        with self.cache.checkout(request, device, dtype, on_progress, should_cancel) as loaded:
            if should_cancel():
                raise Cancelled()
            pipe = configure(loaded, request)
            prompt = apply_extras(pipe, loaded.extras, request.prompt, request.options)
            request = dataclasses.replace(request, prompt=prompt)
            decoder = self.tiny_decoder(loaded.sdxl, device, dtype)
            images = run(pipe, request, loaded.sdxl, on_progress, should_cancel, decoder)
        return [
            GeneratedImage(image, seed) for image, seed in zip(images, request.seeds(), strict=True)
        ]


# 1. Load ---------------------------------------------------------------------


def pick_device(options: dict) -> tuple[str, torch.dtype]:
    """CUDA, else Apple MPS, else CPU; half precision on a GPU unless the preset says otherwise."""
    if torch.cuda.is_available():
        device = "cuda"
    elif torch.backends.mps.is_available():
        device = "mps"
    else:
        device = "cpu"
    dtype_name = options.get("dtype") or ("float32" if device == "cpu" else "float16")
    if dtype_name not in DTYPES:
        raise BackendError(f"Unknown dtype {dtype_name!r}. Choose one of: {', '.join(DTYPES)}.")
    return device, DTYPES[dtype_name]


@dataclass
class LoadedPipeline:
    pipe: DiffusionPipeline
    scheduler_config: dict  # the model's own scheduler, the base of every job's sampler
    sdxl: bool
    extras: Extras = field(default_factory=Extras)  # LoRAs and embeddings loaded into it


@dataclass
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    loaded: LoadedPipeline | None = None


class PipelineCache:
    """Loaded pipelines keyed by (model_id, dtype, device).

    A pipeline is loaded once, and used by one job at a time: ``checkout``
    holds the pipeline's own lock for the whole job. At most ``max_loaded``
    pipelines stay in memory; idle ones are dropped, least recently used first.
    """

    def __init__(self, max_loaded: int = 1):
        self.max_loaded = max_loaded
        self._lock = threading.Lock()
        self._slots: OrderedDict[tuple, _Slot] = OrderedDict()

    @contextmanager
    def checkout(
        self,
        request: GenerationRequest,
        device: str,
        dtype: torch.dtype,
        on_progress: ProgressCallback,
        should_cancel: CancelCheck = lambda: False,
    ) -> Iterator[LoadedPipeline]:
        key = (request.model_id, vae_key(request.options, dtype), dtype, device)
        with self._lock:
            slot = self._slots.setdefault(key, _Slot())
            self._slots.move_to_end(key)
        with slot.lock:
            if slot.loaded is None:
                self._drop_idle(keep=slot)
                pipe = load_pipeline(
                    request.model_id, device, dtype, request.options, on_progress, should_cancel
                )
                slot.loaded = LoadedPipeline(
                    pipe=pipe,
                    scheduler_config=dict(pipe.scheduler.config),
                    sdxl=isinstance(pipe, StableDiffusionXLPipeline),
                )
            yield slot.loaded

    def loaded_model_ids(self) -> list[str]:
        with self._lock:
            return [key[0] for key, slot in self._slots.items() if slot.loaded is not None]

    def _drop_idle(self, keep: _Slot) -> None:
        """Unload idle pipelines, oldest first, until there is room for one more."""
        with self._lock:
            loaded = [s for s in self._slots.values() if s.loaded is not None and s is not keep]
        excess = len(loaded) - (self.max_loaded - 1)
        for slot in loaded:
            if excess <= 0:
                break
            if slot.lock.acquire(blocking=False):  # a slot in use is never dropped
                try:
                    slot.loaded = None
                    excess -= 1
                finally:
                    slot.lock.release()
        _free_memory()


def load_pipeline(
    model_id: str,
    device: str,
    dtype: torch.dtype,
    options: dict,
    on_progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
):
    """Load a pipeline; a hub id is downloaded first (with "downloading" progress),
    then loaded from its snapshot folder in the Hugging Face cache."""
    on_progress = on_progress or (lambda progress: None)
    kind = locate(model_id)
    source, variant = model_id, UNKNOWN_VARIANT
    if kind == "hub":
        fetched = fetch_model(
            model_id,
            on_progress,
            fp16=dtype == torch.float16,
            should_cancel=should_cancel or (lambda: False),
        )
        if fetched is not None:
            source, variant = str(fetched.folder), fetched.variant
        else:  # offline, or the hub is away and a copy is in the cache: load that copy
            variant = CACHE_ONLY
    shown = options.get("display_name") or model_id  # a server path is not for everyone
    on_progress(Progress(phase="loading", message=f"Loading {shown}"))
    try:
        if kind == "file":
            pipe = _load_single_file(model_id, dtype, options)
        else:
            pipe = _load_pretrained(source, dtype, variant)
        pipe.to(device)
    except torch.OutOfMemoryError as exc:
        _free_memory()
        raise BackendError(
            f"Model '{shown}' does not fit in {device} memory. Free the device "
            "(other jobs, other programs) or choose a smaller model."
        ) from exc
    except BackendError:
        raise
    except Exception as exc:
        error = explain_load_error(shown, exc, single_file=kind == "file")
        error.message = error.message.replace(model_id, shown)  # the library's words too
        error.args = (error.message,)
        raise error from exc
    sdxl = isinstance(pipe, StableDiffusionXLPipeline)
    if vae := chosen_vae(options, dtype, sdxl=sdxl):
        pipe.vae = load_vae(vae, pipe.vae.config, dtype, fp16_fix=vae != options.get("vae_path"))
        pipe.vae.to(device)
    if getattr(pipe, "watermark", None) is not None:
        pipe.watermark = None  # SDXL's invisible watermark, when the package is installed
    pipe.set_progress_bar_config(disable=True)
    return pipe


def chosen_vae(options: dict, dtype: torch.dtype, *, sdxl: bool) -> str:
    """The VAE file to use instead of the model's own: the preset's choice
    ("vae_path"), else for SDXL in half precision an fp16-fix VAE if there is one."""
    if options.get("vae_path"):
        return options["vae_path"]
    if dtype == torch.float16 and sdxl:
        return options.get("vae_fp16_fix_path") or ""
    return ""


def vae_key(options: dict, dtype: torch.dtype) -> str:
    """What may change the VAE, known before loading (whether a hub model is
    SDXL is known only after): part of the pipeline cache's key."""
    return chosen_vae(options, dtype, sdxl=True)


def load_vae(path: str, config, dtype: torch.dtype, *, fp16_fix: bool = False):
    """A VAE from one .safetensors file (original or diffusers key names), built
    with the model's own VAE config: nothing is fetched."""
    from diffusers import AutoencoderKL
    from diffusers.loaders.single_file_utils import convert_ldm_vae_checkpoint
    from safetensors.torch import load_file

    name = os.path.basename(path)
    try:
        state = load_file(path)
    except FileNotFoundError as exc:
        raise ModelUnavailable(f"The VAE '{name}' is no longer in the VAE/ folder.") from exc
    except Exception as exc:
        raise ModelUnavailable(f"The VAE '{name}' could not be read; it looks corrupt.") from exc
    state = {k.removeprefix("first_stage_model."): v for k, v in state.items()}
    vae = AutoencoderKL.from_config(config)
    try:
        if not any(k.startswith("encoder.down_blocks.") for k in state):
            state = convert_ldm_vae_checkpoint(state, vae.config)
        vae.load_state_dict(state, strict=True)
    except Exception as exc:
        raise ModelUnavailable(
            f"The VAE '{name}' does not fit this model (made for another architecture?)."
        ) from exc
    if fp16_fix:
        vae.register_to_config(force_upcast=False)  # made to run in float16
    return vae.to(dtype)


UNKNOWN_VARIANT = "unknown"  # a folder: try fp16 files first on a GPU
CACHE_ONLY = "cache-only"  # a hub id not downloaded here: the same, from the cache alone


def _load_pretrained(model_id: str, dtype: torch.dtype, variant: str | None = UNKNOWN_VARIANT):
    where = {}
    if variant == CACHE_ONLY:
        where = {"local_files_only": True}  # not the hub's slow retries: it was just asked
        variant = UNKNOWN_VARIANT
    config = DiffusionPipeline.load_config(model_id, **where)  # model_index.json: fails fast
    kwargs = {"dtype": dtype, **where}
    if "safety_checker" in config:
        kwargs |= {"safety_checker": None, "requires_safety_checker": False}
    if variant != UNKNOWN_VARIANT:  # downloaded here: the files are those of this variant
        return AutoPipelineForText2Image.from_pretrained(model_id, variant=variant, **kwargs)
    if dtype == torch.float16:
        try:
            return AutoPipelineForText2Image.from_pretrained(model_id, variant="fp16", **kwargs)
        except torch.OutOfMemoryError:
            raise
        except Exception:
            pass  # no fp16 files: load the full-precision ones and convert
    return AutoPipelineForText2Image.from_pretrained(model_id, **kwargs)


def _load_single_file(path: str, dtype: torch.dtype, options: dict):
    kind = options.get("pipeline") or _guess_single_file_kind(path)
    classes = {"sd": StableDiffusionPipeline, "sdxl": StableDiffusionXLPipeline}
    if kind not in classes:
        raise BackendError(f"Unknown pipeline {kind!r} for a checkpoint. Choose 'sd' or 'sdxl'.")
    kwargs = {"dtype": dtype}
    if kind == "sd":
        kwargs |= {"safety_checker": None, "requires_safety_checker": False}
    if options.get("config"):
        # staff's choice: a local folder or hub id with the same layout
        return classes[kind].from_single_file(path, config=options["config"], **kwargs)
    # The bundled base configs, fitted to the file: nothing is fetched.
    from .checkpoint_configs import checkpoint_shapes, write_config_folder

    with tempfile.TemporaryDirectory(prefix="atelier-checkpoint-config-") as folder:
        config = write_config_folder(
            checkpoint_shapes(path),
            Path(folder),  # the architecture read from the file itself, as the scan does
            prediction_type=options.get("prediction_type"),
        )
        return classes[kind].from_single_file(
            path, config=str(config), local_files_only=True, **kwargs
        )


def _guess_single_file_kind(path: str) -> str:
    """SDXL checkpoints carry a second text encoder (``conditioner.embedders.1``)."""
    if not path.lower().endswith(".safetensors"):
        return "sd"
    from safetensors import safe_open

    try:
        with safe_open(path, framework="pt") as checkpoint:
            keys = checkpoint.keys()
    except Exception:
        return "sd"  # unreadable: loading will report it
    return "sdxl" if any(k.startswith("conditioner.embedders.1.") for k in keys) else "sd"


def explain_load_error(model_id: str, exc: BaseException, *, single_file: bool) -> BackendError:
    """Turn a loading failure into a message that says what happened and what to do."""
    from huggingface_hub import errors as hub
    from safetensors import SafetensorError

    from .checkpoint_configs import CheckpointLayoutError

    chain = _exception_chain(exc)

    def find(*types):
        return next((e for e in chain if isinstance(e, types)), None)

    name = f"Checkpoint '{model_id}'" if single_file else f"Model '{model_id}'"
    if single_file and find(hub.OfflineModeIsEnabled, hub.LocalEntryNotFoundError):
        return ModelUnavailable(
            f"{name} is set to take its configuration (preset option 'config') from a Hugging "
            "Face hub repository, which cannot be reached. Remove the option to use Atelier's "
            "bundled configuration, point it to a local diffusers folder of the same "
            "architecture, or pre-download that repository into the cache (HF_HOME)."
        )
    if layout := find(CheckpointLayoutError):
        return ModelUnavailable(
            f"{name} is not a complete Stable Diffusion checkpoint ({_detail(layout)}); "
            "it may be another kind of file, or damaged."
        )
    if explained := explain_hub_error(model_id, exc, name):  # offline, gated, not found, ...
        return explained
    if http := find(hub.HfHubHTTPError):
        status = getattr(getattr(http, "response", None), "status_code", None)
        if status == 429 or (status or 0) >= 500:
            return BackendError(
                f"The Hugging Face hub answered {status} while fetching {name.lower()}; "
                "it will be tried again.",
                retryable=True,
                retry_after=30,
            )
    if find(hub.EntryNotFoundError, hub.RevisionNotFoundError):
        return ModelUnavailable(
            f"{name} is missing files: it does not look like a complete diffusers pipeline "
            f"({_detail(exc)}). For a single .safetensors checkpoint give the file's path."
        )
    if find(SafetensorError, UnicodeDecodeError, EOFError) or "Unable to load weights" in str(exc):
        return ModelUnavailable(
            f"{name} could not be read; the file looks incomplete or corrupt "
            f"({_detail(exc)}). Download it again."
        )
    return ModelUnavailable(f"{name} could not be loaded: {_detail(exc)}")


def _exception_chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def _detail(exc: BaseException) -> str:
    """The first line of an error, without anything that looks like a token."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    return redact(text)


def _cached_hub_pipelines() -> list[str]:
    from huggingface_hub import scan_cache_dir

    try:
        cache = scan_cache_dir()
    except Exception:
        return []  # no cache folder yet
    return [
        repo.repo_id
        for repo in cache.repos
        if repo.repo_type == "model"
        and any(f.file_name == "model_index.json" for rev in repo.revisions for f in rev.files)
    ]


# 2. Configure ------------------------------------------------------------------


def configure(loaded: LoadedPipeline, request: GenerationRequest):
    """Give the pipeline a new scheduler for this job's sampler.

    Built from the model's own scheduler config every time, so it is the same
    whatever the previous job chose. The caller holds the pipeline's lock.
    """
    pipe = loaded.pipe
    scheduler = make_scheduler(request.sampler, loaded.scheduler_config)
    pipe.scheduler = draw_step_noise_in_float32(scheduler, pipe.unet.dtype)
    return pipe


# 3. Run with callback ----------------------------------------------------------


class StepReporter:
    """The pipeline's ``callback_on_step_end``: progress, previews, cancellation."""

    def __init__(
        self,
        on_progress: ProgressCallback,
        should_cancel: CancelCheck,
        sdxl: bool,
        tiny_decoder=None,
    ):
        self.on_progress = on_progress
        self.should_cancel = should_cancel
        self.sdxl = sdxl
        self.tiny_decoder = tiny_decoder
        self.cancelled = False
        self._next_preview = float("-inf")
        self._last_cost = 0.0

    def __call__(self, pipe, step_index: int, timestep, tensors: dict) -> dict:
        # num_timesteps, not num_inference_steps: second-order samplers call back more often.
        total = pipe.num_timesteps
        step = step_index + 1
        final = step >= total
        self.on_progress(
            Progress(
                phase="sampling", step=step, total=total, preview=self._preview(tensors, final)
            )
        )
        if final:
            self.on_progress(Progress(phase="decoding"))  # the pipeline decodes next
        if self.should_cancel():
            self.cancelled = True
            pipe._interrupt = True  # the pipeline skips the remaining steps
        return {}

    def _preview(self, tensors: dict, final: bool) -> Image.Image | None:
        """A preview at the first step, then at most every PREVIEW_INTERVAL, and
        at the last step. TAESD on a CPU takes seconds at real sizes
        (bench/previews.py): after a dear preview the next waits long enough
        that previews take at most 1/PREVIEW_COST_RATIO of the time, and the
        last step's, which the final picture soon replaces, is the linear map's."""
        now = time.monotonic()
        latents = tensors.get("latents")
        if latents is None or latents.ndim != 4 or latents.shape[1] != 4:
            return None  # not an SD/SDXL latent space
        if not final and now < self._next_preview:
            return None
        dear = self._last_cost > PREVIEW_INTERVAL
        if self.tiny_decoder is not None and not (final and dear):
            preview = decode_preview(self.tiny_decoder, latents)
        else:
            preview = latents_to_preview(latents, sdxl=self.sdxl)
        self._last_cost = time.monotonic() - now
        self._next_preview = now + max(PREVIEW_INTERVAL, PREVIEW_COST_RATIO * self._last_cost)
        return preview


def run(
    pipe,
    request: GenerationRequest,
    sdxl: bool,
    on_progress: ProgressCallback,
    should_cancel: CancelCheck,
    tiny_decoder=None,
) -> list[Image.Image]:
    generators = [torch.Generator(device="cpu").manual_seed(seed) for seed in request.seeds()]
    reporter = StepReporter(on_progress, should_cancel, sdxl, tiny_decoder)
    inpainting = None
    if request.inpaint is not None and request.init_image is not None:
        inpainting = request.inpaint.prepare(
            request.init_image, request.width, request.height, request.resize_mode
        )
        if denoising_steps(request) < 1:
            return [inpainting.paste_back(inpainting.image) for _ in range(request.n)]
        pipe = inpaint_pipeline(pipe)
        start = {"image": inpainting.image, "mask_image": inpainting.mask}
        start.update(strength=request.strength, width=request.width, height=request.height)
    elif is_inpainting_model(pipe):  # text to image on an inpainting model: all repainted
        pipe = inpaint_pipeline(pipe)
        start = {"image": Image.new("RGB", (request.width, request.height), (127, 127, 127))}
        start.update(mask_image=Image.new("L", (request.width, request.height), 255))
        start.update(strength=1.0, width=request.width, height=request.height)
    elif request.init_image is not None:
        source = fit_to_size(request.init_image, request.width, request.height, request.resize_mode)
        if denoising_steps(request) < 1:
            return [source.copy() for _ in range(request.n)]  # nothing to repaint
        pipe = image_to_image(pipe)
        start = {"image": source, "strength": request.strength}
    else:
        start = {
            "latents": initial_noise(pipe, request, generators),
            "width": request.width,
            "height": request.height,
        }
    try:
        output = pipe(
            **start,
            prompt=request.prompt,
            negative_prompt=request.negative_prompt or None,
            num_inference_steps=request.steps,
            guidance_scale=request.cfg_scale,
            num_images_per_prompt=request.n,
            generator=generators,
            callback_on_step_end=reporter,
            callback_on_step_end_tensor_inputs=["latents"],
        )
    except torch.OutOfMemoryError as exc:
        raise _out_of_memory(request) from exc
    except RuntimeError as exc:
        if "out of memory" in str(exc).lower():  # MPS reports it this way
            raise _out_of_memory(request) from exc
        raise
    except ValueError as exc:
        raise BackendError(f"The pipeline refused this request: {_detail(exc)}") from exc
    if reporter.cancelled:
        raise Cancelled()
    if inpainting is not None:  # the original kept outside the mask, as A1111 does
        return [inpainting.paste_back(image) for image in output.images]
    return output.images


def denoising_steps(request: GenerationRequest) -> int:
    """How many steps image to image runs: the last ``strength`` of the schedule
    (diffusers and A1111 alike), so the progress total is this, not ``steps``."""
    return min(int(request.steps * request.strength), request.steps)


def image_to_image(pipe):
    """The img2img pipeline of the loaded text-to-image one, sharing its
    components (and so its weights, LoRAs and scheduler): nothing is loaded."""
    img2img = AutoPipelineForImage2Image.from_pipe(pipe)
    img2img.set_progress_bar_config(disable=True)
    return img2img


def is_inpainting_model(pipe) -> bool:
    """An inpainting model (its UNet takes the mask and the masked picture
    besides the latents: 9 channels in, not 4), such as sd-v1-5-inpainting."""
    return pipe.unet.config.in_channels == 9


def inpaint_pipeline(pipe):
    """The inpainting pipeline of the loaded one, sharing its components: an
    inpainting model's 9-channel UNet gets the mask itself, a normal model's
    latents are blended with the original's outside the mask at every step."""
    inpaint = AutoPipelineForInpainting.from_pipe(pipe)
    inpaint.set_progress_bar_config(disable=True)
    return inpaint


# Noise in float32 ---------------------------------------------------------------
#
# A seed must give the same picture in half precision on a GPU as in float32
# on a CPU (a remix on another machine, a job retried on another worker). But
# a seeded CPU generator asked for float16 or bfloat16 noise may draw another
# sequence than for float32: torch 2.11 does (seen on an H200: every image of
# the same seed came out unrelated), 2.13 does not. So every random draw is
# made in float32 and then converted: the starting noise here, each step's
# noise of the ancestral samplers in ``draw_step_noise_in_float32``.


def initial_noise(pipe, request: GenerationRequest, generators) -> torch.Tensor:
    """The starting latents, one float32 draw per image's generator (what the
    pipeline itself draws in float32), in the pipeline's dtype and device."""
    factor = pipe.vae_scale_factor
    shape = (1, pipe.unet.config.in_channels, request.height // factor, request.width // factor)
    noise = torch.cat([torch.randn(shape, generator=g, dtype=torch.float32) for g in generators])
    if request.varies:
        # Drawn from generators of their own: the seeds' generators go on
        # drawing each step's noise exactly as without a variation seed.
        varied = [torch.Generator(device="cpu").manual_seed(s) for s in request.variation_seeds()]
        other = torch.cat([torch.randn(shape, generator=g, dtype=torch.float32) for g in varied])
        strength = request.variation_strength
        noise = torch.stack([slerp(strength, a, b) for a, b in zip(noise, other, strict=True)])
    return noise.to(device=pipe.device, dtype=pipe.unet.dtype)


def slerp(strength: float, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """A1111's spherical interpolation of one image's noise (channels, h, w)
    from ``low`` (the seed's) towards ``high`` (the variation seed's), as its
    ``processing.slerp`` computes it (norms over dim 1), so a recipe means the
    same noise here as in A1111 with its RNG set to CPU."""
    low_norm = low / torch.norm(low, dim=1, keepdim=True)
    high_norm = high / torch.norm(high, dim=1, keepdim=True)
    dot = (low_norm * high_norm).sum(1)
    if dot.mean() > 0.9995:
        return low * strength + high * (1 - strength)  # A1111's own (nearly parallel) case
    omega = torch.acos(dot)
    so = torch.sin(omega)
    return (torch.sin((1.0 - strength) * omega) / so).unsqueeze(1) * low + (
        torch.sin(strength * omega) / so
    ).unsqueeze(1) * high


def draw_step_noise_in_float32(scheduler, dtype: torch.dtype):
    """Make ``scheduler.step`` work (and draw its noise) in float32 when the
    pipeline runs in ``dtype`` below it, handing the new latents back in ``dtype``."""
    if dtype == torch.float32:
        return scheduler
    step = scheduler.step

    # wraps: the pipeline reads step's signature to know whether to pass it
    # the generators (without them the noise would not follow the seed).
    @functools.wraps(step)
    def step_in_float32(model_output, timestep, sample, *args, **kwargs):
        result = step(model_output.float(), timestep, sample, *args, **kwargs)
        if isinstance(result, tuple):
            return (result[0].to(sample.dtype), *result[1:])
        result.prev_sample = result.prev_sample.to(sample.dtype)
        return result

    scheduler.step = step_in_float32
    return scheduler


def _out_of_memory(request: GenerationRequest) -> BackendError:
    _free_memory()
    return BackendError(
        f"Out of memory while making {request.n} image(s) of {request.width}x{request.height}. "
        "Try a smaller size or fewer images at once."
    )


def _free_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    elif torch.backends.mps.is_available():
        torch.mps.empty_cache()
