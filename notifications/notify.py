"""Telling a person what happened to their work, and reading it back.

``notify`` is the one way a notification is made: gallery (likes, comments,
follows, subscriptions) and studio (a generation's end) call it;
``notify_each`` is the same for many people at once (moderation tells every
staff account of a newly reported target). Nobody is told about their own
acts, nor about a kind they muted. An unread notification of the same kind
about the same image or topic (or, for followers and reports, any unread
one) gathers the new actor instead of adding a row, so a popular image
makes one line: "alice and 12 others liked …"."""

from datetime import datetime

from django.core import signing
from django.db import transaction
from django.db.models import Case, F, Q, When
from django.utils import timezone

from .models import MutedKind, Notification

Kind = Notification.Kind
# Batched per image, per topic, or per person; a generation's end never batches.
BATCHED = {Kind.LIKE, Kind.COMMENT, Kind.REMIX, Kind.FOLLOW, Kind.SUBSCRIBE, Kind.REPORT}
# Kinds only staff are told of, and offered in Settings.
STAFF_KINDS = {Kind.REPORT}
TEXT_MAX = Notification._meta.get_field("text").max_length


def notify(recipient_id, kind, *, actor=None, image=None, topic=None, job_id=None, text=""):
    """Record that ``actor`` did ``kind`` to the image/topic of the person
    ``recipient_id``; the notification, or None when nobody is to be told."""
    if actor is not None and actor.pk == recipient_id:
        return None
    if MutedKind.objects.filter(user_id=recipient_id, kind=kind).exists():
        return None
    text = (text or "")[:TEXT_MAX]
    with transaction.atomic():
        if kind in BATCHED:
            unread = Notification.objects.filter(
                recipient_id=recipient_id, kind=kind, read_at__isnull=True, image=image, topic=topic
            )
            batched = unread.order_by("-id").first()
            if batched is not None:
                same_actor = actor is not None and batched.actor_id == actor.pk
                Notification.objects.filter(pk=batched.pk).update(
                    actor=actor,
                    actor_count=F("actor_count") + (0 if same_actor else 1),
                    text=text or batched.text,
                    updated=timezone.now(),
                )
                return batched
        return Notification.objects.create(
            recipient_id=recipient_id,
            kind=kind,
            actor=actor,
            image=image,
            topic=topic,
            job_id=job_id,
            text=text,
        )


def notify_each(recipient_ids, kind, *, actor, text="") -> int:
    """``notify`` for each of ``recipient_ids`` about no image or topic, in
    four queries however many they are: those who muted the kind are left
    out, each one's unread notification of the kind gathers ``actor``, the
    others get a new one. How many people were told."""
    ids = set(recipient_ids) - {actor.pk}
    muted = MutedKind.objects.filter(user_id__in=ids, kind=kind)
    ids -= set(muted.values_list("user_id", flat=True))
    if not ids:
        return 0
    text = (text or "")[:TEXT_MAX]
    with transaction.atomic():
        unread = Notification.objects.filter(
            recipient_id__in=ids, kind=kind, read_at__isnull=True, image=None, topic=None
        )
        gathered = set(unread.values_list("recipient_id", flat=True))
        unread.update(
            actor=actor,
            actor_count=F("actor_count") + Case(When(actor=actor, then=0), default=1),
            text=text,
            updated=timezone.now(),
        )
        Notification.objects.bulk_create(
            Notification(recipient_id=pk, kind=kind, actor=actor, text=text)
            for pk in sorted(ids - gathered)
        )
    return len(ids)


def kinds_for(user) -> list[tuple[str, str]]:
    """The kinds ``user`` may be told of (Settings offers them): staff's only for staff."""
    return [(v, label) for v, label in Kind.choices if user.is_staff or v not in STAFF_KINDS]


def unread_count(user) -> int:
    """One COUNT over the partial index of unread rows."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def for_person(user):
    """A person's notifications, newest first, with what the list shows."""
    return Notification.objects.filter(recipient=user).select_related(
        "actor", "actor__profile", "image", "topic"
    )


class InvalidCursor(ValueError):
    pass


CURSOR_SALT = "notifications.page"


def page(user, after: str | None = None, size: int = 50) -> tuple[list, str | None]:
    """One page of ``user``'s notifications, newest first, after the signed
    cursor ``after`` (raises InvalidCursor for one this did not make), and the
    cursor of the page after it, or None. Keyset on (updated, id), the
    list's index: page 100 costs what page 1 does."""
    rows = for_person(user).order_by("-updated", "-id")
    if after:
        try:
            moment, pk = signing.loads(after, salt=CURSOR_SALT)
            moment = datetime.fromisoformat(moment)
        except (signing.BadSignature, TypeError, ValueError) as exc:
            raise InvalidCursor("not a cursor of this list") from exc
        rows = rows.filter(Q(updated__lt=moment) | Q(updated=moment, pk__lt=pk))
    items = list(rows[: size + 1])
    if len(items) <= size:
        return items, None
    last = items[size - 1]
    return items[:size], signing.dumps([last.updated.isoformat(), last.pk], salt=CURSOR_SALT)


def mark_read(user, ids=None) -> int:
    """Mark ``user``'s notifications read (those of ``ids``, or all); how many changed."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def muted_kinds(user) -> set[str]:
    return set(MutedKind.objects.filter(user=user).values_list("kind", flat=True))


def set_muted_kinds(user, kinds) -> None:
    kinds = set(kinds) & set(Kind.values)
    with transaction.atomic():
        MutedKind.objects.filter(user=user).exclude(kind__in=kinds).delete()
        have = muted_kinds(user)
        MutedKind.objects.bulk_create(MutedKind(user=user, kind=k) for k in kinds - have)
