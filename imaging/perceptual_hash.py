"""A 64-bit perceptual hash (dHash) of an image: near-identical pictures (re-encoded,
resized, a recipe changed) get hashes a few bits apart, different ones about 32.

Each bit says whether a pixel of a 9×8 grey thumbnail is brighter than its right
neighbour. Written as 16 hex digits; compared by Hamming distance.
"""

from __future__ import annotations

from PIL import Image

HASH_HEX_DIGITS = 16
_WIDTH, _HEIGHT = 9, 8


def dhash(image: Image.Image) -> str:
    """The dHash of ``image`` as 16 hex digits."""
    if image.mode not in ("L", "RGB", "RGBA"):
        image = image.convert("RGBA")
    # reducing_gap shrinks by whole factors first: cheap on a large image.
    small = image.resize((_WIDTH, _HEIGHT), Image.Resampling.BOX, reducing_gap=2.0)
    grey = small.convert("L").tobytes()
    bits = 0
    for row in range(_HEIGHT):
        for column in range(_WIDTH - 1):
            left = grey[row * _WIDTH + column]
            right = grey[row * _WIDTH + column + 1]
            bits = (bits << 1) | (left > right)
    return f"{bits:0{HASH_HEX_DIGITS}x}"


def distance(first: str, second: str) -> int:
    """How many of the 64 bits differ between two hashes."""
    return (int(first, 16) ^ int(second, 16)).bit_count()
