"""What can be reported and moderated: an image, a comment, a topic or a
profile, found as the person asking may see it. Reports store the kind and
the row's id. The report pages name a target as the public URLs do (an
image or comment by id, a topic by its slug, a person by username:
``named_target``); the API takes either (``target`` or ``target_id``). The
staff's action URLs stay by id: only the queue links to them, and a deleted
target has no slug left."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.http import Http404
from django.urls import reverse

from gallery import comments
from gallery.models import Comment, Image, Topic
from gallery.permissions import can_view
from gallery.topics import topics_for

from .models import Report

MAX_ID = 2**63 - 1
KINDS = tuple(Report.Kind.values)


@dataclass(frozen=True)
class Target:
    kind: str
    id: int
    owner_id: int
    obj: object  # the Image, Comment, Topic or user

    @property
    def label(self) -> str:
        if self.kind == Report.Kind.PROFILE:
            return f"the profile of {self.obj.get_username()}"
        return f"this {self.kind}"

    @property
    def url(self) -> str:
        return target_url(self.kind, self.obj)

    @property
    def key(self) -> str:
        """What the report page's URL names it by (``named_target``)."""
        if self.kind == Report.Kind.TOPIC:
            return self.obj.slug
        if self.kind == Report.Kind.PROFILE:
            return self.obj.get_username()
        return str(self.id)


def target_url(kind: str, obj) -> str:
    if kind == Report.Kind.IMAGE:
        return reverse("gallery:detail", args=[obj.pk])
    if kind == Report.Kind.COMMENT:
        return f"{reverse('gallery:detail', args=[obj.image_id])}#comment-{obj.pk}"
    if kind == Report.Kind.TOPIC:
        return reverse("gallery:topic", args=[obj.slug])
    return reverse("gallery:profile", args=[obj.get_username()])


def parse(kind, target_id) -> tuple[str, int]:
    """The kind and id, or Http404 for a kind that is not one or an id no row can have."""
    if kind not in KINDS:
        raise Http404("Nothing of this kind can be reported.")
    try:
        number = int(str(target_id))
    except ValueError:
        raise Http404("No such thing.") from None
    if not 0 < number <= MAX_ID:
        raise Http404("No such thing.")
    return kind, number


def named_target(user, kind, key) -> Target:
    """The target named as its public URLs name it: a topic by its slug, a
    person by username, an image or a comment by id (``visible_target``)."""
    if kind == Report.Kind.TOPIC:
        return _visible(user, kind, slug=_text(key))
    if kind == Report.Kind.PROFILE:
        return _visible(user, kind, username=_text(key))
    return visible_target(user, kind, key)


def _text(key) -> str:
    key = str(key)
    if "\x00" in key:  # no slug or username has one (and PostgreSQL refuses it)
        raise Http404("No such thing.")
    return key


def visible_target(user, kind, target_id) -> Target:
    """The target as ``user`` sees it; Http404 when it does not exist for them."""
    kind, number = parse(kind, target_id)
    return _visible(user, kind, pk=number)


def _visible(user, kind, **lookup) -> Target:
    if kind == Report.Kind.IMAGE:
        image = Image.objects.filter(**lookup).first()
        if image is None or not can_view(user, image):
            raise Http404("No such image.")
        return Target(kind, image.pk, image.owner_id, image)
    if kind == Report.Kind.COMMENT:
        comment = comments.get_visible(user, lookup["pk"])
        return Target(kind, comment.pk, comment.user_id, comment)
    if kind == Report.Kind.TOPIC:
        topic = topics_for(user).filter(**lookup).first()
        if topic is None:
            raise Http404("No such topic.")
        return Target(kind, topic.pk, topic.owner_id, topic)
    person = get_user_model().objects.filter(is_active=True, **lookup).first()
    if person is None:
        raise Http404("No such person.")
    return Target(kind, person.pk, person.pk, person)


def any_target(kind, target_id) -> Target | None:
    """The target whatever its state (for staff), or None when it is gone."""
    kind, number = parse(kind, target_id)
    if kind == Report.Kind.IMAGE:
        obj = Image.objects.filter(pk=number).first()
    elif kind == Report.Kind.COMMENT:
        obj = Comment.objects.filter(pk=number).first()
    elif kind == Report.Kind.TOPIC:
        obj = Topic.objects.filter(pk=number).first()
    else:
        obj = get_user_model().objects.filter(pk=number).first()
        return Target(kind, number, obj.pk, obj) if obj else None
    if obj is None:
        return None
    owner_id = obj.user_id if kind == Report.Kind.COMMENT else obj.owner_id
    return Target(kind, number, owner_id, obj)
