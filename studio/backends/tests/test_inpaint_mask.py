"""The inpainting mask and A1111's steps around the engine, in plain PIL."""

from PIL import Image, ImageDraw

from studio.backends.inpaint_mask import (
    crop_region,
    expand_to_ratio,
    fill,
    is_empty,
    is_full,
    prepare,
    read_mask,
)


def rectangle(size, box, mode="L", fill_value=255, background=0):
    mask = Image.new(mode, size, background)
    ImageDraw.Draw(mask).rectangle(box, fill=fill_value)
    return mask


def noise(size, seed=1):
    import random

    rng = random.Random(seed)
    data = bytes(rng.randrange(256) for _ in range(size[0] * size[1] * 3))
    return Image.frombytes("RGB", size, data)


def test_a_mask_is_read_from_grey_levels_or_from_alpha():
    grey = read_mask(rectangle((10, 10), (2, 2, 5, 5), fill_value=200))
    assert grey.getpixel((3, 3)) == 255 and grey.getpixel((8, 8)) == 0
    # A stroke on a clear layer: what is painted is the mask, whatever its colour.
    layer = rectangle((10, 10), (2, 2, 5, 5), mode="RGBA", fill_value=(200, 0, 0, 255))
    layer.putpixel((8, 8), (255, 255, 255, 0))
    strokes = read_mask(layer)
    assert strokes.getpixel((3, 3)) == 255 and strokes.getpixel((8, 8)) == 0
    assert is_empty(read_mask(Image.new("L", (4, 4), 0)))
    assert is_full(read_mask(Image.new("RGB", (4, 4), (255, 255, 255))))


def test_the_crop_region_is_padded_and_grown_to_the_job_proportions():
    mask = rectangle((200, 100), (90, 40, 109, 59))
    assert crop_region(mask, 10) == (80, 30, 120, 70)
    assert crop_region(Image.new("L", (8, 8)), 4) is None
    box = expand_to_ratio((80, 30, 120, 70), 128, 64, 200, 100)
    assert (box[2] - box[0]) == 2 * (box[3] - box[1]) and box[1] == 30
    # At the picture's edge the box slides inside it instead of leaving it.
    assert expand_to_ratio((0, 0, 20, 40), 64, 64, 200, 100) == (0, 0, 40, 40)


def test_paste_back_keeps_the_original_outside_the_mask():
    source = noise((120, 80))
    mask = rectangle(source.size, (40, 20, 79, 59))
    for area in ("whole", "masked"):
        prepared = prepare(source, mask, 64, 64, mask_blur=0, inpaint_area=area, padding=4)
        assert prepared.image.size == prepared.mask.size == (64, 64)
        result = prepared.paste_back(Image.new("RGB", (64, 64), (0, 255, 0)))
        if area == "masked":
            assert result.size == source.size
            assert result.getpixel((10, 10)) == source.getpixel((10, 10))
            assert result.getpixel((60, 40)) == (0, 255, 0)
        else:  # cropped to 64x64 first: the original is the cropped picture
            assert result.size == (64, 64)
            assert result.getpixel((1, 1)) == prepared.overlay.getpixel((1, 1))[:3]
            assert result.getpixel((32, 32)) == (0, 255, 0)


def test_fill_paints_only_the_masked_part_with_the_colours_around_it():
    source = Image.new("RGB", (64, 64), (0, 0, 255))
    ImageDraw.Draw(source).rectangle((16, 16, 47, 47), fill=(255, 0, 0))
    mask = rectangle(source.size, (16, 16, 47, 47))
    filled = fill(source, mask)
    assert filled.getpixel((2, 2)) == (0, 0, 255)
    red, green, blue = filled.getpixel((32, 32))
    assert blue > 200 and red < 50  # the red square gone, blue from around it
