"""Replacing and removing a profile's avatar, without leaving old files behind."""

import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from imaging.thumbnails import make_avatar


def set_avatar(profile, picture) -> None:
    old = profile.avatar.name
    name = default_storage.save(
        f"avatars/{profile.user_id}/{uuid.uuid4().hex}.webp", ContentFile(make_avatar(picture))
    )
    try:
        profile.avatar = name
        profile.save(update_fields=["avatar"])
    except BaseException:
        default_storage.delete(name)
        raise
    if old:
        transaction.on_commit(lambda: default_storage.delete(old))


def remove_avatar(profile) -> None:
    old = profile.avatar.name
    if old:
        profile.avatar = ""
        profile.save(update_fields=["avatar"])
        transaction.on_commit(lambda: default_storage.delete(old))
