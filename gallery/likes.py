"""Liking an image. ``Image.like_count`` always equals the number of ``Like``
rows of people not suspended: each change to the rows and the count happens
in one transaction, and the unique (user, image) constraint decides races
between concurrent likes. A suspension takes the person's likes out of the counts
and lifting it puts them back (moderation.actions, gallery.counts); a like
or unlike first locks its person's row, so it either ends before a
suspension reads their likes or finds them suspended and changes nothing."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F

from notifications.notify import Kind, notify

from .models import Image, Like


def like(user, image: Image) -> bool:
    """Like ``image``; False if it was already liked."""
    try:
        with transaction.atomic():
            if not _lock_if_active(user):
                return False
            Like.objects.create(user=user, image=image)
            Image.objects.filter(pk=image.pk).update(like_count=F("like_count") + 1)
            notify(image.owner_id, Kind.LIKE, actor=user, image=image, text=str(image))
    except IntegrityError:
        return False
    return True


def unlike(user, image: Image) -> bool:
    """Take a like back; False if there was none."""
    with transaction.atomic():
        if not _lock_if_active(user):
            return False
        deleted, _ = Like.objects.filter(user=user, image=image).delete()
        if deleted:
            Image.objects.filter(pk=image.pk).update(like_count=F("like_count") - 1)
    return bool(deleted)


def _lock_if_active(user) -> bool:
    """Lock ``user``'s row against a suspension meanwhile; False if suspended.
    (No key lock: others' follows and likes of their images go on.)"""
    people = get_user_model()._default_manager.select_for_update(no_key=True)
    return people.filter(pk=user.pk, is_active=True).values_list("pk").first() is not None


def liked_ids(user, image_ids) -> set[int]:
    """Which of these images ``user`` has liked, in one query."""
    if not user.is_authenticated:
        return set()
    return set(
        Like.objects.filter(user=user, image_id__in=list(image_ids)).values_list(
            "image_id", flat=True
        )
    )


def is_liked(user, image: Image) -> bool:
    return user.is_authenticated and Like.objects.filter(user=user, image=image).exists()


def current_count(image: Image) -> int:
    """The image's like count as stored now (after a like or unlike)."""
    return Image.objects.filter(pk=image.pk).values_list("like_count", flat=True).first() or 0
