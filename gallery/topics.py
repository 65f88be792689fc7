"""Topics (the seed's "projects") and subscriptions to them: the rules that both
the pages and the API follow.

A topic's address (its slug) comes from its name and never changes: a clash
takes the next free "-2", "-3"…, unless the person chose the slug, who is then
told it is taken. A cover is stored as a WebP through storage; a replaced or
deleted cover's file is removed once the change is committed, and a file
written for a change that fails is removed at once, so none is left orphaned.
Deleting a topic keeps its images (their topic becomes empty).
"""

import uuid
from functools import cache

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import validate_unicode_slug
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Exists, OuterRef, Q, Subquery, Value
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils.text import slugify

from imaging.thumbnails import make_thumbnail
from notifications.notify import Kind, notify

from .counts import anyone_suspended, suspended_people, total, unsuspended_total
from .models import Subscription, Topic
from .permissions import listed_images
from .quick_urls import id_url, text_url

NAME_MAX = 80
DESCRIPTION_MAX = 5000
SLUG_MAX = 80
COVER_WIDTH = 1280
# Paths under /topics/ that a topic's address must not take.
RESERVED_SLUGS = frozenset({"new"})
SLUG_TAKEN = "A topic already has this address. Choose another one."
SLUG_INVALID = "Use letters, numbers, hyphens or underscores only."
SLUG_RESERVED = "This address is reserved. Choose another one."


class TopicError(ValueError):
    """A change refused for a reason the person can fix; ``field`` names the input."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class NotSubscribed(ValueError):
    pass


class AlreadySubscribed(ValueError):
    pass


# ---- Who may do what -------------------------------------------------------


def can_change_topic(user, topic: Topic) -> bool:
    return user.is_authenticated and (user.pk == topic.owner_id or user.is_staff)


# ---- Reading -----------------------------------------------------------------


def topics_for(user):
    """Topics with ``image_count`` (public images only), ``subscriber_count``
    (suspended people left out: gallery.counts) and whether ``user`` is
    ``subscribed``, each a subquery (no row fan-out).
    Their owners are not loaded: a card does not show them (select_related
    where the owner is shown). Hidden topics only for their owner and staff."""
    return _shown_to(user, _topics_with_counts(anyone_suspended()))


def topics_for_cards(user):
    """``topics_for`` with the ids of each topic's newest public images
    (``latest_0``, ``latest_1``…), which a card without a cover shows; a
    topic's own page and the API do without them."""
    return _shown_to(user, _topics_with_newest_images(anyone_suspended()))


def _shown_to(user, topics):
    if user.is_authenticated:
        subscribed = Exists(Subscription.objects.filter(topic=OuterRef("pk"), user=user))
        if not user.is_staff:
            topics = topics.filter(Q(hidden_at__isnull=True) | Q(owner=user))
    else:
        subscribed = Value(False, output_field=BooleanField())
        topics = topics.filter(hidden_at__isnull=True)
    return topics.annotate(subscribed=subscribed)


LATEST_SHOWN = 3  # images on a card without a cover


@cache
def _topics_with_counts(subtract: bool):
    """The counts' part of ``topics_for``, built once a process: resolving
    the two subqueries was half of a topic page's ORM work. Each request
    annotates and filters a copy (a queryset is never changed in place), as
    Django's generic views do with their ``queryset``."""
    return Topic.objects.annotate(
        image_count=total(listed_images().filter(topic=OuterRef("pk"))),
        subscriber_count=unsuspended_total(
            Subscription.objects.filter(topic=OuterRef("pk")), "user", subtract=subtract
        ),
    )


@cache
def _topics_with_newest_images(subtract: bool):
    """``_topics_with_counts`` and the newest public images, built once a
    process likewise."""
    # A card shows them to everyone, whatever their NSFW preference: never an
    # NSFW one (gallery.nsfw).
    newest = listed_images().filter(topic=OuterRef("pk"), nsfw=False).order_by("-created", "-id")
    return _topics_with_counts(subtract).annotate(
        # Each a seek in the (topic, -created, -id, nsfw) index.
        **{f"latest_{n}": Subquery(newest.values("id")[n : n + 1]) for n in range(LATEST_SHOWN)},
    )


def latest_thumbnails(topic) -> list[str]:
    """The thumbnails of the topic's newest public images that are not NSFW, newest first, from
    ``topics_for_cards``'s annotations (none on a topic loaded otherwise)."""
    ids = (getattr(topic, f"latest_{n}", None) for n in range(LATEST_SHOWN))
    return [id_url(pk, "gallery:thumbnail") for pk in ids if pk is not None]


def cover_url(topic: Topic) -> str:
    """The cover's address ("" without one). It names the file's version, so a
    replaced cover is never served from a cache."""
    if not topic.cover:
        return ""
    version = topic.cover.name.rsplit("/", 1)[-1].split(".", 1)[0][:12]
    return f"{text_url(topic.slug, 'gallery:topic_cover')}?v={version}"


