import io
import resource
import struct
import time
import warnings
import zlib

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from imaging.png_metadata import encode_user_comment, format_parameters, read_recipe
from imaging.tests.sample_images import encode, photo_like, png_chunk, png_chunks
from imaging.validation import InvalidImage, ValidatedImage, validate_image

MB = 1 << 20
LIMITS = {"max_bytes": 20 * MB, "max_pixels": 40_000_000}

A1111_TEXT = (
    "a red fox in the snow\n"
    "Negative prompt: blurry\n"
    "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 99, Size: 64x48, "
    "Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.9.4"
)


def validate(data, **limits) -> ValidatedImage:
    return validate_image(data, **{**LIMITS, **limits})


def encoded(validated: ValidatedImage) -> bytes:
    """The bytes stored for an upload that keeps the recipe its file carried."""
    return validated.encode(validated.recipe)


def rejection(data, **limits) -> InvalidImage:
    with pytest.raises(InvalidImage) as caught:
        validate(data, **limits)
    return caught.value


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature and header promising width × height pixels, and no pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b""))
        + png_chunk(b"IEND", b"")
    )


def exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 12.5), 3: "E", 4: (4.0, 53.0, 30.0)}  # GPS
    return exif


class CountingReader(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_it_accepts_a_png():
    validated = validate(encode(photo_like(64, 48), "PNG"))

    assert (validated.format, validated.extension) == ("PNG", ".png")
    assert (validated.width, validated.height) == (64, 48)
    assert validated.image.size == (64, 48)
    assert validated.recipe is None
    assert Image.open(io.BytesIO(encoded(validated))).format == "PNG"


def test_it_accepts_a_jpeg():
    validated = validate(encode(photo_like(64, 48), "JPEG"))

    assert (validated.format, validated.extension) == ("JPEG", ".jpg")
    assert Image.open(io.BytesIO(encoded(validated))).format == "JPEG"


def test_it_accepts_a_webp():
    validated = validate(encode(photo_like(64, 48), "WEBP"))

    assert (validated.format, validated.extension) == ("WEBP", ".webp")
    assert Image.open(io.BytesIO(encoded(validated))).format == "WEBP"


def test_it_accepts_a_file_object():
    validated = validate(io.BytesIO(encode(photo_like(32, 32), "PNG")))

    assert validated.format == "PNG"


def test_it_returns_a_fully_loaded_image():
    validated = validate(encode(photo_like(32, 32), "JPEG"))

    assert validated.image.getpixel((5, 5))  # readable with the source gone
    assert validated.image.size == (32, 32)


def test_it_rejects_a_text_file_named_png():
    upload = io.BytesIO(b"<html>definitely not a picture</html>\n" * 10)
    upload.name = "cat.png"

    error = rejection(upload)

    assert error.message == "This file is not an image we can read (PNG, JPEG or WebP)."
    assert error.code == "unsupported"
    assert str(error) == error.message


def test_it_rejects_an_empty_file():
    error = rejection(b"")

    assert error.message == "The file is empty."
    assert error.code == "empty"


def test_it_rejects_a_gif():
    error = rejection(encode(photo_like(32, 32), "GIF"))

    assert error.code == "unsupported"


def test_it_rejects_a_file_over_the_size_limit_without_reading_it_all():
    upload = CountingReader(encode(photo_like(256, 256), "PNG") + b"\0" * (3 * MB))

    error = rejection(upload, max_bytes=2 * MB)

    assert error.message == "The image is larger than 2 MB."
    assert error.code == "too_large"
    assert upload.bytes_read == 2 * MB + 1


def test_it_accepts_a_file_exactly_at_the_size_limit():
    png = encode(photo_like(32, 32), "PNG")

    assert validate(png, max_bytes=len(png)).format == "PNG"


def test_it_rejects_a_crafted_png_header_claiming_100000_by_100000_pixels_quickly():
    bomb = png_header_only(100_000, 100_000)
    memory_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    started = time.perf_counter()

    error = rejection(bomb)

    assert time.perf_counter() - started < 1.0
    memory_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - memory_before
    assert memory_growth < 50 * 1024  # nowhere near the 30 GB those pixels would take
    assert error.message == "The image has too many pixels (max 40 megapixels)."
    assert error.code == "too_many_pixels"


def test_it_rejects_an_image_over_the_pixel_limit_from_its_header():
    error = rejection(png_header_only(5000, 3000), max_pixels=10_000_000)

    assert error.message == "The image has too many pixels (max 10 megapixels)."


def test_it_checks_the_pixel_limit_on_real_images_too():
    error = rejection(encode(photo_like(100, 100), "WEBP"), max_pixels=9_999)

    assert error.code == "too_many_pixels"


def test_it_turns_pillows_decompression_bomb_warning_into_a_rejection():
    # 100 megapixels is above Pillow's warning threshold (about 89) but under our limit.
    error = rejection(png_header_only(10_000, 10_000), max_pixels=10**12)

    assert error.code == "too_many_pixels"


def test_it_rejects_a_side_longer_than_max_side_from_its_header():
    error = rejection(png_header_only(1, 40_000_000), max_side=16_384)

    assert error.message == "The image is too long on one side (max 16384 pixels a side)."
    assert error.code == "too_long"


def test_decoding_leaves_the_warning_filters_other_threads_see_alone(monkeypatch):
    # warnings.catch_warnings swaps the process-wide filter list: a thread that decodes
    # while another leaves the block keeps (or loses) the other's filters for good.
    seen = []
    real_open = Image.open

    def open_and_look(*args, **kwargs):
        seen.append(list(warnings.filters))
        return real_open(*args, **kwargs)

    before = list(warnings.filters)
    monkeypatch.setattr(Image, "open", open_and_look)
    validate(encode(photo_like(16, 16), "PNG"))

    assert seen == [before]


def test_it_rejects_a_truncated_png():
    png = encode(photo_like(128, 128), "PNG")

    error = rejection(png[: len(png) // 2])

    assert error.message == "The image file is damaged or incomplete."
    assert error.code == "damaged"


def test_it_rejects_a_truncated_jpeg():
    jpeg = encode(photo_like(128, 128), "JPEG")

    assert rejection(jpeg[: len(jpeg) // 2]).code == "damaged"


def test_it_rejects_a_truncated_webp():
    webp = encode(photo_like(128, 128), "WEBP")

    assert rejection(webp[: len(webp) // 2]).code in ("damaged", "unsupported")


def test_it_rejects_a_png_with_corrupt_pixel_data():
    png = encode(photo_like(64, 64), "PNG")
    chunks = png_chunks(png)
    corrupted = [
        (chunk_type, b"\x78\x9c" + b"\xff" * (len(body) - 2) if chunk_type == b"IDAT" else body)
        for chunk_type, body in chunks
    ]

    error = rejection(png[:8] + b"".join(png_chunk(*chunk) for chunk in corrupted))

    assert error.code == "damaged"


def test_it_strips_gps_and_camera_data_from_a_jpeg():
    jpeg = encode(photo_like(64, 48), "JPEG", exif=exif_with_gps())
    assert Image.open(io.BytesIO(jpeg)).getexif().get_ifd(0x8825)  # the upload has GPS

    validated = validate(jpeg)

    cleaned = Image.open(io.BytesIO(encoded(validated)))
    assert b"Exif" not in encoded(validated)
    assert b"PhoneMaker" not in encoded(validated)
    assert not cleaned.getexif().get_ifd(0x8825)
    assert "exif" not in cleaned.info


def test_it_reencodes_a_jpeg_at_quality_92():
    validated = validate(encode(photo_like(64, 64), "JPEG", quality=50))

    reencoded = encode(validated.image, "JPEG", quality=92)
    assert encoded(validated) == reencoded


def test_it_turns_a_jpeg_upright_by_its_exif_orientation():
    exif = exif_with_gps()
    exif[0x0112] = 6  # displayed rotated 90° clockwise
    jpeg = encode(photo_like(64, 48), "JPEG", exif=exif)

    validated = validate(jpeg)

    assert (validated.width, validated.height) == (48, 64)
    assert Image.open(io.BytesIO(encoded(validated))).size == (48, 64)


def test_it_keeps_the_recipe_of_a_png_from_a1111():
    png = encode(photo_like(64, 48), "PNG", pnginfo=a1111_info(A1111_TEXT), exif=exif_with_gps())

    validated = validate(png)

    assert validated.recipe["prompt"] == "a red fox in the snow"
    assert validated.recipe["seed"] == 99
    assert validated.recipe["model_hash"] == "6ce0161689"
    assert read_recipe(encoded(validated)) == validated.recipe
    chunk_types = [chunk_type for chunk_type, _ in png_chunks(encoded(validated))]
    assert chunk_types == [b"IHDR", b"tEXt", b"iTXt", b"IDAT", b"IEND"]


def test_it_strips_all_metadata_from_a_png_without_a_recipe():
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    info = a1111_info("")
    info.add_text("Author", "Somebody")
    png = encode(photo_like(32, 32), "PNG", pnginfo=info, exif=exif_with_gps(), icc_profile=profile)

    validated = validate(png)

    assert [chunk_type for chunk_type, _ in png_chunks(encoded(validated))] == [
        b"IHDR",
        b"IDAT",
        b"IEND",
    ]
    assert validated.recipe is None


def test_it_keeps_the_recipe_of_a_jpeg_and_nothing_else():
    exif = exif_with_gps()
    exif[0x8769] = {0x9286: encode_user_comment(A1111_TEXT)}
    jpeg = encode(photo_like(64, 48), "JPEG", exif=exif)

    validated = validate(jpeg)

    assert validated.recipe["sampler"] == "Euler a"
    assert read_recipe(encoded(validated)) == validated.recipe
    cleaned_exif = Image.open(io.BytesIO(encoded(validated))).getexif()
    assert list(cleaned_exif) == [0x8769]
    assert not cleaned_exif.get_ifd(0x8825)
    assert b"PhoneMaker" not in encoded(validated)


def test_it_keeps_the_recipe_of_a_webp():
    exif = Image.Exif()
    exif[0x8769] = {0x9286: encode_user_comment(A1111_TEXT)}

    validated = validate(encode(photo_like(64, 48), "WEBP", exif=exif))

    assert read_recipe(encoded(validated)) == validated.recipe
    assert format_parameters(validated.recipe).startswith("a red fox")


def test_it_keeps_a_lossless_webp_lossless():
    image = photo_like(64, 48)

    validated = validate(encode(image, "WEBP", lossless=True))

    assert b"VP8L" in encoded(validated)[:40]
    assert Image.open(io.BytesIO(encoded(validated))).tobytes() == image.tobytes()


def test_it_keeps_a_lossy_webp_lossy():
    validated = validate(encode(photo_like(64, 48), "WEBP", quality=80))

    assert b"VP8 " in encoded(validated)[:40]


def test_it_keeps_the_transparency_of_a_webp():
    image = Image.new("RGBA", (32, 32), (255, 0, 0, 0))
    image.paste((0, 0, 255, 255), (8, 8, 24, 24))

    validated = validate(encode(image, "WEBP", lossless=True))

    cleaned = Image.open(io.BytesIO(encoded(validated)))
    assert cleaned.mode == "RGBA"
    assert cleaned.getpixel((0, 0))[3] == 0
    assert cleaned.getpixel((16, 16)) == (0, 0, 255, 255)


def test_it_keeps_the_first_frame_of_an_animated_png():
    red, blue = Image.new("RGB", (32, 32), "red"), Image.new("RGB", (32, 32), "blue")
    apng = encode(red, "PNG", save_all=True, append_images=[blue], duration=100)
    assert Image.open(io.BytesIO(apng)).n_frames == 2

    validated = validate(apng)

    assert validated.image.getpixel((16, 16))[:3] == (255, 0, 0)
    assert getattr(Image.open(io.BytesIO(encoded(validated))), "n_frames", 1) == 1


def test_it_keeps_the_first_frame_of_an_animated_webp():
    red, blue = Image.new("RGB", (32, 32), "red"), Image.new("RGB", (32, 32), "blue")
    webp = encode(red, "WEBP", save_all=True, append_images=[blue], duration=100, lossless=True)
    assert Image.open(io.BytesIO(webp)).n_frames == 2

    validated = validate(webp)

    assert validated.image.getpixel((16, 16))[:3] == (255, 0, 0)
    assert getattr(Image.open(io.BytesIO(encoded(validated))), "n_frames", 1) == 1
    assert b"VP8L" in encoded(validated)[:40]  # the animation was lossless, so is its frame


def test_it_keeps_a_lossy_webp_with_alpha_lossy():
    image = Image.new("RGBA", (32, 32), (200, 10, 10, 120))

    validated = validate(encode(image, "WEBP", quality=80))

    assert b"VP8L" not in encoded(validated)
    assert Image.open(io.BytesIO(encoded(validated))).mode == "RGBA"


def test_it_converts_a_cmyk_jpeg_to_rgb():
    validated = validate(encode(Image.new("CMYK", (32, 32), (0, 255, 255, 0)), "JPEG"))

    cleaned = Image.open(io.BytesIO(encoded(validated)))
    assert cleaned.mode == "RGB"
    red, green, blue = cleaned.getpixel((16, 16))
    assert red > 200 and green < 60 and blue < 60


def test_it_keeps_a_16_bit_png_as_16_bit():
    validated = validate(encode(Image.new("I;16", (16, 16), 40000), "PNG"))

    assert Image.open(io.BytesIO(encoded(validated))).getpixel((8, 8)) == 40000


def test_it_keeps_a_palette_png_small():
    image = photo_like(64, 64).quantize(16)

    validated = validate(encode(image, "PNG"))

    assert Image.open(io.BytesIO(encoded(validated))).mode == "P"


def a1111_info(text: str) -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    if text:
        info.add_text("parameters", text)
    return info


def test_it_accepts_a_png_with_a_broken_colour_profile():
    png = encode(photo_like(32, 32), "PNG", icc_profile=b"not a profile" * 10)

    validated = validate(png)

    assert b"iCCP" not in encoded(validated)
    assert validated.image.tobytes() == photo_like(32, 32).tobytes()
