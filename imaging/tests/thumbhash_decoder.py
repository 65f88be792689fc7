"""A ThumbHash decoder for the tests only: it decodes what imaging.thumbhash
encodes, so that the tests can look at the placeholder a hash describes. It
follows Evan Wallace's reference decoder (thumbhash.js 0.1.1, vendored in
static/vendor/thumbhash and used by the browser) to the bit, which
test_thumbhash checks on a fixed vector. The app itself never decodes."""

from __future__ import annotations

import base64
import binascii
import io
import math

from PIL import Image

from imaging.thumbhash import _round

DECODED_MAX_SIDE = 32


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


def _to_byte(value: float) -> int:
    # Truncates, as the reference decoder does when it stores into a Uint8Array.
    return int(max(0.0, 255 * min(1.0, value)))
