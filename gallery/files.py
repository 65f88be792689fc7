"""Image files for the views that check visibility first (files are never
exposed at guessable public URLs): signed links that open one image's files,
and the name a download is saved under. atelier.stored_files answers with
the file."""

import re
from functools import lru_cache

from django.conf import settings
from django.core import signing

from .models import Image
from .quick_urls import image_url

# A link that opens one image's files (original, thumbnail, download) without
# a session, for an hour: what the API hands out for a private image and the
# OpenAI-compatible endpoint for ``response_format=url`` (OpenAI's own URLs
# expire after an hour too). Signed with SECRET_KEY; the image's visibility
# does not matter to it, its owner handed it out. The key is a
# TimestampSigner's "<time>:<signature>" of the image's id (the id is in the
# path already): signing.dumps costs three times as much, and an API page
# signs up to 24 of them.
LINK_SALT = "gallery.files.link"
LINK_SECONDS = 3600


@lru_cache(maxsize=4)
def _link_signer(secret_key: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(key=secret_key, salt=LINK_SALT)


def link_key(image_id: int) -> str:
    """A signed ``key`` that opens this image's files for LINK_SECONDS."""
    signed = _link_signer(settings.SECRET_KEY).sign(str(int(image_id)))
    return signed.split(":", 1)[1]


def file_link(image: Image) -> str:
    """The path of the image's file with a signed, expiring ``key``."""
    return f"{image_url(image, 'gallery:file')}?key={link_key(image.pk)}"


def link_opens(key: str, image_id: int) -> bool:
    """Whether ``key`` was made by link_key for this image, under an hour ago."""
    try:
        signer = _link_signer(settings.SECRET_KEY)
        return signer.unsign(f"{int(image_id)}:{key}", max_age=LINK_SECONDS) == str(int(image_id))
    except (signing.BadSignature, TypeError, ValueError):
        return False


def download_name(image: Image) -> str:
    base = image.title or image.prompt or "image"
    slug = re.sub(r"[^A-Za-z0-9]+", "-", base).strip("-").lower()[:60] or "image"
    extension = image.file.name.rsplit(".", 1)[-1]
    return f"atelier-{image.pk}-{slug}.{extension}"
