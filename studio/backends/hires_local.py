"""Hires fix and upscaling on the local engine (the torch part of hires_fix.py).

Two passes on the loaded pipeline, sharing its weights:

1. the base: text to image at ``width`` x ``height`` (kept as latents for the
   latent upscaler, decoded for Lanczos), or for an upscale the starting
   image itself, at its own size;
2. upscaled by ``hires_scale`` (latents interpolated bilinearly, as A1111's
   "Latent"; or pictures resized with Lanczos and encoded again by the
   image-to-image pipeline) and repainted by an image-to-image pass at
   ``strength`` in ``hires_steps`` (0: ``steps``).

Progress counts both passes as one: the total is the base's steps plus the
repainting's. The VAE works in tiles at these sizes (``vae_memory`` in
diffusers_local, set around the whole job).
"""

from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F
from PIL import Image

from .base import BackendError, CancelCheck, Cancelled, GenerationRequest, ProgressCallback
from .diffusers_local import (
    StepReporter,
    _detail,
    _out_of_memory,
    image_to_image,
    initial_noise,
)
from .hires_fix import lanczos, scaled_size
from .init_image import fit_to_size


def target_size(request: GenerationRequest) -> tuple[int, int]:
    return scaled_size(request.width, request.height, request.hires_scale)


def run_hires(
    pipe,
    request: GenerationRequest,
    sdxl: bool,
    on_progress: ProgressCallback,
    should_cancel: CancelCheck,
    tiny_decoder=None,
) -> list[Image.Image]:
    generators = [torch.Generator(device="cpu").manual_seed(seed) for seed in request.seeds()]
    reporter = StepReporter(on_progress, should_cancel, sdxl, tiny_decoder)
    width, height = target_size(request)
    repaint_steps = request.hires_denoising_steps
    in_latents = request.hires_upscaler == "latent" and repaint_steps >= 1

    # 1. The base.
    if request.init_image is not None:
        source = fit_to_size(request.init_image, request.width, request.height, "crop")
        base = encode(pipe, source) if in_latents else [source]
    else:
        reporter.after = repaint_steps
        output = _call(
            pipe,
            request,
            reporter,
            generators,
            latents=initial_noise(pipe, request, generators),
            width=request.width,
            height=request.height,
            output_type="latent" if in_latents else "pil",
        )
        base = output.images
        reporter.offset, reporter.after = pipe.num_timesteps, 0

    # 2. Upscaled.
    if in_latents:
        factor = pipe.vae_scale_factor
        start = F.interpolate(
            base, size=(height // factor, width // factor), mode="bilinear", align_corners=False
        )
    else:
        start = [lanczos(picture, (width, height)) for picture in base]
        if repaint_steps < 1:  # nothing to repaint: the upscaled pictures themselves
            return [start[i % len(start)].copy() for i in range(request.n)]

    # 3. Repainted.
    output = _call(
        image_to_image(pipe),
        request,
        reporter,
        generators,
        image=start,
        strength=request.strength,
        steps=request.hires_steps or request.steps,
    )
    return output.images


def encode(pipe, picture: Image.Image) -> torch.Tensor:
    """The picture in the model's latent space (the VAE's most likely latents,
    scaled as the UNet expects), the VAE in float32 where it overflows in float16."""
    vae = pipe.vae
    upcast = vae.dtype == torch.float16 and getattr(vae.config, "force_upcast", False)
    pixels = pipe.image_processor.preprocess(picture).to(device=pipe.device)
    if upcast:
        vae.to(torch.float32)
    try:
        with torch.no_grad():
            latents = vae.encode(pixels.to(vae.dtype)).latent_dist.mode()
    finally:
        if upcast:
            vae.to(torch.float16)
    return (latents * vae.config.scaling_factor).to(pipe.unet.dtype)


def _made(request: GenerationRequest) -> GenerationRequest:
    """The request at the size it makes, for the out-of-memory message."""
    width, height = target_size(request)
    return dataclasses.replace(request, width=width, height=height)


def _call(pipe, request: GenerationRequest, reporter, generators, steps=None, **start):
    """One pass of the pipeline, its failures as the person's messages."""
    try:
        output = pipe(
            **start,
            prompt=request.prompt,
            negative_prompt=request.negative_prompt or None,
            num_inference_steps=steps or request.steps,
            guidance_scale=request.cfg_scale,
            num_images_per_prompt=request.n,
            generator=generators,
            callback_on_step_end=reporter,
            callback_on_step_end_tensor_inputs=["latents"],
        )
    except torch.OutOfMemoryError as exc:
        raise _out_of_memory(_made(request)) from exc
    except RuntimeError as exc:
        if "out of memory" in str(exc).lower():  # MPS reports it this way
            raise _out_of_memory(_made(request)) from exc
        raise
    except ValueError as exc:
        raise BackendError(f"The pipeline refused this request: {_detail(exc)}") from exc
    if reporter.cancelled:
        raise Cancelled()
    return output
