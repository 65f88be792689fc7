import pytest

pytest.importorskip(
    "torch", reason="needs the local engine (torch, diffusers): pip install -e '.[local]'"
)

import torch

from studio.backends.latent_preview import latents_to_preview


def test_it_previews_the_first_image_at_latent_size():
    latents = torch.zeros(2, 4, 128, 96)
    latents[1] = 5.0  # the second image would be white

    preview = latents_to_preview(latents, sdxl=True)

    assert preview.size == (96, 128)
    assert preview.mode == "RGB"
    assert max(preview.getpixel((0, 0))) < 200


def test_it_shrinks_large_latents_to_256_on_the_longest_side():
    preview = latents_to_preview(torch.randn(1, 4, 512, 256), sdxl=False)

    assert preview.size == (128, 256)


def test_the_colour_follows_the_brightness_channel():
    dark = torch.zeros(1, 4, 8, 8)
    bright = dark.clone()
    bright[:, 0] = 2.0

    for sdxl in (False, True):
        dark_rgb = latents_to_preview(dark, sdxl=sdxl).getpixel((0, 0))
        bright_rgb = latents_to_preview(bright, sdxl=sdxl).getpixel((0, 0))
        assert all(b > d for b, d in zip(bright_rgb, dark_rgb, strict=True))


def test_it_refuses_latents_that_are_not_four_channels():
    with pytest.raises(ValueError, match="expected latents"):
        latents_to_preview(torch.zeros(1, 16, 8, 8), sdxl=False)
