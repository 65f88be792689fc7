"""The dHash: the same picture re-encoded or resized stays within a few bits,
different pictures are far apart, and odd modes and tiny images hash too."""

import io

import pytest
from PIL import Image

from imaging.perceptual_hash import dhash, distance
from imaging.tests.sample_images import photo_like


def test_the_same_picture_resized_or_recompressed_is_near():
    picture = photo_like(512, 512)
    jpeg = io.BytesIO()
    picture.save(jpeg, "JPEG", quality=60)
    for other in (picture.resize((300, 300)), picture.resize((1024, 1024)), Image.open(jpeg)):
        assert distance(dhash(picture), dhash(other)) <= 10


def test_different_pictures_are_far_apart():
    hashes = [dhash(photo_like(256, 256, seed=seed)) for seed in range(6)]
    assert min(distance(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1 :]) > 10


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "I;16", "RGBA", "CMYK"])
def test_every_mode_and_a_one_pixel_image_hash_to_16_hex_digits(mode):
    for size in ((1, 1), (64, 48)):
        value = dhash(Image.new(mode, size))
        assert len(value) == 16 and int(value, 16) >= 0
