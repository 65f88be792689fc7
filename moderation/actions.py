"""What staff do with reported content: hide, restore or delete it, dismiss
its reports, suspend its owner's account or lift the suspension. Each action
resolves the target's open reports and changes rows and counts in one
transaction, and public feeds drop (or regain) the content in the same
request: they filter on ``hidden_at`` (gallery.models.LISTED), and the
visitors' cached first pages are invalidated (gallery.hot_pages).

Hidden content keeps everything it had (likes, comments, topic, visibility):
restoring clears the three ``hidden_*`` fields and nothing else. Only
``Image.comment_count`` follows a comment's hiding, since it counts the
comments others see.

A suspension turns the account's ``is_active`` off (no login, no session,
no token: accounts.suspension says why), hides its visible content with
``hidden_by = suspension`` and takes its likes out of every like count
(gallery.counts.withdraw_likes); lifting it restores exactly that content,
not what moderators hid on their own, and puts the likes back. Follows and
subscriptions need nothing here: their counts are counted when shown and
leave out suspended people (gallery.counts.unsuspended_total)."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, OuterRef
from django.utils import timezone

from accounts.models import Profile
from gallery import comments as gallery_comments
from gallery import hot_pages
from gallery.counts import return_likes, total, withdraw_likes
from gallery.models import Comment, Hideable, Image, Topic
from gallery.storing import delete_image
from gallery.topics import delete_topic

from .models import Report
from .targets import Target

HiddenBy = Hideable.HiddenBy
MODELS = {Report.Kind.IMAGE: Image, Report.Kind.COMMENT: Comment, Report.Kind.TOPIC: Topic}


class ActionRefused(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def apply(staff, action: str, target: Target, reason: str = "") -> str:
    """Do ``action`` to ``target``; the sentence saying what was done."""
    reason = reason.strip()
    if action in ("suspend", "unsuspend"):
        if target.owner_id is None:
            raise ActionRefused("Its author deleted their account: there is no one to suspend.")
        person = target.obj if target.kind == Report.Kind.PROFILE else _owner(target)
        if action == "suspend":
            suspend(staff, person, reason)
            return f"{person.get_username()} is suspended; their content is hidden."
        unsuspend(staff, person)
        return f"{person.get_username()} may log in again; their content is back."
    if action == "dismiss":
        resolve(staff, target, Report.Resolution.DISMISSED)
        return "The reports are dismissed."
    if target.kind == Report.Kind.PROFILE:
        raise ActionRefused("A profile is not hidden or deleted: suspend the account instead.")
    if action == "hide":
        hide(staff, target, reason)
        return f"The {target.kind} is hidden."
    if action == "restore":
        restore(target)
        return f"The {target.kind} is back."
    if action == "delete":
        delete(staff, target)
        return f"The {target.kind} is deleted."
    raise ActionRefused(f"Unknown action {action!r}.")


def _owner(target: Target):
    return get_user_model().objects.get(pk=target.owner_id)


def resolve(staff, target: Target, resolution: str) -> int:
    return _resolve(staff, resolution, kind=target.kind, target_id=target.id)


def _resolve(staff, resolution: str, **which) -> int:
    return Report.objects.filter(resolved_at__isnull=True, **which).update(
        resolved_at=timezone.now(), resolved_by=staff, resolution=resolution
    )


# ---- Hiding and restoring one thing ------------------------------------------------


def hide(staff, target: Target, reason: str) -> None:
    model = MODELS[target.kind]
    with transaction.atomic():
        row = model.objects.select_for_update().filter(pk=target.id).first()
        if row is None:
            raise ActionRefused(f"The {target.kind} is gone.")
        if row.hidden_at is None and target.kind == Report.Kind.COMMENT:
            _count_comment(row.image_id, -1)
        model.objects.filter(pk=target.id).update(
            hidden_at=row.hidden_at or timezone.now(),
            hidden_by=HiddenBy.MODERATORS,
            hidden_reason=reason,
        )
        resolve(staff, target, Report.Resolution.HIDDEN)
        hot_pages.changed()


def restore(target: Target) -> None:
    model = MODELS[target.kind]
    with transaction.atomic():
        row = model.objects.select_for_update().filter(pk=target.id).first()
        if row is None:
            raise ActionRefused(f"The {target.kind} is gone.")
        if row.hidden_at is None:
            return
        if row.hidden_by == HiddenBy.SUSPENSION:
            raise ActionRefused(
                f"The {target.kind} is hidden because its owner is suspended: "
                "lift the suspension to bring it back."
            )
        if target.kind == Report.Kind.COMMENT:
            _count_comment(row.image_id, +1)
        model.objects.filter(pk=target.id).update(
            hidden_at=None, hidden_by=None, hidden_reason=None
        )
        hot_pages.changed()


def _count_comment(image_id: int, change: int) -> None:
    Image.objects.filter(pk=image_id).update(comment_count=F("comment_count") + change)


def delete(staff, target: Target) -> None:
    with transaction.atomic():
        if target.kind == Report.Kind.IMAGE:
            # Its comments go with it, and so do their reports.
            on_it = list(Comment.objects.filter(image=target.obj).values_list("pk", flat=True))
            _resolve(
                staff, Report.Resolution.DELETED, kind=Report.Kind.COMMENT, target_id__in=on_it
            )
            delete_image(target.obj)
        elif target.kind == Report.Kind.COMMENT:
            gallery_comments.delete(staff, target.obj)
        else:
            delete_topic(target.obj)
        resolve(staff, target, Report.Resolution.DELETED)


# ---- Suspending an account ----------------------------------------------------------


def suspend(staff, person, reason: str) -> None:
    if person.is_staff or person.is_superuser:
        raise ActionRefused("A staff account is not suspended here: remove its staff status first.")
    with transaction.atomic():
        _lock(person)
        type(person)._default_manager.filter(pk=person.pk).update(is_active=False)
        now = timezone.now()
        profile, _ = Profile.objects.get_or_create(user=person)
        if profile.suspended_at is None:  # once: suspending again changes no count
            withdraw_likes(person)
            profile.suspended_at = now
        profile.suspension_reason = reason
        profile.save(update_fields=["suspended_at", "suspension_reason"])
        hidden = {"hidden_at": now, "hidden_by": HiddenBy.SUSPENSION, "hidden_reason": reason}
        visible_comments = Comment.objects.filter(user=person, hidden_at__isnull=True)
        Image.objects.filter(pk__in=visible_comments.values("image_id")).update(
            comment_count=F("comment_count") - total(visible_comments.filter(image=OuterRef("pk")))
        )
        visible_comments.update(**hidden)
        Image.objects.filter(owner=person, hidden_at__isnull=True).update(**hidden)
        Topic.objects.filter(owner=person, hidden_at__isnull=True).update(**hidden)
        _resolve(staff, Report.Resolution.SUSPENDED, target_owner=person)
        hot_pages.changed()
    person.is_active = False


def unsuspend(staff, person) -> None:
    with transaction.atomic():
        _lock(person)
        type(person)._default_manager.filter(pk=person.pk).update(is_active=True)
        lifted = Profile.objects.filter(user=person, suspended_at__isnull=False)
        if lifted.update(suspended_at=None, suspension_reason=""):
            return_likes(person)
        shown = {"hidden_at": None, "hidden_by": None, "hidden_reason": None}
        back = Comment.objects.filter(user=person, hidden_by=HiddenBy.SUSPENSION)
        Image.objects.filter(pk__in=back.values("image_id")).update(
            comment_count=F("comment_count") + total(back.filter(image=OuterRef("pk")))
        )
        back.update(**shown)
        Image.objects.filter(owner=person, hidden_by=HiddenBy.SUSPENSION).update(**shown)
        Topic.objects.filter(owner=person, hidden_by=HiddenBy.SUSPENSION).update(**shown)
        hot_pages.changed()
    person.is_active = True


def _lock(person) -> None:
    """Lock the person's row: a like of theirs meanwhile waits, then finds
    them suspended (gallery.likes)."""
    type(person)._default_manager.select_for_update().filter(pk=person.pk).values_list("pk").first()
