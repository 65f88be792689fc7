"""A feed's images as plain rows: what a tile (gallery.tiles) and the API's
ImageSerializer read of an image, its owner and its topic, and no more.

A page of 24 images loaded as models builds ~100 instances (each image with
its owner, profile and topic, through select_related); from the tuples of one
query, loading and tiling a page takes 0.6-0.9 of the time (bench/feeds.py
prints both). These rows are read-only: code that changes an image loads the
model.

``fetch`` reads a page in one query that first picks the page's ids and
only then joins the images' columns, owners and topics (see its docstring).
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

from accounts.models import Profile

from .models import Image, Like, Topic

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
    COLUMNS plus the ordering's other keys (annotations such as a like's
    time, which pagination reads from the last row): gallery.pagination's
    ``fetch``. With ``liked_by`` (a user's id), each row also says whether
    that person liked the image (``liked``), in the same query.

    One query, in two steps: a derived table picks the page's ids (and sort
    keys) from the images with the feed's filters, and only those rows are
    joined with the image's columns, its owner, profile and topic. Joined
    first, as the ORM writes it, PostgreSQL planned a join of four or five
    tables on every page (0.7-2.5 ms) and, for a window of Popular, sorted a
    week's images with all their columns and their owners' and topics'. The
    inner query is the ORM's own; only the join around it is written here,
    and the ORM's converters read its columns."""
    ordering = tuple(queryset.query.order_by)
    extra = tuple(
        key for key in (key.removeprefix("-") for key in ordering) if key not in IMAGE_COLUMNS
    )
    page = queryset.values("id", *extra)[:limit]
    compiler = page.query.get_compiler(queryset.db)
    try:
        inner, params = compiler.as_sql()
    except EmptyResultSet:  # a filter no row can pass, e.g. pk__in=[]
        return []
    liked = liked_by is not None
    head, tail = _around(compiler.connection.alias, ordering, extra, liked)
    if liked:
        params = (liked_by, *params)
    with compiler.connection.cursor() as cursor:
        cursor.execute(f"{head}({inner}){tail}", params)
        found = cursor.fetchall()
    Row = _row_class(extra, liked)
    # The image's columns come first; the inner query's keys (after its id) last.
    first_key = len(Row._fields) - len(extra) - 1
    converters = compiler.get_converters(_image_columns())
    for position, converter in compiler.get_converters(
        [expression for expression, _, _ in compiler.select]
    ).items():
        if position:
            converters[first_key + position] = converter
    if converters:
        found = compiler.apply_converters(found, converters)
    return [Row(*row) for row in found]


@cache
def _image_columns() -> list:
    """The image's columns of a page as the ORM's expressions (for their converters)."""
    return [Image._meta.get_field(name).get_col(Image._meta.db_table) for name in IMAGE_COLUMNS]


@cache
def _row_class(extra: tuple[str, ...], liked: bool):
    """A page's row: COLUMNS, then ``liked`` if asked, then the ordering's
    ``extra`` keys; the order of the outer SELECT (``_around``)."""
    return namedtuple("FeedRow", (*COLUMNS, *(["liked"] if liked else []), *extra))


@cache
def _around(
    alias: str, ordering: tuple[str, ...], extra: tuple[str, ...], liked: bool
) -> tuple[str, str]:
    """The page's SELECT around the inner one, which selects the id and
    ``extra`` keys: what comes before it and what comes after. ``liked``: one
    more column, whether the user of the first parameter liked the image."""
    quote = connections[alias].ops.quote_name
    image = Image._meta
    user = get_user_model()._meta
    profile = Profile._meta
    topic = Topic._meta
    like = Like._meta

    def column(meta, name):
        return quote(meta.get_field(name).column)

    selected = [
        *(f"image.{column(image, name)}" for name in IMAGE_COLUMNS),
        f"owner.{column(user, 'username')}",
        f"profile.{column(profile, 'display_name')}",
        f"topic.{column(topic, 'slug')}",
        f"topic.{column(topic, 'name')}",
    ]
    if liked:
        selected.append(
            f"EXISTS(SELECT 1 FROM {quote(like.db_table)} liking "
            f"WHERE liking.{column(like, 'image')} = page.{quote('id')} "
            f"AND liking.{column(like, 'user')} = %s)"
        )
    selected += [f"page.{quote(key)}" for key in extra]
    names = _row_class(extra, liked)._fields
    order = ", ".join(
        f"{names.index(key.removeprefix('-')) + 1} {'DESC' if key.startswith('-') else 'ASC'}"
        for key in ordering
    )
    head = f"SELECT {', '.join(selected)} FROM "
    tail = (
        f" page INNER JOIN {quote(image.db_table)} image "
        f"ON image.{quote(image.pk.column)} = page.{quote('id')} "
        f"INNER JOIN {quote(user.db_table)} owner "
        f"ON owner.{quote(user.pk.column)} = image.{column(image, 'owner')} "
        f"LEFT OUTER JOIN {quote(profile.db_table)} profile "
        f"ON profile.{column(profile, 'user')} = owner.{quote(user.pk.column)} "
        f"LEFT OUTER JOIN {quote(topic.db_table)} topic "
        f"ON topic.{quote(topic.pk.column)} = image.{column(image, 'topic')} "
        f"ORDER BY {order}"
    )
    return head, tail
