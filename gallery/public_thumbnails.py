"""Public images' thumbnails at a stable public URL, for a CDN, when files
are on S3 and ATELIER_S3_PUBLIC_URL is set (docs/deploy.md).

Every stored object stays private; a public image's thumbnail is also copied
(in the bucket, no bytes through this process) to ``public/<thumbnail
name>`` with a public-read ACL (ATELIER_S3_PUBLIC_ACL; empty where a bucket
policy makes ``public/*`` readable instead) and the ``Cache-Control`` of a public file
(atelier.stored_files.PUBLIC_CACHE: a shared cache keeps it a minute, so an
image made private leaves a CDN within a minute). ATELIER_S3_PUBLIC_URL is
where the bucket's root is served from: the CDN's domain, or the bucket's
own URL. The thumbnail view sends visitors of a public image there; a
private or unlisted image's thumbnail has no public object, and is still
reached only through a presigned URL after the permission check.

The copy is made, or removed, once the change that made the image public
(or not) commits: storing, editing, bulk actions; deleting an image removes
it with its other files. A failure is logged and leaves the image served
through presigned URLs, as before.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction

from atelier.stored_files import PUBLIC_CACHE, is_local

from .models import Image

log = logging.getLogger(__name__)

PREFIX = "public/"


def enabled() -> bool:
    return bool(settings.ATELIER_S3_PUBLIC_URL) and not is_local(default_storage)


def public_name(thumbnail_name: str) -> str:
    return PREFIX + thumbnail_name


def public_url(image: Image) -> str | None:
    """The stable public URL of a public image's thumbnail, or None."""
    if not enabled() or image.visibility != Image.Visibility.PUBLIC:
        return None
    base = settings.ATELIER_S3_PUBLIC_URL.rstrip("/")
    return f"{base}/{quote(_key(public_name(image.thumbnail.name)))}"


def sync_on_commit(image_ids) -> None:
    """Once the current transaction commits, publish the thumbnails of those
    of ``image_ids`` that are public and withdraw the others'."""
    if not enabled():
        return
    ids = list(image_ids)
    transaction.on_commit(lambda: sync(ids))


def sync(image_ids) -> None:
    rows = Image.objects.filter(pk__in=image_ids).values_list("thumbnail", "visibility")
    for thumbnail, visibility in rows:
        try:
            if visibility == Image.Visibility.PUBLIC:
                _publish(thumbnail)
            else:
                default_storage.delete(public_name(thumbnail))
        except Exception:  # botocore's errors: logged; the view still presigns
            log.exception("could not update the public copy of %s", thumbnail)


def _publish(thumbnail: str) -> None:
    bucket = default_storage.bucket
    acl = {"ACL": settings.ATELIER_S3_PUBLIC_ACL} if settings.ATELIER_S3_PUBLIC_ACL else {}
    bucket.meta.client.copy_object(
        Bucket=bucket.name,
        Key=_key(public_name(thumbnail)),
        CopySource={"Bucket": bucket.name, "Key": _key(thumbnail)},
        **acl,
        CacheControl=PUBLIC_CACHE,
        ContentType="image/webp",
        MetadataDirective="REPLACE",
    )


def _key(name: str) -> str:
    """The object key of a stored name (the storage's ``location`` before it)."""
    location = (getattr(default_storage, "location", "") or "").strip("/")
    return f"{location}/{name}" if location else name
