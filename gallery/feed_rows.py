"""A feed's images as plain rows: what a tile (gallery.tiles) and the API's
ImageSerializer read of an image, its owner and its topic, and no more.

A page of 24 images loaded as models builds ~100 instances (each image with
its owner, profile and topic, through select_related); plain tuples are
cheaper to load and to tile (bench/feeds.py measures the pages). These rows
are read-only: code that changes an image loads the model.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.db.models import Exists, OuterRef, QuerySet

from .models import Image, Like

# The image's own columns of a page, then those of its owner and topic, by
# the names ``FeedImage.from_row`` reads.
IMAGE_COLUMNS = (
    "id title description width height thumb_width thumb_height thumbhash "
    "visibility recipe like_count comment_count created"
).split()
RELATED_COLUMNS = (
    "owner__username",
    "owner__profile__display_name",
    "topic__slug",
    "topic__name",
)
COLUMNS = (*IMAGE_COLUMNS, *RELATED_COLUMNS)
VISIBILITY_LABELS = dict(Image.Visibility.choices)


@dataclass(frozen=True, slots=True)
class FeedOwner:
    username: str
    display_name: str

    @property
    def name(self) -> str:
        return self.display_name or self.username


@dataclass(frozen=True, slots=True)
class FeedTopic:
    slug: str
    name: str


@dataclass(slots=True)
class FeedImage:
    id: int
    title: str
    description: str
    width: int
    height: int
    thumb_width: int
    thumb_height: int
    thumbhash: str
    visibility: str
    recipe: dict
    like_count: int
    comment_count: int
    created: datetime
    owner: FeedOwner
    topic: FeedTopic | None
    liked: bool = False

    @classmethod
    def from_row(cls, row) -> FeedImage:
        """From a named row of ``fetch``."""
        return cls(
            row.id,
            row.title,
            row.description,
            row.width,
            row.height,
            row.thumb_width,
            row.thumb_height,
            row.thumbhash,
            row.visibility,
            row.recipe,
            row.like_count,
            row.comment_count,
            row.created,
            FeedOwner(row.owner__username, row.owner__profile__display_name or ""),
            FeedTopic(row.topic__slug, row.topic__name) if row.topic__slug is not None else None,
            bool(getattr(row, "liked", False)),
        )

    @property
    def pk(self) -> int:
        return self.id

    # The same as Image's.
    prompt = Image.prompt
    display_title = Image.display_title

    def get_visibility_display(self) -> str:
        return VISIBILITY_LABELS.get(self.visibility, self.visibility)


def fetch(queryset: QuerySet, limit: int, *, liked_by: int | None = None) -> list:
    """The first ``limit`` images of the ordered ``queryset`` as named rows of
    COLUMNS, then ``liked`` (with ``liked_by``, a user's id: whether that
    person liked the image), then the ordering's other keys (annotations such
    as a like's time, which pagination reads from the last row):
    gallery.pagination's ``fetch``.

    Two plain queries: the first picks the page, the ids and sort keys of
    the images that pass the feed's filters; the second reads those images'
    columns, owners and topics by id. Joined in one query as the ORM writes
    it, PostgreSQL planned a join of four or five tables on every page and,
    for a window of Popular, sorted a week's images with all their columns
    (docs/decisions.md)."""
    extra = tuple(
        name
        for name in (key.removeprefix("-") for key in queryset.query.order_by)
        if name not in IMAGE_COLUMNS
    )
    page = list(queryset.values_list("id", *extra)[:limit])
    if not page:
        return []
    images = Image.objects.using(queryset.db).filter(pk__in=[key[0] for key in page]).order_by()
    liked = liked_by is not None
    if liked:
        likes = Like.objects.filter(image=OuterRef("pk"), user=liked_by)
        images = images.annotate(liked=Exists(likes))
    found = {row[0]: row for row in images.values_list(*COLUMNS, *(["liked"] if liked else []))}
    Row = _row_class(extra, liked)
    # An image deleted between the two queries is left out of the page.
    return [Row(*found[id], *keys) for id, *keys in page if id in found]


@cache
def _row_class(extra: tuple[str, ...], liked: bool):
    """A page's row: COLUMNS, then ``liked`` if asked, then the ordering's
    ``extra`` keys."""
    return namedtuple("FeedRow", (*COLUMNS, *(["liked"] if liked else []), *extra))
