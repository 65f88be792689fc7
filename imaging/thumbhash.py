"""ThumbHash: a ~25-byte placeholder of an image, after Evan Wallace's specification.

The image is turned into a lightness channel L, two colour channels P (yellow–blue) and
Q (red–green), and alpha A when it has transparency. Each channel is reduced to its
lowest few cosine (DCT) coefficients: the average (DC) goes into a packed header, the
others (AC) are scaled into [0, 1] and packed as 4-bit numbers, two per byte.

Hashes are exchanged as standard base64 *with* padding (``+`` and ``/``, ``=`` at the
end), which is what browsers' ``atob`` and the reference JavaScript decoder expect.
Only the browser decodes them (static/js/placeholders.js, with the format author's
own decoder); imaging/tests/thumbhash_decoder.py checks this encoder against it.
"""

from __future__ import annotations

import base64
import math

from PIL import Image

from imaging.color import to_rgb_or_rgba, to_srgb

MAX_INPUT_SIDE = 100


def image_to_thumbhash(image: Image.Image) -> str:
    """Return the ThumbHash of ``image`` as standard, padded base64."""
    rgba = _small_rgba(image)
    return base64.b64encode(rgba_to_thumbhash(rgba.width, rgba.height, rgba.tobytes())).decode(
        "ascii"
    )


# --- Encoding -----------------------------------------------------------------------------


def rgba_to_thumbhash(width: int, height: int, rgba: bytes) -> bytes:
    """Encode raw RGBA pixels (at most 100×100) into ThumbHash bytes."""
    if not (0 < width <= MAX_INPUT_SIDE and 0 < height <= MAX_INPUT_SIDE):
        raise ValueError(f"ThumbHash input must be at most 100×100, got {width}×{height}")
    pixel_count = width * height
    if len(rgba) != pixel_count * 4:
        raise ValueError("rgba must hold 4 bytes per pixel")

    # Average colour, weighted by alpha: it is what transparent pixels are filled with.
    avg_r = avg_g = avg_b = avg_a = 0.0
    for i in range(0, pixel_count * 4, 4):
        alpha = rgba[i + 3] / 255
        avg_r += alpha / 255 * rgba[i]
        avg_g += alpha / 255 * rgba[i + 1]
        avg_b += alpha / 255 * rgba[i + 2]
        avg_a += alpha
    if avg_a > 0:
        avg_r /= avg_a
        avg_g /= avg_a
        avg_b /= avg_a

    has_alpha = avg_a < pixel_count
    l_limit = 5 if has_alpha else 7  # fewer luminance coefficients leave room for alpha
    longer = max(width, height)
    lx = max(1, _round(l_limit * width / longer))
    ly = max(1, _round(l_limit * height / longer))

    l_channel: list[float] = []
    p_channel: list[float] = []
    q_channel: list[float] = []
    a_channel: list[float] = []
    for i in range(0, pixel_count * 4, 4):
        alpha = rgba[i + 3] / 255
        r = avg_r * (1 - alpha) + alpha / 255 * rgba[i]
        g = avg_g * (1 - alpha) + alpha / 255 * rgba[i + 1]
        b = avg_b * (1 - alpha) + alpha / 255 * rgba[i + 2]
        l_channel.append((r + g + b) / 3)
        p_channel.append((r + g) / 2 - b)
        q_channel.append(r - g)
        a_channel.append(alpha)

    l_dc, l_ac, l_scale = _encode_channel(l_channel, width, height, max(3, lx), max(3, ly))
    p_dc, p_ac, p_scale = _encode_channel(p_channel, width, height, 3, 3)
    q_dc, q_ac, q_scale = _encode_channel(q_channel, width, height, 3, 3)
    if has_alpha:
        a_dc, a_ac, a_scale = _encode_channel(a_channel, width, height, 5, 5)

    is_landscape = width > height
    header24 = (
        _round(63 * l_dc)
        | (_round(31.5 + 31.5 * p_dc) << 6)
        | (_round(31.5 + 31.5 * q_dc) << 12)
        | (_round(31 * l_scale) << 18)
        | (int(has_alpha) << 23)
    )
    header16 = (
        (ly if is_landscape else lx)
        | (_round(63 * p_scale) << 3)
        | (_round(63 * q_scale) << 9)
        | (int(is_landscape) << 15)
    )
    header = [
        header24 & 255,
        (header24 >> 8) & 255,
        header24 >> 16,
        header16 & 255,
        header16 >> 8,
    ]
    acs = [l_ac, p_ac, q_ac]
    if has_alpha:
        header.append(_round(15 * a_dc) | (_round(15 * a_scale) << 4))
        acs.append(a_ac)

    nibbles = [_round(15 * value) for ac in acs for value in ac]
    packed = bytearray(header)
    packed.extend(bytes((len(nibbles) + 1) // 2))
    ac_start = len(header)
    for index, nibble in enumerate(nibbles):
        packed[ac_start + (index >> 1)] |= nibble << ((index & 1) * 4)
    return bytes(packed)


def _encode_channel(
    channel: list[float], width: int, height: int, nx: int, ny: int
) -> tuple[float, list[float], float]:
    """DCT of one channel, keeping the triangle of coefficients with cx/nx + cy/ny < 1.

    Returns the DC term, the AC terms normalised into [0, 1], and their scale.
    """
    cos_x = [[math.cos(math.pi / width * cx * (x + 0.5)) for x in range(width)] for cx in range(nx)]
    dc = 0.0
    ac: list[float] = []
    scale = 0.0
    for cy in range(ny):
        # The DCT is separable: sum each column against cos(y) once, then against cos(x).
        column_sums = [0.0] * width
        for y in range(height):
            weight = math.cos(math.pi / height * cy * (y + 0.5))
            row = channel[y * width : (y + 1) * width]
            for x, value in enumerate(row):
                column_sums[x] += value * weight
        cx = 0
        while cx * ny < nx * (ny - cy):
            f = sum(s * c for s, c in zip(column_sums, cos_x[cx], strict=True)) / (width * height)
            if cx or cy:
                ac.append(f)
                scale = max(scale, abs(f))
            else:
                dc = f
            cx += 1
    if scale:
        ac = [0.5 + 0.5 / scale * value for value in ac]
    return dc, ac, scale


# --- Helpers ------------------------------------------------------------------------------


def _small_rgba(image: Image.Image) -> Image.Image:
    image = to_rgb_or_rgba(to_srgb(image))
    scale = min(1.0, MAX_INPUT_SIDE / max(image.width, image.height))
    size = (max(1, _round(image.width * scale)), max(1, _round(image.height * scale)))
    if size != image.size:
        image = image.resize(size, Image.Resampling.BOX)
    return image.convert("RGBA")


def _round(value: float) -> int:
    """Round half up, like JavaScript's Math.round (Python's round() rounds half to even)."""
    return math.floor(value + 0.5)
