"""A look at the picture while sampling runs.

Two ways, the better one when it can be had:

- **TAESD** (``AutoencoderTiny``, madebyollin's ``taesd`` for SD 1.x/2.x and
  ``taesdxl`` for SDXL): a small decoder trained to turn latents into the
  picture the full VAE would give, at full size, for a few percent of the
  VAE's cost. Used when its weights are on this machine: a ``taesd`` or
  ``taesdxl`` folder in the models folder (diffusers layout), or the hub's
  cache (``manage.py prefetch_model madebyollin/taesd``). Never downloaded
  during a job.
- **A linear map**, the fallback: each pixel's colour an affine map of its
  four latent channels, so the preview is 1/8 of the image size, blurry and a
  little off in colour, but it costs next to nothing and needs no weights.
  The factors are least-squares fits of each real VAE's decoded pixels
  (downscaled 8x) against its latents, as AUTOMATIC1111 and ComfyUI use them.

bench/previews.py measures both per step (bench/RESULTS.md).
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from PIL import Image

log = logging.getLogger(__name__)

MAX_SIDE = 256

# Rows: latent channels 0..3; columns: R, G, B. Output is in [-1, 1].
SD_FACTORS = (
    (0.3512, 0.2297, 0.3227),
    (0.3250, 0.4974, 0.2350),
    (-0.2829, 0.1762, 0.2721),
    (-0.2120, -0.2616, -0.7177),
)
SD_BIAS = (0.0, 0.0, 0.0)

SDXL_FACTORS = (
    (0.3651, 0.4232, 0.4341),
    (-0.2533, -0.0042, 0.1068),
    (0.1076, 0.1111, -0.0362),
    (-0.3165, -0.2492, -0.2188),
)
SDXL_BIAS = (0.1084, -0.0175, -0.0011)

TAESD_REPOS = {False: "madebyollin/taesd", True: "madebyollin/taesdxl"}


def latents_to_preview(latents: torch.Tensor, *, sdxl: bool) -> Image.Image:
    """An RGB preview of the first latent of a (batch, 4, h, w) tensor, longest side <= 256."""
    _check_shape(latents)
    factors, bias = (SDXL_FACTORS, SDXL_BIAS) if sdxl else (SD_FACTORS, SD_BIAS)
    sample = latents[0].detach().float()
    weights = torch.tensor(factors, dtype=sample.dtype, device=sample.device)
    offset = torch.tensor(bias, dtype=sample.dtype, device=sample.device)
    rgb = torch.einsum("chw,cr->hwr", sample, weights) + offset
    return _to_image(rgb)


def decode_preview(decoder, latents: torch.Tensor) -> Image.Image:
    """The first latent decoded by TAESD (``decoder``, an AutoencoderTiny),
    longest side <= 256."""
    _check_shape(latents)
    with torch.no_grad():
        rgb = decoder.decode(latents[:1].to(decoder.device, decoder.dtype)).sample[0]
    return _to_image(rgb.float().permute(1, 2, 0))


def load_tiny_decoder(sdxl: bool, models_dir: Path | None, device: str, dtype: torch.dtype):
    """TAESD for this latent space when its weights are here (see the module's
    docstring), moved to ``device``; None when they are not."""
    from diffusers import AutoencoderTiny

    repo = TAESD_REPOS[sdxl]
    folder = Path(models_dir) / repo.split("/")[1] if models_dir else None
    sources = [str(folder)] if folder and folder.is_dir() else []
    for source in [*sources, repo]:
        try:
            decoder = AutoencoderTiny.from_pretrained(
                source, torch_dtype=dtype, local_files_only=True
            )
        except Exception as exc:  # not here (the usual case), or unreadable
            if source != repo:
                log.warning("TAESD weights in %s could not be loaded: %s", source, exc)
            continue
        return decoder.to(device).eval()
    return None


def _check_shape(latents: torch.Tensor) -> None:
    if latents.ndim != 4 or latents.shape[1] != 4:
        raise ValueError(f"expected latents of shape (batch, 4, h, w), got {tuple(latents.shape)}")


def _to_image(rgb: torch.Tensor) -> Image.Image:
    """(h, w, 3) values in [-1, 1] as a picture, longest side <= 256."""
    pixels = ((rgb + 1.0) * 127.5).clamp(0, 255).to(torch.uint8).cpu().numpy()
    image = Image.fromarray(pixels)
    image.thumbnail((MAX_SIDE, MAX_SIDE))  # shrinks only, keeps the aspect ratio
    return image
