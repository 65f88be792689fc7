"""The Following feed: public images of the people the viewer follows,
newest first. Built like the Subscribed feed (gallery.feeds), to which it is
added as one more entry."""

from django.db import connections
from django.db.models import F, QuerySet

from .models import Follow
from .pagination import Unindexed
from .permissions import listed_images

# SQLite: up to this many images of the followed people, start from them
# (image_owner_recent) and sort them; beyond, walk the newest-first public
# index, which then finds a page within a few thousand rows.
FEW_FOLLOWED_IMAGES = 1000


def following(viewer, request) -> QuerySet:
    people = Follow.objects.filter(follower=viewer).values("followed")
    images = listed_images().filter(owner__in=people)
    if connections[images.db].vendor == "postgresql":
        return images
    if images.order_by().values("pk")[: FEW_FOLLOWED_IMAGES + 1].count() <= FEW_FOLLOWED_IMAGES:
        return images
    return listed_images().alias(by=Unindexed(F("owner"))).filter(by__in=people)
