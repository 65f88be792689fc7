"""The starting image brought to the job's size by A1111's three resize modes."""

import pytest
from PIL import Image

from studio.backends.init_image import fit_to_size, resize_mode_key


def two_halves(width, height):
    """Left half red, right half blue."""
    image = Image.new("RGB", (width, height), (255, 0, 0))
    image.paste((0, 0, 255), (width // 2, 0, width, height))
    return image


@pytest.mark.parametrize("mode", ["crop", "fit", "stretch"])
def test_every_mode_gives_the_jobs_size_in_rgb(mode):
    out = fit_to_size(two_halves(90, 30).convert("RGBA"), 64, 48, mode)
    assert out.size == (64, 48) and out.mode == "RGB"


def test_stretch_keeps_everything_and_changes_proportions():
    out = fit_to_size(two_halves(120, 40), 64, 64, "stretch")
    assert out.getpixel((2, 32)) == (255, 0, 0) and out.getpixel((61, 32)) == (0, 0, 255)


def test_crop_cuts_the_overflow_off_evenly():
    wide = Image.new("RGB", (120, 40), (0, 255, 0))
    wide.paste((255, 0, 0), (0, 0, 40, 40))  # a red third on the left: cut off
    out = fit_to_size(wide, 40, 40, "crop")
    assert out.getpixel((1, 20)) == (0, 255, 0) and out.getpixel((38, 20)) == (0, 255, 0)


def test_fit_keeps_everything_and_fills_with_the_edges():
    out = fit_to_size(two_halves(80, 40), 80, 80, "fit")  # bars above and below
    assert out.getpixel((5, 2)) == (255, 0, 0) and out.getpixel((75, 77)) == (0, 0, 255)


def test_a1111_names_and_keys_both_name_a_mode():
    assert resize_mode_key("Crop and resize") == "crop"
    assert resize_mode_key("Just resize") == "stretch"
    assert resize_mode_key("fit") == "fit"
    assert resize_mode_key("Just resize (latent upscale)") is None
