"""The feeds: which images each one shows, and in which order.

A feed is one function from the viewer (and the request, for its window) to
an image queryset, plus one entry in ``FEEDS`` (its name, label, ordering and
who may read it). Every feed then
takes the same filters (``topic``, ``user``, ``window``, search ``q``), the same
keyset pagination and the viewer's likes in the same query, through ``load_page``,
which both the pages and the API call.

Visibility: feeds are built on ``permissions.listed_images`` (public only),
except an owner's own "mine" and a person's own "liked" collection, which
show what that person may still open (``permissions.viewable_images``).

NSFW images: every feed but "mine" leaves them out for a person who hides
them, or as ``nsfw`` asks (``gallery.nsfw``), in the feed's own query.
"""

import json
from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cache, partial
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import F, QuerySet, Subquery
from django.utils import timezone

from . import nsfw
from .following import following
from .models import Image, Subscription, Topic
from .pagination import PAGE_SIZE, InvalidCursor, Unindexed, paginate
from .permissions import listed_images, viewable_images
from .recipe_sharing import shows_recipe
from .search import Q_MAX, search

RECENT = ("-created", "-id")
POPULAR = ("-popularity", "-popular_id")
LIKED = ("-liked_at", "-like_id")

WINDOWS = {"day": timedelta(days=1), "week": timedelta(days=7), "all": None}
WINDOW_LABELS = {"day": "Today", "week": "This week", "all": "All time"}


class FeedError(ValueError):
    """Input a client can fix; ``field`` names the parameter."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class LoginRequired(PermissionError):
    pass


# ---- The feeds --------------------------------------------------------------


def recent(viewer, request) -> QuerySet:
    return listed_images()


def popular(viewer, request) -> QuerySet:
    """Most liked first. Over all time the like_count index gives the order;
    within a window it is cheaper to take the window's images (an index range
    on created) and sort them than to walk the likes index past every older
    image, so there the count and the id are hidden from the planner."""
    if request.window == "all":
        return listed_images().annotate(popularity=F("like_count"), popular_id=F("id"))
    return listed_images().annotate(
        popularity=Unindexed(F("like_count")), popular_id=Unindexed(F("id"))
    )


# SQLite: up to this many images in the subscribed topics, start from them and
# sort them; beyond, walk the newest-first index, which then finds a page within
# a few thousand rows. (Sorting 4 000 took 15 ms; walking 100k rows to find
# nothing, 35 ms.)
FEW_SUBSCRIBED_IMAGES = 1000


def subscribed(viewer, request) -> QuerySet:
    """Public images in the viewer's topics, newest first. PostgreSQL's planner
    chooses between starting from the topics and walking the newest-first index;
    SQLite always starts from the topics, so it is told, after a bounded count."""
    topics = Subscription.objects.filter(user=viewer).values("topic")
    images = listed_images().filter(topic__in=topics)
    if connections[images.db].vendor == "postgresql":
        return images
    if images.order_by().values("pk")[: FEW_SUBSCRIBED_IMAGES + 1].count() <= FEW_SUBSCRIBED_IMAGES:
        return images
    return listed_images().alias(in_topic=Unindexed(F("topic"))).filter(in_topic__in=topics)


def liked(viewer, request) -> QuerySet:
    """What the viewer liked, last liked first; an image that became private
    since drops out (it comes back if it is shared again)."""
    return (
        viewable_images(viewer)
        .filter(likes__user=viewer)
        .annotate(liked_at=F("likes__created"), like_id=F("likes__id"))
    )


def mine(viewer, request) -> QuerySet:
    """The owner's own images, private and unlisted ones included."""
    return Image.objects.filter(owner=viewer)


@dataclass(frozen=True)
class Feed:
    name: str
    label: str
    icon: str
    images: Callable[..., QuerySet]
    ordering: tuple[str, ...] = RECENT
    login_required: bool = False
    all_liked: bool = False
    empty: str = "No images here yet."


FEEDS = {
    feed.name: feed
    for feed in [
        Feed("recent", "Recent", "clock", recent, empty="No public images yet."),
        Feed("popular", "Popular", "fire", popular, POPULAR, empty="Nothing popular yet."),
        Feed(
            "subscribed",
            "Subscribed",
            "bookmark-heart",
            subscribed,
            login_required=True,
            empty="Subscribe to topics and their new images show up here.",
        ),
        Feed(
            "following",
            "Following",
            "people",
            following,
            login_required=True,
            empty="Follow people and their new images show up here.",
        ),
        Feed(
            "liked",
            "Liked",
            "heart",
            liked,
            LIKED,
            login_required=True,
            all_liked=True,
            empty="Images you like are kept here.",
        ),
        Feed("mine", "My images", "images", mine, login_required=True),
    ]
}
# The feeds anyone may ask for by name (the API, the Explore tabs); "mine" is
# the owner's own page.
PUBLIC_FEEDS = ("recent", "popular", "subscribed", "following", "liked")


