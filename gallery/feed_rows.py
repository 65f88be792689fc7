"""A feed's images as plain rows: what a tile (gallery.tiles) and the API's
ImageSerializer read of an image, its owner and its topic, and no more.

A page of 24 images loaded as models builds ~100 instances (each image with
its owner, profile and topic, through select_related); from the tuples of one
``values_list`` query, loading and tiling a page takes 0.6-0.9 of the time
(bench/feeds.py prints both). These rows are read-only: code that changes an
image loads the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from .models import Image

# The columns of a page, by the names ``FeedImage.from_row`` reads.
COLUMNS = (
    *(
        "id title description width height thumb_width thumb_height thumbhash "
        "visibility recipe like_count comment_count created"
    ).split(),
    "owner__username",
    "owner__profile__display_name",
    "topic__slug",
    "topic__name",
)
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
        """From a named row of ``rows(queryset)``."""
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
        )

    @property
    def pk(self) -> int:
        return self.id

    # The same as Image's.
    prompt = Image.prompt
    display_title = Image.display_title

    def get_visibility_display(self) -> str:
        return VISIBILITY_LABELS.get(self.visibility, self.visibility)


def rows(queryset: QuerySet, ordering) -> QuerySet:
    """``queryset`` as named rows of the page's columns, plus the keys of
    ``ordering`` that are not among them (annotations such as a like's time),
    which pagination reads from the last row."""
    keys = [key.removeprefix("-") for key in ordering]
    return queryset.values_list(*COLUMNS, *(key for key in keys if key not in COLUMNS), named=True)
