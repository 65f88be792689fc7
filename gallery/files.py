"""Serving image files through views that check visibility first: files are
never exposed at guessable public URLs."""

import re

from django.core import signing
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponseRedirect
from django.urls import reverse

from .models import Image

# A link that opens one image's file without a session, for an hour: what the
# OpenAI-compatible endpoint answers for ``response_format=url`` (OpenAI's
# own URLs expire after an hour too). Signed with SECRET_KEY; the image's
# visibility does not matter to it, its owner handed it out.
LINK_SALT = "gallery.files.link"
LINK_SECONDS = 3600


def file_link(image: Image) -> str:
    """The path of the image's file with a signed, expiring ``key``."""
    key = signing.dumps(int(image.pk), salt=LINK_SALT)
    return f"{reverse('gallery:file', args=[image.pk])}?key={key}"


def link_opens(key: str, image_id: int) -> bool:
    """Whether ``key`` was made by file_link for this image, under an hour ago."""
    try:
        return signing.loads(key, salt=LINK_SALT, max_age=LINK_SECONDS) == int(image_id)
    except (signing.BadSignature, TypeError, ValueError):
        return False


def download_name(image: Image) -> str:
    base = image.title or image.recipe.get("prompt", "") or "image"
    slug = re.sub(r"[^A-Za-z0-9]+", "-", base).strip("-").lower()[:60] or "image"
    extension = image.file.name.rsplit(".", 1)[-1]
    return f"atelier-{image.pk}-{slug}.{extension}"


def file_response(name: str, content_type: str, *, attachment_name=None, private=True):
    if not _is_local(default_storage):
        # S3 and friends: a short-lived signed URL, never a public one.
        return HttpResponseRedirect(default_storage.url(name))
    response = FileResponse(
        default_storage.open(name, "rb"),
        content_type=content_type,
        as_attachment=attachment_name is not None,
        filename=attachment_name or "",
    )
    response["Cache-Control"] = "private, max-age=3600" if private else "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _is_local(storage) -> bool:
    try:
        storage.path("x")
    except NotImplementedError:
        return False
    return True