# ---- A request for a page -----------------------------------------------------


@dataclass(frozen=True)
class FeedRequest:
    feed: str = "recent"
    window: str = "all"
    topic: str = ""
    user: str = ""
    q: str = ""
    cursor: str = ""
    nsfw: str = ""  # "" follows the viewer's preference; else one of nsfw.FILTERS

    def params(self, **changes) -> dict:
        """The query parameters that ask for this (changed) request again."""
        request = replace(self, **changes)
        defaults = FeedRequest()
        return {
            name: getattr(request, name)
            for name in ("feed", "window", "topic", "user", "q", "nsfw", "cursor")
            if name == "feed" or getattr(request, name) != getattr(defaults, name)
        }

    def query(self, **changes) -> str:
        return urlencode(self.params(**changes))

    @property
    def filtered(self) -> bool:
        return bool(self.topic or self.user or self.q)


def parse_request(data: Mapping, *, feeds=PUBLIC_FEEDS, default: str = "recent") -> FeedRequest:
    """A FeedRequest from query parameters; FeedError for a value it cannot
    take. Only ``feeds`` may be named."""
    name = (data.get("feed") or default).strip()
    if name not in feeds:
        raise FeedError("feed", f"Unknown feed “{name}”: use one of {', '.join(feeds)}.")
    window = (data.get("window") or "all").strip()
    if window not in WINDOWS:
        raise FeedError("window", f"Unknown window “{window}”: use one of {', '.join(WINDOWS)}.")
    q = (data.get("q") or "").strip()
    if len(q) > Q_MAX:
        raise FeedError("q", f"Search for at most {Q_MAX} characters.")
    shown = (data.get("nsfw") or "").strip()
    if shown and shown not in nsfw.FILTERS:
        raise FeedError(
            "nsfw", f"Unknown nsfw “{shown[:40]}”: use one of {', '.join(nsfw.FILTERS)}."
        )
    return FeedRequest(
        feed=name,
        window=window,
        topic=(data.get("topic") or "").strip(),
        user=(data.get("user") or "").strip(),
        q=q,
        cursor=(data.get("cursor") or "").strip(),
        nsfw=shown,
    )


# ---- A page's images as plain rows ------------------------------------------
#
# A feed's images as plain rows: what a tile (gallery.tiles) and the API's
# ImageSerializer read of an image, its owner and its topic, and no more.
#
# A page of 24 images loaded as models builds ~100 instances (each image with
# its owner, profile and topic, through select_related); plain tuples are
# cheaper to load and to tile (bench/feeds.py measures the pages). These rows
# are read-only: code that changes an image loads the model.

