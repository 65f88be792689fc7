"""The contract every generation engine implements.

Pure Python: nothing here (or in any engine module) imports Django models.
The job task builds a ``GenerationRequest`` from a saved job, calls
``Backend.generate`` and stores what comes back through the gallery.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Protocol

from PIL import Image

from .hires_fix import UPSCALERS
from .init_image import RESIZE_MODES
from .inpaint_mask import InpaintOptions

# What an engine may be asked beyond text to image, as a refusal says it
# ("ComfyUI cannot inpaint ...").
OPERATIONS = {
    "image_to_image": "start from an image",
    "inpainting": "inpaint (repaint under a mask)",
    "hires_fix": "run a hires fix or upscale",
    "variations": "use a variation seed",
}


@dataclass(frozen=True)
class GenerationRequest:
    prompt: str
    negative_prompt: str = ""
    model: str = ""  # the preset key, e.g. "sdxl-base"
    model_id: str = ""  # what the engine loads: hub id, folder or .safetensors path
    width: int = 512
    height: int = 512
    steps: int = 30
    cfg_scale: float = 7.5
    seed: int = 0  # always a concrete seed here; -1 is resolved before the backend runs
    sampler: str = "Euler a"
    n: int = 1
    options: dict = field(default_factory=dict)  # engine settings from the preset
    # Image to image: the starting picture (any size; the engine brings it to
    # width x height per ``resize_mode``), and how much of it is repainted.
    init_image: Image.Image | None = None
    init_image_id: int | None = None  # the gallery image it came from, for the recipe
    init_image_sha256: str = ""
    strength: float = 0.6
    resize_mode: str = "crop"  # a key of init_image.RESIZE_MODES
    inpaint: InpaintOptions | None = None  # with init_image: repaint only the mask's white
    # Hires fix (hires_fix.py): 0 for none, else the picture made at width x
    # height (or the starting image, for an upscale) is upscaled by this and
    # repainted at ``strength`` in ``hires_steps`` (0: ``steps``).
    hires_scale: float = 0.0
    hires_upscaler: str = "latent"  # a key of hires_fix.UPSCALERS
    hires_steps: int = 0
    style: str = ""  # the style's name; prompt and negative_prompt are already expanded
    # A1111's variation seed ("subseed"): each image's starting noise is the
    # slerp from its seed's noise towards its variation seed's by
    # ``variation_strength`` (0: the seed alone). Text to image only.
    variation_seed: int = 0
    variation_strength: float = 0.0

    def seeds(self) -> list[int]:
        """One seed per image, A1111 style: seed, seed+1, ..."""
        return [self.seed + i for i in range(self.n)]

    def variation_seeds(self) -> list[int]:
        """One variation seed per image, following the seeds as A1111 does."""
        return [self.variation_seed + i for i in range(self.n)]

    @property
    def varies(self) -> bool:
        """Whether the variation seed takes part (text to image, strength above 0)."""
        return self.variation_strength > 0 and self.init_image is None

    def recipe(self, seed: int, backend: str) -> dict:
        """What is stored with each image and embedded in its PNG."""
        data = asdict(dataclasses.replace(self, init_image=None, inpaint=None))
        for key in ("options", "n", "model_id", "init_image", "init_image_id", "inpaint"):
            data.pop(key)
        for key in ("init_image_sha256", "strength", "resize_mode"):
            data.pop(key)
        data.pop("variation_seed"), data.pop("variation_strength")
        for key in ("hires_scale", "hires_upscaler", "hires_steps"):
            data.pop(key)
        data["seed"] = seed
        data["backend"] = backend
        if not self.style:
            data.pop("style")
        if self.init_image is not None:
            # A1111 writes "Denoising strength" and "Resize mode" (its own names).
            data["init_image"] = self.init_image_id
            data["init_image_sha256"] = self.init_image_sha256
            data["denoising_strength"] = self.strength
            data["resize_mode"] = RESIZE_MODES.get(self.resize_mode, self.resize_mode)
        if self.varies:
            # A1111 writes "Variation seed" and "Variation seed strength".
            data["variation_seed"] = self.variation_seed + (seed - self.seed)
            data["variation_seed_strength"] = self.variation_strength
        if self.init_image is not None and self.inpaint is not None:
            data.update(self.inpaint.recipe())
        if self.hires_scale:
            # A1111's "Hires upscale", "Hires upscaler", "Hires steps" and
            # "Denoising strength"; width and height stay the base size, as A1111's "Size".
            data["hires_upscale"] = self.hires_scale
            data["hires_upscaler"] = UPSCALERS.get(self.hires_upscaler, self.hires_upscaler)
            if self.hires_steps:
                data["hires_steps"] = self.hires_steps
            data["denoising_strength"] = self.strength
        return data

    @property
    def hires_denoising_steps(self) -> int:
        """How many steps the hires pass runs: the last ``strength`` of its schedule."""
        steps = self.hires_steps or self.steps
        return min(int(steps * self.strength), steps)


@dataclass
class GeneratedImage:
    image: Image.Image
    seed: int


@dataclass
class Progress:
    """A report from a running engine.

    ``phase`` is one of "downloading", "loading", "sampling", "decoding".
    ``step``/``total`` count denoising steps while sampling and bytes while
    downloading. ``preview`` is a small image or None.
    """

    phase: str
    step: int = 0
    total: int = 0
    preview: Image.Image | None = None
    message: str = ""

    @property
    def fraction(self) -> float:
        if self.total <= 0:
            return 0.0
        return max(0.0, min(1.0, self.step / self.total))


ProgressCallback = Callable[[Progress], None]
CancelCheck = Callable[[], bool]


class BackendError(Exception):
    """A failure with a message a person can act on.

    ``retryable`` says whether the same request may succeed later (engine
    busy, model loading, timeout); ``retry_after`` is a hint in seconds.
    """

    def __init__(self, message: str, *, retryable: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after


class ModelUnavailable(BackendError):
    """The model cannot be found, downloaded or opened."""


class Cancelled(Exception):
    """The job was cancelled while the engine was running."""


class Backend(Protocol):
    name: str

    def generate(
        self,
        request: GenerationRequest,
        on_progress: ProgressCallback,
        should_cancel: CancelCheck,
    ) -> list[GeneratedImage]: ...

    def models(self) -> list[str]: ...

    def samplers(self) -> list[str]: ...
