"""``Image.like_count`` and ``Image.comment_count`` stay equal to their rows
when a person is deleted.

Their likes and comments vanish by cascade, so just before the user row goes,
the counts of the images they liked or commented on are lowered by what is
about to vanish — in the deletion's own transaction. The person's row is
locked first, so a like or comment they make from another session meanwhile
either finishes before the counts are read or fails (its user is gone).

Deleting an image needs nothing: its likes and comments go with it, and no
other image counts them. ``recount`` repairs counts written around the
services (bulk imports, manual SQL)."""

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from .models import Comment, Image, Like


def release_counts(user) -> None:
    """Lower the counts of other people's images by ``user``'s likes and comments."""
    with transaction.atomic():
        type(user)._default_manager.select_for_update().filter(pk=user.pk).values_list("pk").first()
        liked = Like.objects.filter(user=user).values("image_id")
        Image.objects.filter(pk__in=liked).exclude(owner=user).update(
            like_count=Greatest(F("like_count") - 1, Value(0))
        )
        commented = Comment.objects.filter(user=user).values("image_id")
        Image.objects.filter(pk__in=commented).exclude(owner=user).update(
            comment_count=Greatest(
                F("comment_count") - Subquery(_count(Comment.objects.filter(user=user))),
                Value(0),
            )
        )


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="gallery.counts.user")
def release_counts_of_deleted_user(sender, instance, **kwargs):
    release_counts(instance)


def _count(rows):
    """Per image (the outer query's row), how many of ``rows`` point at it."""
    return (
        rows.filter(image=OuterRef("pk"))
        .order_by()
        .values("image")
        .annotate(n=Count("pk"))
        .values("n")
    )


def recount(images=None) -> int:
    """Set the counts of ``images`` (all by default) from their rows; how many were updated."""
    images = Image.objects.all() if images is None else images
    zero = Value(0, output_field=IntegerField())
    return images.update(
        like_count=Coalesce(Subquery(_count(Like.objects.all())), zero),
        comment_count=Coalesce(Subquery(_count(Comment.objects.all())), zero),
    )
