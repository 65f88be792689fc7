"""The one way an image enters the gallery: original file, thumbnail, row.

Either all three exist afterwards or none does: files written before a failed
row are removed again, so storage never keeps orphans.
"""

import hashlib
import logging
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from imaging.perceptual_hash import dhash
from imaging.thumbhash import image_to_thumbhash
from imaging.thumbnails import make_thumbnail

from . import hot_pages, public_thumbnails
from .models import Image

log = logging.getLogger(__name__)

CONTENT_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".webp": "image/webp"}


def store_image(
    *,
    owner,
    content: bytes,
    picture,
    extension: str = ".png",
    recipe=None,
    source=Image.Source.GENERATED,
    source_key=None,
    visibility=Image.Visibility.PRIVATE,
    nsfw=False,
    topic=None,
    title="",
    description="",
    perceptual_hash=None,
) -> Image:
    """Save ``content`` (the original file's bytes, ``picture`` its decoded
    PIL image) to storage with a WebP thumbnail and create its ``Image`` row.

    With a ``source_key``, storing the same result again returns the row that
    already exists and writes nothing. An upload whose bytes its owner has
    uploaded already raises IntegrityError (``Image.upload_sha256``), its
    files removed. ``perceptual_hash`` is computed from
    ``picture`` unless the caller has it already.
    """
    if source_key:
        existing = Image.objects.filter(source_key=source_key).first()
        if existing:
            return existing

    sha256 = hashlib.sha256(content).hexdigest()
    thumb_bytes, thumb_width, thumb_height = make_thumbnail(picture)
    name = uuid.uuid4().hex
    written = []
    try:
        file_name = default_storage.save(
            f"images/{owner.pk}/{name}{extension}", ContentFile(content)
        )
        written.append(file_name)
        thumb_name = default_storage.save(
            f"thumbs/{owner.pk}/{name}.webp", ContentFile(thumb_bytes)
        )
        written.append(thumb_name)
        with transaction.atomic():
            image = Image.objects.create(
                owner=owner,
                topic=topic,
                title=title,
                description=description,
                file=file_name,
                thumbnail=thumb_name,
                width=picture.width,
                height=picture.height,
                thumb_width=thumb_width,
                thumb_height=thumb_height,
                thumbhash=image_to_thumbhash(picture),
                sha256=sha256,
                # Unique per owner: a second upload of the same bytes fails here.
                upload_sha256=sha256 if source == Image.Source.UPLOADED else None,
                perceptual_hash=perceptual_hash or dhash(picture),
                content_type=CONTENT_TYPES.get(extension, "application/octet-stream"),
                visibility=visibility,
                nsfw=nsfw,
                source=source,
                recipe=recipe or {},
                source_key=source_key,
            )
            if image.visibility == Image.Visibility.PUBLIC:
                hot_pages.changed()
                public_thumbnails.sync_on_commit([image.pk])
            return image
    except IntegrityError:
        _remove(written)
        if source_key:
            existing = Image.objects.filter(source_key=source_key).first()
            if existing:
                return existing
        raise
    except BaseException:
        _remove(written)
        raise


def delete_image(image: Image) -> None:
    """Delete the row, then its files once the deletion is committed."""
    names = [image.file.name, image.thumbnail.name]
    if public_thumbnails.enabled():
        names.append(public_thumbnails.public_name(image.thumbnail.name))
    with transaction.atomic():
        image.delete()
        transaction.on_commit(lambda: _remove(names))
        hot_pages.changed()


def _remove(names):
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # OSError on disk, botocore's errors on S3: logged, never raised
            log.exception("could not delete %s from storage", name)
