"""ThumbHash: a ~25-byte placeholder of an image, after Evan Wallace's specification.

The image is turned into a lightness channel L, two colour channels P (yellow–blue) and
Q (red–green), and alpha A when it has transparency. Each channel is reduced to its
lowest few cosine (DCT) coefficients: the average (DC) goes into a packed header, the
others (AC) are scaled into [0, 1] and packed as 4-bit numbers, two per byte.

Hashes are exchanged as standard base64 *with* padding (``+`` and ``/``, ``=`` at the
end), which is what browsers' ``atob`` and the reference JavaScript decoder expect.
Decoding also accepts URL-safe base64 and missing padding.
"""

from __future__ import annotations

import base64
import binascii
import io
import math

from PIL import Image

from imaging.color import to_rgb_or_rgba, to_srgb

MAX_INPUT_SIDE = 100
DECODED_MAX_SIDE = 32


def image_to_thumbhash(image: Image.Image) -> str:
    """Return the ThumbHash of ``image`` as standard, padded base64."""
    rgba = _small_rgba(image)
    return base64.b64encode(rgba_to_thumbhash(rgba.width, rgba.height, rgba.tobytes())).decode(
        "ascii"
    )


def thumbhash_to_image(hash_b64: str) -> Image.Image:
    """Decode a ThumbHash into a blurry RGBA image whose longer side is 32 pixels."""
    width, height, rgba = thumbhash_to_rgba(decode_base64(hash_b64))
    return Image.frombytes("RGBA", (width, height), rgba)


def thumbhash_to_data_url(hash_b64: str) -> str:
    """Decode a ThumbHash into a ``data:image/png;base64,…`` URL usable as an <img> src."""
    buffer = io.BytesIO()
    thumbhash_to_image(hash_b64).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def decode_base64(hash_b64: str) -> bytes:
    """Read a hash written in standard or URL-safe base64, with or without padding."""
    text = hash_b64.strip().replace("-", "+").replace("_", "/").rstrip("=")
    text += "=" * (-len(text) % 4)
    try:
        data = base64.b64decode(text, validate=True)
    except binascii.Error as error:
        raise ValueError(f"Not a base64 ThumbHash: {hash_b64!r}") from error
    if len(data) < 5:
        raise ValueError(f"A ThumbHash has at least 5 bytes: {hash_b64!r}")
    return data


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


# --- Decoding -----------------------------------------------------------------------------


def thumbhash_to_rgba(thumbhash: bytes) -> tuple[int, int, bytes]:
    """Decode ThumbHash bytes into (width, height, RGBA bytes), longer side 32 pixels."""
    header24 = thumbhash[0] | (thumbhash[1] << 8) | (thumbhash[2] << 16)
    header16 = thumbhash[3] | (thumbhash[4] << 8)
    l_dc = (header24 & 63) / 63
    p_dc = ((header24 >> 6) & 63) / 31.5 - 1
    q_dc = ((header24 >> 12) & 63) / 31.5 - 1
    l_scale = ((header24 >> 18) & 31) / 31
    has_alpha = bool(header24 >> 23)
    p_scale = ((header16 >> 3) & 63) / 63
    q_scale = ((header16 >> 9) & 63) / 63
    is_landscape = bool(header16 >> 15)
    l_limit = 5 if has_alpha else 7
    lx = max(3, l_limit if is_landscape else header16 & 7)
    ly = max(3, header16 & 7 if is_landscape else l_limit)
    a_dc = (thumbhash[5] & 15) / 15 if has_alpha else 1.0
    a_scale = (thumbhash[5] >> 4) / 15 if has_alpha else 0.0

    nibbles = _NibbleReader(thumbhash, 6 if has_alpha else 5)
    l_ac = nibbles.read_channel(lx, ly, l_scale)
    p_ac = nibbles.read_channel(3, 3, p_scale * 1.25)
    q_ac = nibbles.read_channel(3, 3, q_scale * 1.25)
    a_ac = nibbles.read_channel(5, 5, a_scale) if has_alpha else []

    ratio = approximate_aspect_ratio(thumbhash)
    if ratio > 1:
        width, height = DECODED_MAX_SIDE, _round(DECODED_MAX_SIDE / ratio)
    else:
        width, height = _round(DECODED_MAX_SIDE * ratio), DECODED_MAX_SIDE
    width, height = max(1, width), max(1, height)

    l_terms = _triangle(lx, ly)
    pq_terms = _triangle(3, 3)
    a_terms = _triangle(5, 5) if has_alpha else []
    n_x = max(lx, 5 if has_alpha else 3)
    n_y = max(ly, 5 if has_alpha else 3)
    cos_x = [
        [math.cos(math.pi / width * (x + 0.5) * cx) for cx in range(n_x)] for x in range(width)
    ]
    cos_y = [
        [2 * math.cos(math.pi / height * (y + 0.5) * cy) for cy in range(n_y)]
        for y in range(height)
    ]

    out = bytearray(width * height * 4)
    i = 0
    for y in range(height):
        fy = cos_y[y]
        for x in range(width):
            fx = cos_x[x]
            # Accumulate in the reference decoder's order, so results match it to the bit.
            lum = l_dc
            for value, (cx, cy) in zip(l_ac, l_terms, strict=True):
                lum += value * fx[cx] * fy[cy]
            p = p_dc
            q = q_dc
            for j, (cx, cy) in enumerate(pq_terms):
                f = fx[cx] * fy[cy]
                p += p_ac[j] * f
                q += q_ac[j] * f
            a = a_dc
            for value, (cx, cy) in zip(a_ac, a_terms, strict=True):
                a += value * fx[cx] * fy[cy]

            b = lum - 2 / 3 * p
            r = (3 * lum - b + q) / 2
            g = r - q
            out[i] = _to_byte(r)
            out[i + 1] = _to_byte(g)
            out[i + 2] = _to_byte(b)
            out[i + 3] = _to_byte(a)
            i += 4
    return width, height, bytes(out)


def approximate_aspect_ratio(thumbhash: bytes) -> float:
    """Width / height of the original image, as far as the hash remembers it."""
    header = thumbhash[3]
    has_alpha = bool(thumbhash[2] & 0x80)
    is_landscape = bool(thumbhash[4] & 0x80)
    l_limit = 5 if has_alpha else 7
    lx = l_limit if is_landscape else header & 7
    ly = header & 7 if is_landscape else l_limit
    return lx / ly


class _NibbleReader:
    """Reads the packed 4-bit AC coefficients, low nibble first."""

    def __init__(self, thumbhash: bytes, start: int):
        self._hash = thumbhash
        self._start = start
        self._index = 0

    def read_channel(self, nx: int, ny: int, scale: float) -> list[float]:
        values = []
        for _ in _triangle(nx, ny):
            position = self._start + (self._index >> 1)
            if position >= len(self._hash):
                raise ValueError("ThumbHash is too short")
            nibble = (self._hash[position] >> ((self._index & 1) * 4)) & 15
            values.append((nibble / 7.5 - 1) * scale)
            self._index += 1
        return values


def _triangle(nx: int, ny: int) -> list[tuple[int, int]]:
    """The (cx, cy) AC coefficient positions kept for an nx × ny channel, DC excluded."""
    terms = []
    for cy in range(ny):
        cx = 0 if cy else 1
        while cx * ny < nx * (ny - cy):
            terms.append((cx, cy))
            cx += 1
    return terms


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


def _to_byte(value: float) -> int:
    # Truncates, as the reference decoder does when it stores into a Uint8Array.
    return int(max(0.0, 255 * min(1.0, value)))
