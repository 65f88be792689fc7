"""Counting: ``total``, the count or sum of related rows as one plain
aggregate, and the kept counts ``Image.like_count`` and
``Image.comment_count``, which stay equal to their rows when a person is
deleted.

``total`` is a subquery without GROUP BY: Django writes
``rows.values(key).annotate(n=Count(...))`` grouped by ``key``, and the
database then groups rows it has already filtered to one key; one plain
aggregate is cheaper (bench/feeds.py measures the profile and topic pages).

Their likes vanish by cascade, so just before the user row goes, the counts
of the images they liked are lowered by what is about to vanish — in the
deletion's own transaction. The person's row is locked first, so a like they
make from another session meanwhile either finishes before the counts are
read or fails (its user is gone). Their comments stay, by "deleted user"
(``Comment.user`` is SET_NULL), so comment counts keep counting them.

A hidden comment (moderation) is not counted: hiding and restoring change
``comment_count`` (moderation.actions), and what is counted here leaves it out.
Nor is a suspended person's like: ``withdraw_likes`` and ``return_likes``
move every count their likes touch, one UPDATE each, in the suspension's
transaction; a suspended person deleted later has nothing left to release.
Follows and subscriptions are counted when shown, with ``unsuspended_total``:
the rows of the few suspended people (a partial index lists them) are
subtracted, an index probe each, rather than every row joined to its person.

Deleting an image needs nothing: its likes and comments go with it, and no
other image counts them. ``recount`` repairs counts written around the
services (bulk imports, manual SQL)."""

from django.conf import settings
from django.db import transaction
from django.db.models import F, Func, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from accounts.models import Profile

from .models import Comment, Image, Like


def release_counts(user) -> None:
    """Lower the like counts of other people's images by ``user``'s likes
    (a suspended person's are out of them already)."""
    with transaction.atomic():
        type(user)._default_manager.select_for_update().filter(pk=user.pk).values_list("pk").first()
        if not suspended_people().filter(user=user).exists():
            liked = Like.objects.filter(user=user).values("image_id")
            Image.objects.filter(pk__in=liked).exclude(owner=user).update(
                like_count=Greatest(F("like_count") - 1, Value(0))
            )


def withdraw_likes(user) -> int:
    """Take ``user``'s likes out of the counts (they are being suspended):
    one UPDATE, each liked image one less (a person likes an image once).
    Call it once, in the transaction that locked their row and suspends
    them; how many images changed."""
    liked = Like.objects.filter(user=user).values("image_id")
    return Image.objects.filter(pk__in=liked).update(
        like_count=Greatest(F("like_count") - 1, Value(0))
    )


def return_likes(user) -> int:
    """Put ``user``'s likes back into the counts (their suspension is lifted)."""
    liked = Like.objects.filter(user=user).values("image_id")
    return Image.objects.filter(pk__in=liked).update(like_count=F("like_count") + 1)


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="gallery.counts.user")
def release_counts_of_deleted_user(sender, instance, **kwargs):
    release_counts(instance)


def recount(images=None) -> int:
    """Set the counts of ``images`` (all by default) from their rows; how many were updated."""
    images = Image.objects.all() if images is None else images
    return images.update(
        like_count=unsuspended_total(Like.objects.filter(image=OuterRef("pk")), "user"),
        comment_count=total(Comment.objects.filter(image=OuterRef("pk"), hidden_at__isnull=True)),
    )


def suspended_people() -> QuerySet:
    """The suspended accounts' profiles (``user`` their id), from the
    partial index that holds only them."""
    return Profile.objects.filter(suspended_at__isnull=False)


def anyone_suspended() -> bool:
    """Whether any account is suspended: one look into the partial index that
    holds only them. While none is (nearly always), a page's counts need not
    subtract anyone's rows, and it builds the plainer query: the subtraction
    was 1.7 ms of a profile page's 10 (Django compiling the nested subqueries)."""
    return suspended_people().exists()


def unsuspended_total(
    rows: QuerySet, person: str, function="COUNT", column="", *, distinct=False, subtract=True
):
    """``total`` of ``rows`` less the rows whose ``person`` field names a
    suspended account: what others see of follows and subscriptions. Without
    ``subtract`` (no one is suspended: ``anyone_suspended``), ``total`` alone."""
    if not subtract:
        return total(rows, function, column, distinct=distinct)
    theirs = rows.filter(**{f"{person}__in": suspended_people().values("user")})
    return total(rows, function, column, distinct=distinct) - total(
        theirs, function, column, distinct=distinct
    )


def total(rows: QuerySet, function: str = "COUNT", column: str = "", *, distinct: bool = False):
    """``function`` (COUNT or SUM) of ``column`` over ``rows`` (a queryset
    filtered on the outer row with OuterRef), 0 when there are none. COUNT
    without a column counts rows (``COUNT(*)``, answered from any index)."""
    if not column:
        aggregate = Func(template=f"{function}(*)", output_field=IntegerField())
    else:
        template = "%(function)s(DISTINCT %(expressions)s)" if distinct else Func.template
        aggregate = Func(
            F(column), function=function, template=template, output_field=IntegerField()
        )
    return Coalesce(Subquery(rows.order_by().values(n=aggregate)), 0, output_field=IntegerField())
