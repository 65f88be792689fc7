"""A person's own data: everything of theirs as a ZIP (``write_export``), and
leaving (``account_counts``, ``delete_account``).

The ZIP holds ``images/<id>-<name>.<ext>``, each original file as stored,
with ``images/<id>-<name>.json`` beside it (its recipe and fields), and
``profile.json``: the profile, the topics they own, their comments, the ids
of the images they like, whom they follow and the topics they subscribe to.
It is written into a file one image at a time (files copied in blocks, rows
read with ``iterator()``), so memory stays flat whatever the gallery's size.
"""

import json
import shutil
import tempfile
import zipfile

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import transaction

from accounts.models import ApiToken, Profile

from . import public_thumbnails
from .files import download_name
from .models import Comment, Follow, Image, Like, Subscription, Topic
from .storing import _remove

COPY_BLOCK = 1 << 20

# While one export of a person's is being built, another is refused (a
# double click, two tabs): each reads every file of theirs. The mark lives in
# the shared cache and expires by itself should the process die meanwhile.
BUILDING_SECONDS = 15 * 60
ALREADY_BUILDING = "Your data is already being prepared in another request; wait for that download."


class AlreadyBuilding(Exception):
    pass


def build_export(user):
    """``user``'s ZIP in an open temporary file at its start (deleted when
    closed); raises AlreadyBuilding while another of theirs is being built."""
    building = f"gallery.export.building:{user.pk}"
    if not cache.add(building, True, BUILDING_SECONDS):
        raise AlreadyBuilding(ALREADY_BUILDING)
    target = tempfile.TemporaryFile()
    try:
        write_export(user, target)
        target.seek(0)
    except BaseException:
        target.close()
        raise
    finally:
        cache.delete(building)
    return target


def export_name(user) -> str:
    return f"atelier-{user.username}.zip"


def _moment(value) -> str | None:
    return value.isoformat() if value else None


def _image_entry(image: Image) -> dict:
    return {
        "id": image.pk,
        "title": image.title,
        "description": image.description,
        "topic": image.topic.slug if image.topic_id else None,
        "visibility": image.visibility,
        "source": image.source,
        "share_without_recipe": image.share_without_recipe,
        "nsfw": image.nsfw,
        "width": image.width,
        "height": image.height,
        "sha256": image.sha256,
        "created": _moment(image.created),
        "recipe": image.recipe,
    }


def profile_json(user) -> dict:
    profile = Profile.objects.filter(user=user).first()
    return {
        "username": user.username,
        "email": user.email,
        "date_joined": _moment(user.date_joined),
        "display_name": profile.display_name if profile else "",
        "bio": profile.bio if profile else "",
        "default_visibility": profile.default_visibility if profile else "",
        "nsfw_preference": profile.nsfw_preference if profile else "",
        "topics": [
            {
                "slug": topic.slug,
                "name": topic.name,
                "description": topic.description,
                "created": _moment(topic.created),
            }
            for topic in Topic.objects.filter(owner=user).order_by("pk").iterator()
        ],
        "comments": [
            {
                "id": comment.pk,
                "image": comment.image_id,
                "text": comment.text,
                "created": _moment(comment.created),
                "edited": _moment(comment.edited),
            }
            for comment in Comment.objects.filter(user=user).order_by("pk").iterator()
        ],
        "likes": list(
            Like.objects.filter(user=user).order_by("pk").values_list("image_id", flat=True)
        ),
        "follows": list(
            Follow.objects.filter(follower=user)
            .order_by("pk")
            .values_list("followed__username", flat=True)
        ),
        "subscriptions": list(
            Subscription.objects.filter(user=user)
            .order_by("pk")
            .values_list("topic__slug", flat=True)
        ),
    }


def write_export(user, target) -> None:
    """Write ``user``'s ZIP into the open binary file ``target``. The images
    are stored as they are (already compressed), the JSON deflated."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        images = Image.objects.filter(owner=user).select_related("topic").order_by("pk")
        for image in images.iterator(chunk_size=200):
            base = "images/" + download_name(image).removeprefix("atelier-").rsplit(".", 1)[0]
            extension = image.file.name.rsplit(".", 1)[-1]
            with (
                default_storage.open(image.file.name, "rb") as source,
                archive.open(f"{base}.{extension}", "w", force_zip64=True) as entry,
            ):
                shutil.copyfileobj(source, entry, COPY_BLOCK)
            archive.writestr(
                f"{base}.json",
                json.dumps(_image_entry(image), ensure_ascii=False, indent=2),
                compress_type=zipfile.ZIP_DEFLATED,
            )
        archive.writestr(
            "profile.json",
            json.dumps(profile_json(user), ensure_ascii=False, indent=2),
            compress_type=zipfile.ZIP_DEFLATED,
        )


def account_counts(user) -> dict:
    """What deleting the account deletes, as the confirmation names it."""
    return {
        "images": Image.objects.filter(owner=user).count(),
        "topics": Topic.objects.filter(owner=user).count(),
        # Kept, by "deleted user", so that others' threads stay readable.
        "kept_comments": Comment.objects.filter(user=user).exclude(image__owner=user).count(),
        "likes": Like.objects.filter(user=user).count(),
    }


def delete_account(user) -> None:
    """Delete the person and everything of theirs (images with the comments
    on them, topics, likes, follows, subscriptions, tokens, profile: by
    cascade; the like counts of others' images are lowered by
    gallery.counts), then, once that is committed, their files in storage:
    originals, thumbnails, topic covers, avatar. Their comments on others'
    images stay, by "deleted user" (``Comment.user`` is SET_NULL)."""
    with transaction.atomic():
        names = []
        for file, thumbnail in Image.objects.filter(owner=user).values_list("file", "thumbnail"):
            names += [file, thumbnail]
            if public_thumbnails.enabled():
                names.append(public_thumbnails.public_name(thumbnail))
        names += [c for c in Topic.objects.filter(owner=user).values_list("cover", flat=True) if c]
        names += [
            a for a in Profile.objects.filter(user=user).values_list("avatar", flat=True) if a
        ]
        ApiToken.objects.filter(user=user).delete()
        get_user_model().objects.filter(pk=user.pk).delete()
        transaction.on_commit(lambda: _remove(names))
