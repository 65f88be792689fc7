"""A person's public page: who they are and what they share. Every count
follows the visibility rule: only public images count."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Sum

from .models import Subscription, Topic
from .permissions import listed_images


@dataclass(frozen=True)
class ProfileCounts:
    images: int  # public images
    topics: int  # topics they own
    likes_received: int  # likes on their public images
    subscribers: int  # distinct people subscribed to at least one of their topics


def public_person(username: str):
    """The active user with this username (their profile selected), or None."""
    return (
        get_user_model()
        .objects.select_related("profile")
        .filter(username=username, is_active=True)
        .first()
    )


def profile_counts(user) -> ProfileCounts:
    images = listed_images().filter(owner=user).aggregate(n=Count("id"), likes=Sum("like_count"))
    subscribers = (
        Subscription.objects.filter(topic__owner=user).values("user_id").distinct().count()
    )
    return ProfileCounts(
        images=images["n"],
        topics=Topic.objects.filter(owner=user).count(),
        likes_received=images["likes"] or 0,
        subscribers=subscribers,
    )
