"""Following people: the rules that both the pages and the API follow.
Following twice is once; following oneself is refused."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from notifications.notify import Kind, notify

from .counts import anyone_suspended, unsuspended_total
from .models import Follow
from .permissions import listed_images

SUGGESTIONS = 6


class FollowError(ValueError):
    """A follow refused for a reason the person can see."""


def follow(user, person) -> bool:
    """``user`` follows ``person``; False if they already did."""
    if user.pk == person.pk:
        raise FollowError("You can't follow yourself.")
    try:
        with transaction.atomic():
            Follow.objects.create(follower=user, followed=person)
            notify(person.pk, Kind.FOLLOW, actor=user)
    except IntegrityError:
        return False
    return True


def unfollow(user, person) -> bool:
    """Stop following; False if ``user`` did not follow ``person``."""
    deleted, _ = Follow.objects.filter(follower=user, followed=person).delete()
    return bool(deleted)


def is_following(user, person) -> bool:
    return user.is_authenticated and Follow.objects.filter(follower=user, followed=person).exists()


def follow_counts(person) -> tuple[int, int]:
    """(followers, following) of ``person`` among active people (a suspended
    person's follows leave the counts: gallery.counts), in one query."""
    subtract = anyone_suspended()
    counts = (
        get_user_model()
        .objects.filter(pk=person.pk)
        .annotate(
            n_followers=unsuspended_total(
                Follow.objects.filter(followed=OuterRef("pk")), "follower", subtract=subtract
            ),
            n_following=unsuspended_total(
                Follow.objects.filter(follower=OuterRef("pk")), "followed", subtract=subtract
            ),
        )
        .values_list("n_followers", "n_following")
        .first()
    )
    return counts or (0, 0)


def suggestions(user, limit: int = SUGGESTIONS) -> list:
    """People with public images whom ``user`` does not follow yet, those
    with the most followers first (profiles selected)."""
    people = get_user_model().objects.filter(is_active=True)
    if user.is_authenticated:
        people = people.exclude(pk=user.pk).exclude(
            pk__in=Follow.objects.filter(follower=user).values("followed")
        )
    return list(
        people.filter(Exists(listed_images().filter(owner=OuterRef("pk"))))
        .annotate(
            n_followers=unsuspended_total(
                Follow.objects.filter(followed=OuterRef("pk")),
                "follower",
                subtract=anyone_suspended(),
            )
        )
        .select_related("profile")
        .order_by("-n_followers", "username")[:limit]
    )
