"""Real images for the tests, drawn with Pillow: gradients, shapes and soft noise."""

from __future__ import annotations

import io
import random
import zlib

from PIL import Image, ImageDraw, ImageFilter, PngImagePlugin


def photo_like(width: int = 1024, height: int = 1024, seed: int = 7) -> Image.Image:
    """An RGB picture with the statistics of a photo: smooth light, many shapes with soft
    edges, mid-scale texture and fine grain (a WebP of it is about as large as a photo's)."""
    rng = random.Random(seed)
    red = Image.linear_gradient("L").resize((width, height))
    green = Image.radial_gradient("L").resize((width, height))
    blue = Image.linear_gradient("L").rotate(90).resize((width, height))
    image = Image.merge("RGB", (red, green, blue))
    draw = ImageDraw.Draw(image)
    for _ in range(300):
        x, y = rng.randrange(width), rng.randrange(height)
        radius = rng.randrange(4, max(5, width // 8))
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(1.5))
    texture = noise(rng, max(1, width // 8), max(1, height // 8)).resize(
        (width, height), Image.Resampling.BICUBIC
    )
    grain = Image.blend(Image.new("L", (width, height), 128), noise(rng, width, height), 0.5)
    detail = Image.merge("RGB", (texture, grain, texture))
    return Image.blend(image, detail, 0.25)


def noise(rng: random.Random, width: int, height: int) -> Image.Image:
    """Uniform grey noise, the same for the same seed (Pillow's effect_noise is unseeded)."""
    return Image.frombytes("L", (width, height), rng.randbytes(width * height))


def left_dark_right_light(width: int = 64, height: int = 48) -> Image.Image:
    ramp = Image.linear_gradient("L").rotate(90)  # black on the left, white on the right
    return ramp.resize((width, height)).convert("RGB")


def transparent_circle(size: int = 80) -> Image.Image:
    """An opaque green disc on a fully transparent background."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((size // 4, size // 4, 3 * size // 4, 3 * size // 4), "#0a0")
    return image


def encode(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The (type, body) of every chunk in a PNG file, in order."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks = []
    position = 8
    while position < len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        chunk_type = data[position + 4 : position + 8]
        chunks.append((chunk_type, data[position + 8 : position + 8 + length]))
        position += 12 + length
    return chunks


def png_chunk(chunk_type: bytes, body: bytes) -> bytes:
    """One PNG chunk with its length and CRC, for crafting files by hand."""
    checksum = zlib.crc32(chunk_type + body)
    return len(body).to_bytes(4, "big") + chunk_type + body + checksum.to_bytes(4, "big")


# --- Files that once broke uploads, avatars and covers (issue 11, item 5) -----------------


def jpeg_with_long_recipe(characters: int = 40_000) -> bytes:
    """A JPEG whose EXIF UserComment holds a ``characters``-long prompt in ASCII: it fits
    in the file's EXIF, but would not once written back as A1111's UTF-16."""
    exif = Image.Exif()
    exif[0x8769] = {0x9286: b"ASCII\0\0\0" + b"x" * characters + b"\nSteps: 20, Seed: 1"}
    return encode(Image.new("RGB", (16, 16), "teal"), "JPEG", exif=exif.tobytes())


def png_with_deep_recipe(depth: int = 100_000) -> bytes:
    """A PNG whose ``atelier`` JSON nests ``depth`` arrays deep."""
    info = PngImagePlugin.PngInfo()
    info.add_itxt("atelier", "[" * depth + "]" * depth)
    return encode(Image.new("RGB", (16, 16), "teal"), "PNG", pnginfo=info)


def png_with_lone_surrogate_recipe() -> bytes:
    """A PNG whose A1111 text quotes a value holding a lone surrogate (``"\\ud800"``)."""
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", 'a lighthouse\nSteps: 20, Sampler: "Euler \\ud800", Seed: 1')
    return encode(Image.new("RGB", (16, 16), "teal"), "PNG", pnginfo=info)


def tall_png(height: int = 16_384) -> bytes:
    """A one pixel wide PNG, taller than WebP can store."""
    return encode(Image.new("L", (1, height), 128), "PNG")


def png_header_claiming(width: int, height: int) -> bytes:
    """A PNG of one IHDR, one tiny IDAT and IEND whose header claims ``width`` × ``height``."""
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\0\0"))
        + png_chunk(b"IEND", b"")
    )


TROUBLESOME_FILES = {
    "long-recipe.jpg": jpeg_with_long_recipe,
    "deep-recipe.png": png_with_deep_recipe,
    "surrogate-recipe.png": png_with_lone_surrogate_recipe,
    "tall.png": tall_png,
}
