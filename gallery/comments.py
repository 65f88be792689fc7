"""Commenting on an image: who may add, edit and delete, what a comment may
say, and ``Image.comment_count`` kept equal to the number of rows (each change
to the rows and the count happens in one transaction).

Anyone who can see an image may comment on it. The author edits their own
comment; the author, the image's owner (moderating their own page) and staff
delete it. Pages and the API both call these functions. When an author
deletes their account their comments stay, by ``DELETED_AUTHOR``: no one
can edit them any more; the image's owner and staff still delete them.

A hidden comment (moderation) is seen by its author and staff only, and
``comment_count`` counts the comments others see: hiding lowers it, restoring
raises it again."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone

from notifications.notify import Kind, notify

from .models import Comment, Image
from .permissions import can_view, sees_hidden

MAX_LENGTH = 5000
# Who wrote a comment whose author has since deleted their account (the
# comment stays, its user None: Comment.user is SET_NULL).
DELETED_AUTHOR = "deleted user"
PAGE_SIZE = 50


def clean_text(text) -> str:
    """The comment's text, trimmed; ValidationError unless 1..MAX_LENGTH characters."""
    if not isinstance(text, str | None):
        raise ValidationError("A comment is text.", code="invalid")
    text = (text or "").strip()
    if not text:
        raise ValidationError("Write something first: a comment can't be empty.", code="required")
    if len(text) > MAX_LENGTH:
        raise ValidationError(
            f"A comment can be at most {MAX_LENGTH} characters long (this one has {len(text)}).",
            code="max_length",
        )
    return text


def can_comment(user, image: Image) -> bool:
    return user.is_authenticated and can_view(user, image)


def can_edit(user, comment: Comment) -> bool:
    return user.is_authenticated and user.pk == comment.user_id


def can_delete(user, comment: Comment, image: Image | None = None) -> bool:
    if not user.is_authenticated:
        return False
    image = image or comment.image
    return user.pk in (comment.user_id, image.owner_id) or user.is_staff


def shown_to(user, comments):
    """The ``comments`` that ``user`` sees: hidden ones only for their author and staff."""
    if user.is_authenticated and user.is_staff:
        return comments
    if user.is_authenticated:
        return comments.filter(Q(hidden_at__isnull=True) | Q(user=user))
    return comments.filter(hidden_at__isnull=True)


def get_visible(user, comment_id) -> Comment:
    """The comment if ``user`` may see it and its image; Http404 otherwise."""
    comment = Comment.objects.select_related("image", "user__profile").filter(pk=comment_id).first()
    if comment is None or not can_view(user, comment.image):
        raise Http404("No such comment.")
    if comment.is_hidden and not sees_hidden(user, comment.user_id):
        raise Http404("No such comment.")
    return comment


def with_permissions(user, comments, image: Image):
    """Mark each comment with what ``user`` may do with it (for templates)."""
    for comment in comments:
        comment.can_edit = can_edit(user, comment)
        comment.can_delete = can_delete(user, comment, image)
        comment.can_report = user.is_authenticated and comment.user_id not in (None, user.pk)
    return comments


def page(user, image: Image, *, before=None, limit=PAGE_SIZE) -> tuple[list[Comment], int | None]:
    """Up to ``limit`` comments on ``image``, oldest first, that come before the
    comment ``before`` (the newest ones without it), and the id to pass as
    ``before`` for the page of earlier ones (None when there are none). One query."""
    comments = shown_to(user, Comment.objects.filter(image=image)).select_related("user__profile")
    if before is not None:
        comments = comments.filter(pk__lt=before)
    newest_first = list(comments.order_by("-pk")[: limit + 1])
    earlier = newest_first[limit - 1].pk if len(newest_first) > limit else None
    shown = newest_first[:limit][::-1]
    for comment in shown:
        comment.image = image
    return with_permissions(user, shown, image), earlier


def add(user, image: Image, text) -> Comment:
    if not can_comment(user, image):
        raise PermissionDenied("You can't comment on this image.")
    text = clean_text(text)
    try:
        with transaction.atomic():
            comment = Comment.objects.create(user=user, image=image, text=text)
            Image.objects.filter(pk=image.pk).update(comment_count=F("comment_count") + 1)
            notify(image.owner_id, Kind.COMMENT, actor=user, image=image, text=str(image))
    except IntegrityError as exc:  # the image was deleted meanwhile
        raise Http404("No such image.") from exc
    return comment


def edit(user, comment: Comment, text) -> Comment:
    if not can_edit(user, comment):
        raise PermissionDenied("Only its author can edit a comment.")
    text = clean_text(text)
    if text != comment.text:
        comment.text = text
        comment.edited = timezone.now()
        comment.save(update_fields=["text", "edited"])
    return comment


def delete(user, comment: Comment) -> None:
    if not can_delete(user, comment):
        raise PermissionDenied("You can't delete this comment.")
    with transaction.atomic():
        # A hidden comment is not in the count.
        counted, _ = Comment.objects.filter(pk=comment.pk, hidden_at__isnull=True).delete()
        if counted:
            Image.objects.filter(pk=comment.image_id).update(comment_count=F("comment_count") - 1)
        else:
            Comment.objects.filter(pk=comment.pk).delete()


def current_count(image: Image) -> int:
    """The image's comment count as stored now."""
    return Image.objects.filter(pk=image.pk).values_list("comment_count", flat=True).first() or 0
