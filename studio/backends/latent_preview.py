"""A cheap look at the latents while sampling runs.

Decoding with the VAE costs as much as a denoising step; this costs a few
milliseconds. Each pixel's colour is an affine map of its four latent
channels, so the preview is 1/8 of the image size (SD and SDXL VAEs), blurry
and a little off in colour, but it shows the composition emerging.

The coefficients are hand-chosen and rounded to 0.05. What is known about the
two latent spaces: in both, channel 0 carries most of the brightness and
channel 3 pulls against it; in SD 1.x/2.x channel 2 trades red for blue,
while in SDXL channel 1 trades red for cyan. They can be refitted by least
squares of a real VAE's decoded pixels (downscaled 8x) against its latents.
"""

from __future__ import annotations

import torch
from PIL import Image

MAX_SIDE = 256

# Rows: latent channels 0..3; columns: R, G, B. Output is in [-1, 1].
SD_FACTORS = (
    (0.35, 0.25, 0.30),
    (0.30, 0.50, 0.25),
    (-0.30, 0.15, 0.25),
    (-0.20, -0.25, -0.70),
)
SD_BIAS = (0.0, 0.0, 0.0)

SDXL_FACTORS = (
    (0.35, 0.40, 0.45),
    (-0.25, 0.00, 0.10),
    (0.10, 0.10, -0.05),
    (-0.30, -0.25, -0.20),
)
SDXL_BIAS = (0.10, -0.02, 0.0)


def latents_to_preview(latents: torch.Tensor, *, sdxl: bool) -> Image.Image:
    """An RGB preview of the first latent of a (batch, 4, h, w) tensor, longest side <= 256."""
    if latents.ndim != 4 or latents.shape[1] != 4:
        raise ValueError(f"expected latents of shape (batch, 4, h, w), got {tuple(latents.shape)}")
    factors, bias = (SDXL_FACTORS, SDXL_BIAS) if sdxl else (SD_FACTORS, SD_BIAS)
    sample = latents[0].detach().float()
    weights = torch.tensor(factors, dtype=sample.dtype, device=sample.device)
    offset = torch.tensor(bias, dtype=sample.dtype, device=sample.device)
    rgb = torch.einsum("chw,cr->hwr", sample, weights) + offset
    pixels = ((rgb + 1.0) * 127.5).clamp(0, 255).to(torch.uint8).cpu().numpy()
    image = Image.fromarray(pixels)
    image.thumbnail((MAX_SIDE, MAX_SIDE))  # shrinks only, keeps the aspect ratio
    return image
