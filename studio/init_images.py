"""The starting image of an image-to-image job, on the site's side: an upload
kept as a private image of its person, and the worker's reading of it back.

An uploaded starting image is stored as a private gallery image (not in a
storage area of the job): ``store_image`` already writes file, thumbnail and
row together or not at all, an identical upload is found again by its sha256,
the job and its recipe name the source the same way for uploads and gallery
picks (id and sha256), permissions are ``viewable_images`` for both, and Remix
can bring the source back later.
"""

from __future__ import annotations

import hashlib

from django.core.files.storage import default_storage
from PIL import Image as PILImage

from gallery.models import Image
from gallery.permissions import viewable_images
from gallery.storing import delete_image, store_image
from gallery.uploads import find_duplicate

from .backends.base import BackendError

GONE = (
    "The starting image is gone or no longer visible to you (deleted or made private "
    "since). Pick another starting image."
)
CHANGED = "The starting image changed since the job was queued. Pick it again."
UNREADABLE = "The starting image could not be read. Pick another starting image."


def store_upload(owner, validated) -> tuple[Image, bool]:
    """Keep a validated upload (atelier.image_uploads) as a private image of
    ``owner``: (the image, whether it was stored now; False for a duplicate)."""
    try:
        content = validated.encode({})
        existing = find_duplicate(owner, hashlib.sha256(content).hexdigest())
        if existing:
            return existing, False
        image = store_image(
            owner=owner,
            content=content,
            picture=validated.image,
            extension=validated.extension,
            source=Image.Source.UPLOADED,
            visibility=Image.Visibility.PRIVATE,
            title="Starting image",
        )
        return image, True
    finally:
        validated.close()


def forget_upload(image: Image, created: bool) -> None:
    """Undo ``store_upload`` when the job it was for was refused."""
    if created:
        delete_image(image)


def load_init_image(owner, data: dict) -> PILImage.Image | None:
    """The job's starting picture, read from the gallery, if the job has one.
    The person must still be allowed to see it, and it must be the same bytes."""
    image_id = data.get("init_image")
    if not image_id:
        return None
    image = viewable_images(owner).filter(pk=image_id).first() if owner else None
    if image is None:
        raise BackendError(GONE)
    if data.get("init_image_sha256") and image.sha256 != data["init_image_sha256"]:
        raise BackendError(CHANGED)
    try:
        with default_storage.open(image.file.name, "rb") as file:
            picture = PILImage.open(file)
            picture.load()
    except Exception as exc:
        raise BackendError(UNREADABLE) from exc
    return picture.convert("RGB")
