import io

from PIL import Image, ImageCms

from imaging.tests.sample_images import encode, photo_like, transparent_circle
from imaging.thumbnails import make_avatar, make_preview, make_thumbnail


def open_webp(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "WEBP"
    image.load()
    return image


def test_it_makes_a_webp_384_pixels_wide():
    data, width, height = make_thumbnail(photo_like(800, 600))

    image = open_webp(data)
    assert (width, height) == (384, 288)
    assert image.size == (384, 288)


def test_it_keeps_a_photo_tile_under_25_kb():
    data, _, _ = make_thumbnail(photo_like(1024, 1024))

    assert len(data) <= 25_000


def test_it_preserves_the_aspect_ratio_of_a_tall_image():
    _, width, height = make_thumbnail(photo_like(300, 900), width=120)

    assert (width, height) == (120, 360)


def test_it_never_upscales_a_small_image():
    data, width, height = make_thumbnail(photo_like(100, 50))

    assert (width, height) == (100, 50)
    assert open_webp(data).size == (100, 50)


def test_it_keeps_transparency_of_an_rgba_image():
    data, _, _ = make_thumbnail(transparent_circle(80))

    image = open_webp(data)
    assert image.mode == "RGBA"
    assert image.getpixel((0, 0))[3] == 0
    assert image.getpixel((40, 40))[3] == 255


def test_it_drops_an_alpha_channel_that_is_fully_opaque():
    data, _, _ = make_thumbnail(photo_like(64, 64).convert("RGBA"))

    assert open_webp(data).mode == "RGB"


def test_it_converts_a_palette_image_with_a_transparent_colour():
    palette_image = transparent_circle(64).convert("P")
    palette_image.info["transparency"] = palette_image.getpixel((0, 0))

    image = open_webp(make_thumbnail(palette_image)[0])

    assert image.mode == "RGBA"
    assert image.getpixel((0, 0))[3] == 0


def test_it_converts_grey_with_alpha():
    image = Image.merge("LA", (Image.new("L", (32, 32), 200), Image.new("L", (32, 32), 128)))

    thumbnail = open_webp(make_thumbnail(image)[0])

    assert thumbnail.mode == "RGBA"
    assert abs(thumbnail.getpixel((16, 16))[3] - 128) <= 2


def test_it_converts_cmyk():
    image = Image.new("CMYK", (40, 40), (0, 255, 255, 0))  # pure red ink

    red, green, blue = open_webp(make_thumbnail(image)[0]).getpixel((20, 20))

    assert red > 200 and green < 60 and blue < 60


def test_it_scales_16_bit_grey_instead_of_clipping_it_to_white():
    image = Image.new("I;16", (40, 40), 32768)  # mid grey on a 0..65535 scale

    red, green, blue = open_webp(make_thumbnail(image)[0]).getpixel((20, 20))

    assert 110 < red < 145 and red == green == blue


def test_it_reads_a_16_bit_png():
    png = encode(Image.new("I;16", (40, 40), 65535), "PNG")

    thumbnail = open_webp(make_thumbnail(Image.open(io.BytesIO(png)))[0])

    assert thumbnail.getpixel((20, 20))[0] > 240


def test_it_turns_an_image_the_way_its_exif_orientation_says():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    jpeg = encode(photo_like(60, 40), "JPEG", exif=exif)

    _, width, height = make_thumbnail(Image.open(io.BytesIO(jpeg)))

    assert (width, height) == (40, 60)


def test_it_turns_a_large_image_after_shrinking_it_first():
    exif = Image.Exif()
    exif[0x0112] = 6
    jpeg = encode(photo_like(3000, 2000), "JPEG", exif=exif)

    data, width, height = make_thumbnail(Image.open(io.BytesIO(jpeg)))

    assert (width, height) == (384, 576) and open_webp(data).size == (384, 576)


def test_an_image_taller_than_webp_allows_gets_a_thumbnail_webp_can_store():
    data, width, height = make_thumbnail(Image.new("L", (1, 16_384), 128))

    assert (width, height) == (1, 16_383) and open_webp(data).size == (1, 16_383)


def test_it_keeps_the_colours_of_a_large_image_with_an_icc_profile():
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    png = encode(Image.new("RGB", (3000, 3000), (10, 120, 240)), "PNG", icc_profile=profile)

    pixel = open_webp(make_thumbnail(Image.open(io.BytesIO(png)))[0]).getpixel((15, 15))

    assert all(abs(a - b) <= 6 for a, b in zip(pixel, (10, 120, 240), strict=True))


def test_it_accepts_an_image_with_an_srgb_icc_profile():
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    png = encode(Image.new("RGB", (30, 30), (10, 120, 240)), "PNG", icc_profile=profile)

    pixel = open_webp(make_thumbnail(Image.open(io.BytesIO(png)))[0]).getpixel((15, 15))

    assert all(abs(a - b) <= 6 for a, b in zip(pixel, (10, 120, 240), strict=True))


def test_it_makes_a_square_avatar_from_the_centre():
    image = Image.new("RGB", (900, 300), "red")
    image.paste(Image.new("RGB", (300, 300), "lime"), (300, 0))

    avatar = open_webp(make_avatar(image))

    assert avatar.size == (256, 256)
    red, green, blue = avatar.getpixel((128, 128))
    assert green > 200 and red < 50 and blue < 50
    assert avatar.getpixel((2, 128))[0] < 50  # no red from the sides


def test_it_makes_an_avatar_no_larger_than_the_image():
    avatar = open_webp(make_avatar(photo_like(120, 90), size=256))

    assert avatar.size == (90, 90)


def test_it_makes_a_preview_that_fits_the_box():
    preview = open_webp(make_preview(photo_like(1024, 768), max_side=256))

    assert preview.size == (256, 192)


def test_it_makes_a_preview_of_a_tiny_latent_sized_image():
    preview = open_webp(make_preview(photo_like(64, 64)))

    assert preview.size == (64, 64)


def test_it_makes_a_preview_smaller_than_the_thumbnail():
    image = photo_like(1024, 1024)

    preview = make_preview(image, max_side=384)
    thumbnail, _, _ = make_thumbnail(image, width=384)

    assert len(preview) < len(thumbnail)
