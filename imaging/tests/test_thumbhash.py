import base64
import hashlib
import io

import pytest
from PIL import Image

from imaging.tests.sample_images import left_dark_right_light, photo_like, transparent_circle
from imaging.tests.thumbhash_decoder import thumbhash_to_data_url, thumbhash_to_image
from imaging.thumbhash import image_to_thumbhash

REFERENCE_HASH = "Ggg2daCpWAZ2homHiJiYYD/YyI+L"
REFERENCE_PIXELS_SHA256 = "0ecff26451f2b9e1e004c9a95dd0db4163a40b55b25b153e1f3567af133610e9"


def average_colour(image: Image.Image) -> tuple[float, ...]:
    pixels = image.convert("RGBA").tobytes()
    count = len(pixels) // 4
    return tuple(sum(pixels[band::4]) / count for band in range(4))


def test_it_round_trips_a_solid_red_image_to_red():
    thumbhash = image_to_thumbhash(Image.new("RGB", (64, 64), (255, 0, 0)))

    red, green, blue, alpha = average_colour(thumbhash_to_image(thumbhash))

    assert red > 230 and green < 30 and blue < 30 and alpha == 255


def test_it_keeps_the_direction_of_a_gradient():
    decoded = thumbhash_to_image(image_to_thumbhash(left_dark_right_light(64, 48)))

    middle = decoded.height // 2
    left = decoded.getpixel((1, middle))[0]
    right = decoded.getpixel((decoded.width - 2, middle))[0]
    assert right - left > 100


def test_it_fits_in_25_bytes():
    for image in (photo_like(300, 200), transparent_circle(), Image.new("L", (5, 90), 9)):
        thumbhash = image_to_thumbhash(image)

        assert len(base64.b64decode(thumbhash)) <= 25


def test_it_writes_standard_padded_base64():
    thumbhash = image_to_thumbhash(photo_like(300, 300))

    assert len(thumbhash) % 4 == 0
    assert base64.b64encode(base64.b64decode(thumbhash)).decode() == thumbhash


def test_it_remembers_transparency():
    decoded = thumbhash_to_image(image_to_thumbhash(transparent_circle(80)))

    assert decoded.mode == "RGBA"
    corner_alpha = decoded.getpixel((0, 0))[3]
    centre = decoded.getpixel((decoded.width // 2, decoded.height // 2))
    assert corner_alpha < 60
    assert centre[3] > 200
    assert centre[1] > centre[0] and centre[1] > centre[2]  # still green


def test_it_remembers_the_aspect_ratio():
    wide = thumbhash_to_image(image_to_thumbhash(photo_like(400, 200)))
    tall = thumbhash_to_image(image_to_thumbhash(photo_like(200, 400)))

    # The hash keeps the ratio only roughly (as a ratio of small integers): 2:1 → 7:4.
    assert wide.size == (32, 18)
    assert tall.size == (18, 32)


def test_it_shrinks_a_large_image_before_hashing():
    large = photo_like(2000, 1500)

    assert image_to_thumbhash(large) == image_to_thumbhash(large.resize((100, 75), Image.BOX))


def test_it_hashes_images_in_any_mode():
    for mode in ("1", "L", "LA", "P", "CMYK", "I;16", "RGBA"):
        thumbhash = image_to_thumbhash(photo_like(50, 40).convert(mode))

        assert thumbhash_to_image(thumbhash).size == (32, 27)


def test_it_matches_the_reference_implementation():
    # Hashed by Evan Wallace's thumbhash.js 0.1.1 from the same 3×2 RGBA pixels.
    pixels = bytes(
        [255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255]
        + [255, 255, 255, 255, 0, 0, 0, 255, 128, 128, 128, 255]
    )
    image = Image.frombytes("RGBA", (3, 2), pixels)

    assert image_to_thumbhash(image) == REFERENCE_HASH


def test_it_decodes_like_the_reference_implementation():
    # thumbhash.js 0.1.1 decodes REFERENCE_HASH into 32×23 pixels with this SHA-256.
    decoded = thumbhash_to_image(REFERENCE_HASH)

    assert decoded.size == (32, 23)
    assert hashlib.sha256(decoded.tobytes()).hexdigest() == REFERENCE_PIXELS_SHA256


def test_it_reads_url_safe_base64_without_padding():
    thumbhash = image_to_thumbhash(photo_like(64, 64))
    url_safe = thumbhash.replace("+", "-").replace("/", "_").rstrip("=")

    assert thumbhash_to_image(url_safe).tobytes() == thumbhash_to_image(thumbhash).tobytes()


def test_it_rejects_text_that_is_not_a_hash():
    with pytest.raises(ValueError):
        thumbhash_to_image("not a hash!")
    with pytest.raises(ValueError):
        thumbhash_to_image("AAAA")


def test_it_makes_a_png_data_url():
    url = thumbhash_to_data_url(image_to_thumbhash(photo_like(64, 64)))

    assert url.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(url.removeprefix("data:image/png;base64,"))))
    assert image.format == "PNG"
    assert image.size == (32, 32)
