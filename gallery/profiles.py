"""A person's public page: who they are and what they share. Every count
follows the visibility rule: only public images count."""

from dataclasses import dataclass
from functools import cache

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef

from .counts import anyone_suspended, total, unsuspended_total
from .models import Follow, Subscription, Topic
from .permissions import listed_images


@dataclass(frozen=True)
class ProfileCounts:
    images: int  # public images
    topics: int  # topics they own
    likes_received: int  # likes on their public images
    subscribers: int  # distinct people subscribed to at least one of their topics
    followers: int = 0  # people following them
    following: int = 0  # people they follow


def _of_person(queryset, owner_field: str):
    """``queryset``'s rows of the outer person."""
    return queryset.filter(**{owner_field: OuterRef("pk")})


def _counts(subtract: bool):
    """The counts as annotations of a person, each a subquery answered
    from an index (image_public_owner_likes for the first two, the follow
    constraints' for the last two). A suspended person's follows and
    subscriptions leave the counts and come back with them (gallery.counts;
    ``subtract``: someone is suspended)."""
    images = _of_person(listed_images(), "owner")
    return {
        "count_images": total(images),
        "count_likes": total(images, "SUM", "like_count"),
        "count_topics": total(_of_person(Topic.objects.all(), "owner")),
        "count_subscribers": unsuspended_total(
            _of_person(Subscription.objects.all(), "topic__owner"),
            "user",
            "COUNT",
            "user",
            distinct=True,
            subtract=subtract,
        ),
        "count_followers": unsuspended_total(
            _of_person(Follow.objects.all(), "followed"), "follower", subtract=subtract
        ),
        "count_following": unsuspended_total(
            _of_person(Follow.objects.all(), "follower"), "followed", subtract=subtract
        ),
    }


@cache
def _people_with_counts(subtract: bool):
    """People with the four counts, built once a process: resolving the four
    subqueries was half of the profile page's ORM work (bench/feeds.py
    measures the page). Each request filters a copy (a queryset is never
    changed in place), as Django's generic views do with their ``queryset``."""
    return get_user_model().objects.select_related("profile").annotate(**_counts(subtract))


def public_person(username: str, *, with_counts: bool = False, viewer=None):
    """The active user with this username (their profile selected), or None.
    ``with_counts``: their ProfileCounts as ``person.counts``, in the same query;
    ``viewer``: whether that person follows them as ``person.followed``, too."""
    if with_counts:
        people = _people_with_counts(anyone_suspended())
    else:
        people = get_user_model().objects.select_related("profile")
    if viewer is not None and viewer.is_authenticated:
        follows = Follow.objects.filter(follower=viewer, followed=OuterRef("pk"))
        people = people.annotate(followed=Exists(follows))
    person = people.filter(username=username, is_active=True).first()
    if person is not None and not hasattr(person, "followed"):
        person.followed = False
    if person is not None and with_counts:
        person.counts = ProfileCounts(
            images=person.count_images,
            topics=person.count_topics,
            likes_received=person.count_likes,
            subscribers=person.count_subscribers,
            followers=person.count_followers,
            following=person.count_following,
        )
    return person
