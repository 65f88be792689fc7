"""Uploading existing PNG, JPEG and WebP files into a person's gallery.

Each file is checked by ``imaging.validation.validate_image`` (size, pixel
count against decompression bombs, a real decode, metadata stripped except the
generation recipe) before anything is written; a refused file leaves no row and
no file. Accepted files enter the gallery through ``gallery.storing.store_image``,
like generated ones.

The recipe found in a file was written by whoever made the file: it is kept only
for the keys Atelier knows, with the right types and bounded lengths, and the
stored file carries that cleaned recipe, not the file's own metadata.

An exact duplicate of an image its owner already has (the same stored bytes, by
sha256) is not stored again: the result points at the one they have. Two
uploads of one file at the same instant both find none, but the database
keeps one per owner (``Image.upload_sha256`` is unique): the second's row
is refused, its files removed (gallery.storing), and it is answered as a
duplicate of the first. A near
duplicate (a perceptual hash within ``NEAR_DUPLICATE_BITS`` of one of theirs) is
stored and flagged ("looks like …"). The look-alike search reads the owner's
hashes from the (owner, perceptual_hash) index alone and compares them in
Python: linear in the size of that person's gallery, about 2 µs an image
(bench/look_alike.py: 19 ms at 10,000 images, 120 ms at 50,000). Past that,
multi-index hashing (the 64 bits cut into bands, each band an indexed column,
candidates from exact band matches) would make it sublinear.

Each file's pixels are freed as soon as it is stored (``atelier.image_uploads``
bounds how many are decoded at once in a process).
"""

import hashlib
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import PurePath

from django.conf import settings
from django.db import IntegrityError

from atelier.image_uploads import release_freed_memory, validate_upload
from imaging.perceptual_hash import dhash
from imaging.validation import InvalidImage

from .editing import TITLE_MAX
from .models import Image
from .storing import store_image

log = logging.getLogger(__name__)

MAX_FILES_PER_UPLOAD = 20
# dHash bits that may differ for an upload to be flagged as looking like another image:
# a resize by a non-integer factor moves up to ~8; different pictures are ~18 or more.
NEAR_DUPLICATE_BITS = 10
NOT_STORED = "This image could not be stored; try again, or try another file."

# Known recipe keys: text (with a length bound), integers and numbers (with bounds).
RECIPE_TEXT = {
    "prompt": 5000,
    "negative_prompt": 5000,
    "model": 200,
    "sampler": 100,
    "backend": 50,
    "source": 50,
    "scheduler": 50,
    "model_hash": 64,
    "version": 100,
}
RECIPE_HASHES = ("hashes", "lora_hashes", "ti_hashes")  # {name: hash}, bounded
MAX_LORAS = 20
MAX_HASHES = 50
RECIPE_INTEGERS = {
    "steps": (1, 10_000),
    "seed": (0, 2**64 - 1),
    "width": (1, 100_000),
    "height": (1, 100_000),
}
RECIPE_NUMBERS = {"cfg_scale": (0.0, 100.0)}

_INTEGER = re.compile(r"[-+]?\d{1,20}")


class UploadTooLarge(Exception):
    """A request body larger than any acceptable upload; ``message`` is for the uploader."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class UploadResult:
    """What became of one file of a batch: an image, or the reason it was refused."""

    name: str
    image: Image | None = None
    error: str = ""
    # ``image`` was already in the owner's gallery: nothing new was stored.
    duplicate: bool = False
    # An image of the owner's that the new one looks like (a near duplicate).
    looks_like: Image | None = None
    # Metadata in the file that was not kept, and why.
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.image is not None


def max_request_bytes(files: int = 1) -> int:
    """The largest request body worth reading for ``files`` files: each file at its
    limit plus the form fields Django accepts besides them."""
    fields = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    return files * settings.ATELIER_MAX_UPLOAD_BYTES + fields


def check_request_size(content_length, files: int = 1) -> None:
    """Refuse a request body before it is read when its declared size is too large."""
    try:
        length = int(content_length or 0)
    except ValueError:
        return
    if length > max_request_bytes(files):
        limit = _describe_bytes(settings.ATELIER_MAX_UPLOAD_BYTES)
        if files > 1:
            message = (
                f"The upload is too large: at most {files} files of {limit} each. "
                "Send fewer or smaller files."
            )
        else:
            message = f"The upload is too large: an image may be at most {limit}."
        raise UploadTooLarge(message)


def upload_image(owner, file, **fields) -> Image:
    """Validate one uploaded file and store it in ``owner``'s gallery; the image
    (the one they already had, for an exact duplicate). As ``upload_file``."""
    return upload_file(owner, file, **fields).image


def upload_file(
    owner,
    file,
    *,
    title: str = "",
    description: str = "",
    topic=None,
    visibility: str = Image.Visibility.PRIVATE,
    nsfw: bool = False,
) -> UploadResult:
    """Validate one uploaded file and store it in ``owner``'s gallery.

    Raises ``InvalidImage`` (with a message for the uploader) and writes nothing
    if the file is refused. Without a title, an image that has no prompt is
    titled after its file name. An exact duplicate of one of the owner's images
    is not stored: the result holds the existing image, ``duplicate`` set.
    """
    name = PurePath(getattr(file, "name", "") or "").name or "file"
    validated = validate_upload(file)
    try:
        recipe = clean_recipe(validated.recipe)
        content = validated.encode(recipe)
        sha256 = hashlib.sha256(content).hexdigest()
        existing = find_duplicate(owner, sha256)
        if existing:
            return UploadResult(
                name=name, image=existing, duplicate=True, notes=validated.recipe_notes
            )
        perceptual_hash = dhash(validated.image)
        looks_like = find_look_alike(owner, perceptual_hash)
        if not title and not recipe.get("prompt"):
            title = title_from_file_name(getattr(file, "name", ""))
        try:
            image = store_image(
                owner=owner,
                content=content,
                picture=validated.image,
                extension=validated.extension,
                recipe=recipe,
                source=Image.Source.UPLOADED,
                visibility=visibility,
                nsfw=nsfw,
                topic=topic,
                title=title,
                description=description,
                perceptual_hash=perceptual_hash,
            )
        except IntegrityError:
            # The same file, uploaded by them at the same instant, was stored first.
            existing = find_duplicate(owner, sha256)
            if existing is None:
                raise
            return UploadResult(
                name=name, image=existing, duplicate=True, notes=validated.recipe_notes
            )
        return UploadResult(
            name=name, image=image, looks_like=looks_like, notes=validated.recipe_notes
        )
    finally:
        validated.close()
        release_freed_memory()


def find_duplicate(owner, sha256: str) -> Image | None:
    """The owner's image whose stored bytes have this sha256 (the first stored)."""
    # order_by(): the default ordering would make SQLite walk image_owner_recent.
    mine = Image.objects.filter(owner=owner, sha256=sha256).order_by()
    ids = sorted(mine.values_list("id", flat=True))
    return Image.objects.filter(pk=ids[0]).first() if ids else None


