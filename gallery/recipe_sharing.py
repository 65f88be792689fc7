""" "Share without the recipe": who sees an image's recipe, and its file's
bytes without the recipe for everyone else.

A stored file carries nothing but its recipe (imaging.validation re-encodes
every upload, studio writes only the recipe): a PNG's text chunks (A1111's
``parameters``, Atelier's ``atelier``), a JPEG's or WebP's EXIF (A1111's
UserComment). Dropping those leaves the pixels untouched, byte for byte.
"""

import struct

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_TEXT_CHUNKS = {b"tEXt", b"zTXt", b"iTXt"}


def shows_recipe(user, image) -> bool:
    """Whether ``user`` may see the recipe of an image they may see."""
    if not image.share_without_recipe:
        return True
    return bool(user and user.is_authenticated and user.pk == image.owner_id)


def without_recipe(content: bytes) -> bytes:
    """The file's bytes without its recipe metadata (PNG text chunks, JPEG
    APP1/EXIF segments, WebP EXIF/XMP chunks). Unknown formats unchanged."""
    if content.startswith(_PNG_SIGNATURE):
        return _png_without_text(content)
    if content.startswith(b"\xff\xd8"):
        return _jpeg_without_app1(content)
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return _webp_without_exif(content)
    return content


def _png_without_text(content: bytes) -> bytes:
    kept = [_PNG_SIGNATURE]
    position = len(_PNG_SIGNATURE)
    while position + 8 <= len(content):
        (length,) = struct.unpack(">I", content[position : position + 4])
        chunk_type = content[position + 4 : position + 8]
        end = position + 12 + length
        if chunk_type not in _PNG_TEXT_CHUNKS:
            kept.append(content[position:end])
        position = end
        if chunk_type == b"IEND":
            break
    return b"".join(kept)


def _jpeg_without_app1(content: bytes) -> bytes:
    kept = [content[:2]]
    position = 2
    while position + 4 <= len(content) and content[position] == 0xFF:
        marker = content[position + 1]
        if marker == 0xDA:  # start of scan: the entropy-coded data and the rest as they are
            break
        (length,) = struct.unpack(">H", content[position + 2 : position + 4])
        end = position + 2 + length
        if marker != 0xE1:  # APP1: EXIF (the recipe) or XMP
            kept.append(content[position:end])
        position = end
    kept.append(content[position:])
    return b"".join(kept)


def _webp_without_exif(content: bytes) -> bytes:
    chunks = []
    position = 12
    while position + 8 <= len(content):
        fourcc = content[position : position + 4]
        (size,) = struct.unpack("<I", content[position + 4 : position + 8])
        end = position + 8 + size + (size & 1)
        chunk = content[position:end]
        if fourcc == b"VP8X" and len(chunk) > 8:
            # Clear the EXIF (0x08) and XMP (0x04) flags of the extended header.
            chunk = chunk[:8] + bytes([chunk[8] & ~0x0C & 0xFF]) + chunk[9:]
        if fourcc not in (b"EXIF", b"XMP "):
            chunks.append(chunk)
        position = end
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body