# The page's images by id, with their owner and topic and whether the viewer
# liked each. One SQL string that SQLite, PostgreSQL and MariaDB all read:
# the ORM's form of it (values_list over three joins, an Exists annotation)
# cost more to build on every page than the database took to answer it
# (docs/decisions.md). The columns are named here only: a row's fields are
# these names, as the cursor describes them.
PAGE_ROWS_SQL = """
SELECT image.id, image.title, image.description, image.width, image.height,
       image.thumb_width, image.thumb_height, image.thumbhash, image.visibility,
       image.recipe, image.like_count, image.comment_count, image.created,
       image.owner_id, image.share_without_recipe, image.nsfw, image.hidden_at,
       image.hidden_reason,
       owner.username AS owner_username,
       profile.display_name AS owner_display_name,
       topic.slug AS topic_slug,
       topic.name AS topic_name,
       EXISTS (SELECT 1 FROM gallery_like AS liking
               WHERE liking.image_id = image.id AND liking.user_id = %s) AS liked
FROM gallery_image AS image
JOIN auth_user AS owner ON owner.id = image.owner_id
LEFT JOIN accounts_profile AS profile ON profile.user_id = owner.id
LEFT JOIN gallery_topic AS topic ON topic.id = image.topic_id
WHERE image.id IN ({ids})
"""
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
    owner_id: int = 0
    share_without_recipe: bool = False
    nsfw: bool = False
    # Hidden by moderators: only in its owner's own feeds (and staff's).
    hidden_at: datetime | None = None
    hidden_reason: str | None = None

    @classmethod
    def from_row(cls, row) -> "FeedImage":
        """From a row of ``fetch``."""
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
            FeedOwner(row.owner_username, row.owner_display_name or ""),
            FeedTopic(row.topic_slug, row.topic_name) if row.topic_slug is not None else None,
            bool(row.liked),
            row.owner_id,
            bool(row.share_without_recipe),
            bool(row.nsfw),
            row.hidden_at,
            row.hidden_reason,
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
    PAGE_ROWS_SQL (``liked``: whether the person ``liked_by``, a user's id,
    liked the image), then the ordering's other keys (annotations such as a
    like's time, which pagination reads from the last row):
    gallery.pagination's ``fetch``.

    Two queries: the feed's queryset picks the page, the ids and sort keys of
    the images that pass its filters; PAGE_ROWS_SQL reads those images'
    columns, owners and topics by id. Joined in one query as the ORM writes
    it, PostgreSQL planned a join of four or five tables on every page and,
    for a window of Popular, sorted a week's images with all their columns
    (docs/decisions.md)."""
    extra = tuple(
        name
        for name in (key.removeprefix("-") for key in queryset.query.order_by)
        if name not in ("id", "created")  # the keys PAGE_ROWS_SQL reads already
    )
    page = list(queryset.values_list("id", *extra)[:limit])
    if not page:
        return []
    ids = [key[0] for key in page]
    sql = PAGE_ROWS_SQL.format(ids=", ".join(["%s"] * len(ids)))
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, [liked_by, *ids])
        Row = _row_class(tuple(column[0] for column in cursor.description), extra)
        found = {row[0]: row for row in cursor.fetchall()}
    # An image deleted between the two queries is left out of the page.
    return [_typed(Row(*found[id], *keys)) for id, *keys in page if id in found]


def _typed(row):
    """The row with the two values the databases give differently made the
    same: SQLite and MariaDB give the recipe as JSON text (so does PostgreSQL
    through Django's connection) and the time without its zone, which Django
    stores as UTC."""
    recipe, created = row.recipe, row.created
    if isinstance(recipe, str):
        recipe = json.loads(recipe)
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return row._replace(recipe=recipe, created=created)


@cache
def _row_class(columns: tuple[str, ...], extra: tuple[str, ...]):
    """A page's row: the columns of PAGE_ROWS_SQL, then the ordering's
    ``extra`` keys."""
    return namedtuple("FeedRow", (*columns, *extra))


# ---- A page -------------------------------------------------------------------


@dataclass
class FeedPage:
    request: FeedRequest
    feed: Feed
    items: list[FeedImage]
    next_cursor: str | None
    liked_ids: set[int] = field(default_factory=set)

    @property
    def next_request(self) -> FeedRequest | None:
        return replace(self.request, cursor=self.next_cursor) if self.next_cursor else None

    @property
    def is_first(self) -> bool:
        return not self.request.cursor


def images_for(viewer, request: FeedRequest) -> QuerySet:
    """The feed's images with the request's filters, in no particular order."""
    feed = FEEDS[request.feed]
    if feed.login_required and not viewer.is_authenticated:
        raise LoginRequired(f"Log in to see the {feed.label} feed.")
    images = feed.images(viewer, request)
    if feed.name != "mine" or request.nsfw:  # an owner's own page shows them all
        images = nsfw.filtered(images, nsfw.feed_filter(viewer, request.nsfw))
    since = WINDOWS[request.window]
    if since:
        images = images.filter(created__gte=timezone.now() - since)
    if request.topic:
        topic = Topic.objects.filter(slug=request.topic).order_by().values("pk")[:1]
        images = images.filter(topic=Subquery(topic))
    if request.user:
        owner = get_user_model().objects.filter(username=request.user).order_by().values("pk")[:1]
        images = images.filter(owner=Subquery(owner))
    return search(images, request.q, viewer)


def load_page(viewer, request: FeedRequest, *, size: int = PAGE_SIZE) -> FeedPage:
    """One page of a feed: its images (``FeedImage`` rows, each with its owner,
    topic and whether the viewer liked it), and the cursor of the next page, in
    one query (up to two for a later page ordered by a count, see pagination;
    one more on SQLite for a search, see search).
    Raises LoginRequired, or FeedError for a cursor it did not give out."""
    feed = FEEDS[request.feed]
    images = images_for(viewer, request)
    asks_liked = viewer.is_authenticated and not feed.all_liked
    try:
        page = paginate(
            images,
            feed.ordering,
            request.cursor,
            size=size,
            salt=feed.name,
            fetch=partial(fetch, liked_by=viewer.pk if asks_liked else None),
        )
    except InvalidCursor as exc:
        raise FeedError("cursor", str(exc)) from exc
    items = [FeedImage.from_row(row) for row in page.items]
    for image in items:
        image.liked = image.liked or feed.all_liked
        if not shows_recipe(viewer, image):
            image.recipe = {}
    liked = {image.pk for image in items if image.liked}
    return FeedPage(request, feed, items, page.next_cursor, liked)