def find_look_alike(owner, perceptual_hash: str) -> Image | None:
    """The owner's image whose perceptual hash is nearest ``perceptual_hash``, if
    within ``NEAR_DUPLICATE_BITS``; the most recent of equally near ones."""
    wanted = int(perceptual_hash, 16)
    best = None
    hashes = (
        Image.objects.filter(owner=owner, perceptual_hash__isnull=False)
        .order_by()  # read from the (owner, perceptual_hash) index alone
        .values_list("perceptual_hash", "id")
    )
    for other, image_id in hashes.iterator(chunk_size=5000):
        bits = (wanted ^ int(other, 16)).bit_count()
        if bits <= NEAR_DUPLICATE_BITS and (best is None or (bits, -image_id) < best):
            best = (bits, -image_id)
    return Image.objects.filter(pk=-best[1]).first() if best else None


def upload_images(owner, files, **fields) -> list[UploadResult]:
    """Upload a batch: each file is validated and stored on its own, so good
    files are kept when others are refused. ``fields`` as for ``upload_file``."""
    results = []
    for file in files:
        name = PurePath(getattr(file, "name", "") or "").name or "file"
        try:
            result = upload_file(owner, file, **fields)
        except InvalidImage as refused:
            results.append(UploadResult(name=name, error=refused.message))
        except Exception:
            # A file that breaks something unforeseen must not cost the batch its
            # report: the files before it are stored, and store_image left no trace.
            log.exception("upload of %r failed", name)
            results.append(UploadResult(name=name, error=NOT_STORED))
        else:
            results.append(result)
    return results


def title_from_file_name(name: str) -> str:
    stem = PurePath(name or "").stem
    return _text(stem, TITLE_MAX).strip()


def clean_recipe(raw) -> dict:
    """The known recipe keys of ``raw`` with values of the right type and size;
    everything else is dropped."""
    if not isinstance(raw, dict):
        return {}
    recipe = {}
    for key, limit in RECIPE_TEXT.items():
        value = raw.get(key)
        if isinstance(value, str) and (text := _text(value, limit).strip()):
            recipe[key] = text
    for key, (low, high) in RECIPE_INTEGERS.items():
        value = _integer(raw.get(key))
        if value is not None and low <= value <= high:
            recipe[key] = value
    for key, (low, high) in RECIPE_NUMBERS.items():
        value = _number(raw.get(key))
        if value is not None and low <= value <= high:
            recipe[key] = value
    if loras := _loras(raw.get("loras")):
        recipe["loras"] = loras
    for key in RECIPE_HASHES:
        if hashes := _hashes(raw.get(key)):
            recipe[key] = hashes
    return recipe


def _loras(value) -> list[dict]:
    """``[{"name": …, "weight": …}]``, as the tools' readers give them, bounded."""
    if not isinstance(value, list):
        return []
    loras = []
    for entry in value[:MAX_LORAS]:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        name = _text(entry["name"], RECIPE_TEXT["model"]).strip()
        weight = _number(entry.get("weight"))
        if name:
            weight = 1.0 if weight is None else max(-10.0, min(10.0, float(weight)))
            loras.append({"name": name, "weight": weight})
    return loras


def _hashes(value) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    hashes = {}
    for name, hash_ in list(value.items())[:MAX_HASHES]:
        if isinstance(name, str) and isinstance(hash_, str):
            if (name := _text(name, 200).strip()) and (hash_ := _text(hash_, 64).strip()):
                hashes[name] = hash_
    return hashes


def _text(value: str, limit: int) -> str:
    """``value`` without NUL characters or lone surrogates (no database stores
    those), cut to ``limit`` characters."""
    value = value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")
    return value[:limit]


def _integer(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value)
    return None


def _number(value) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip()) if len(value) <= 32 else None
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value):
        return value
    return None


def _describe_bytes(count: int) -> str:
    for unit, size in (("MB", 1 << 20), ("KB", 1 << 10)):
        if count >= size:
            return f"{count / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{count} bytes"