def subscriber_count(topic: Topic) -> int:
    return (
        Subscription.objects.filter(topic=topic)
        .exclude(user__in=suspended_people().values("user"))
        .count()
    )


def is_subscribed(user, topic: Topic) -> bool:
    return user.is_authenticated and Subscription.objects.filter(user=user, topic=topic).exists()


# ---- Creating, editing, deleting ------------------------------------------


def create_topic(owner, *, name: str, description: str = "", slug: str = "", cover=None) -> Topic:
    """Create a topic. ``cover`` is an accepted upload (imaging.validation's
    ``ValidatedImage``) or None. A chosen ``slug`` that is taken raises
    TopicError; without one, the name's slug gets the first free suffix."""
    chosen = _normalise_slug(slug)
    cover_name = _save_cover(cover) if cover is not None else ""
    try:
        for _attempt in range(5):
            candidate = chosen or _free_slug(_slug_base(name))
            try:
                with transaction.atomic():
                    return Topic.objects.create(
                        owner=owner,
                        name=name,
                        description=description,
                        slug=candidate,
                        cover=cover_name,
                    )
            except IntegrityError:
                # Someone took this slug between our look and our insert.
                if chosen:
                    raise TopicError("slug", SLUG_TAKEN) from None
        raise TopicError("name", "Too many topics are being created with this name; try again.")
    except BaseException:
        if cover_name:
            default_storage.delete(cover_name)
        raise


def update_topic(
    topic: Topic,
    *,
    name: str | None = None,
    description: str | None = None,
    cover=None,
    remove_cover: bool = False,
) -> Topic:
    """Change what is given; the slug stays. A new ``cover`` replaces the old
    one; ``remove_cover`` drops it."""
    fields = []
    if name is not None:
        topic.name = name
        fields.append("name")
    if description is not None:
        topic.description = description
        fields.append("description")
    old_cover = topic.cover.name
    new_cover = _save_cover(cover) if cover is not None else ""
    if new_cover or (remove_cover and old_cover):
        topic.cover = new_cover
        fields.append("cover")
    if not fields:
        return topic
    try:
        with transaction.atomic():
            topic.save(update_fields=fields)
    except BaseException:
        if new_cover:
            default_storage.delete(new_cover)
        topic.cover = old_cover
        raise
    if "cover" in fields and old_cover:
        transaction.on_commit(lambda: default_storage.delete(old_cover))
    return topic


def delete_topic(topic: Topic) -> None:
    """Delete the topic and its subscriptions; its images stay, without a topic.
    The cover's file goes once the deletion is committed (see below)."""
    topic.delete()


@receiver(post_delete, sender=Topic, dispatch_uid="gallery.topics.remove_cover_file")
def remove_cover_file(sender, instance: Topic, **kwargs) -> None:
    """However a topic goes (its own page, the API, its owner's account being
    deleted), its cover's file goes with it once that is committed."""
    cover = instance.cover.name
    if cover:
        transaction.on_commit(lambda: default_storage.delete(cover))


# ---- Subscriptions ---------------------------------------------------------


def subscribe(user, topic: Topic) -> None:
    """Subscribe ``user``; raises AlreadySubscribed if they are (nothing changes)."""
    try:
        with transaction.atomic():
            Subscription.objects.create(user=user, topic=topic)
            notify(topic.owner_id, Kind.SUBSCRIBE, actor=user, topic=topic, text=topic.name)
    except IntegrityError:
        raise AlreadySubscribed("You are already subscribed to this topic.") from None


def unsubscribe(user, topic: Topic) -> None:
    """Unsubscribe ``user``; raises NotSubscribed if they were not."""
    deleted, _ = Subscription.objects.filter(user=user, topic=topic).delete()
    if not deleted:
        raise NotSubscribed("You are not subscribed to this topic.")


# ---- Helpers ---------------------------------------------------------------


def _slug_base(name: str) -> str:
    base = slugify(name, allow_unicode=True)[: SLUG_MAX - 4].strip("-_")
    return base or "topic"


def _free_slug(base: str) -> str:
    taken = set(Topic.objects.filter(slug__startswith=base).values_list("slug", flat=True)) | set(
        RESERVED_SLUGS
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _normalise_slug(slug: str) -> str:
    slug = (slug or "").strip().lower()
    if not slug:
        return ""
    if len(slug) > SLUG_MAX:
        raise TopicError("slug", f"Use at most {SLUG_MAX} characters.")
    try:
        validate_unicode_slug(slug)
    except ValidationError:
        raise TopicError("slug", SLUG_INVALID) from None
    if slug in RESERVED_SLUGS:
        raise TopicError("slug", SLUG_RESERVED)
    if Topic.objects.filter(slug=slug).exists():
        raise TopicError("slug", SLUG_TAKEN)
    return slug


def _save_cover(cover) -> str:
    data, _width, _height = make_thumbnail(cover.image, width=COVER_WIDTH)
    return default_storage.save(f"covers/{uuid.uuid4().hex}.webp", ContentFile(data))
