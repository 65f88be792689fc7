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

from .init_image import RESIZE_MODES
from .inpaint_mask import InpaintOptions


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
        return data


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
