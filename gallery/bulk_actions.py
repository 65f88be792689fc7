"""Changing many images at once (My images' selection, the API): publish,
unlist, make private, mark or unmark NSFW, move to a topic, delete.

All or nothing: every image named must be one the person may change
(``permissions.can_change``: their own, or any for staff). If any is not,
nothing changes and each refused image is named with the reason (a 403 if
one is visible but not theirs, else a 404, as for one image). A request
names at most ``MAX_IDS`` images."""

from dataclasses import dataclass

from django.db import transaction

from . import hot_pages, public_thumbnails
from .models import Image, Topic
from .permissions import can_change, viewable_images
from .storing import delete_image

MAX_IDS = 200
VISIBILITY_OF = {
    "publish": Image.Visibility.PUBLIC,
    "unlist": Image.Visibility.UNLISTED,
    "make_private": Image.Visibility.PRIVATE,
}
NSFW_OF = {"mark_nsfw": True, "unmark_nsfw": False}
ACTIONS = (*VISIBILITY_OF, *NSFW_OF, "move", "delete")
NOT_YOURS = "Not yours to change."
NO_SUCH_IMAGE = "No such image."
ACTION_LABELS = {
    "publish": "Publish",
    "unlist": "Unlist",
    "make_private": "Make private",
    "mark_nsfw": "Mark NSFW",
    "unmark_nsfw": "Unmark NSFW",
    "move": "Move to topic",
    "delete": "Delete",
}


class BulkError(ValueError):
    """A request refused as a whole: ``field`` names the input at fault;
    ``refused`` maps each refused image id to why."""

    def __init__(self, field: str, message: str, refused: dict[int, str] | None = None):
        super().__init__(message)
        self.field = field
        self.message = message
        self.refused = refused or {}

    @property
    def status(self) -> int:
        """400 for bad input; for refused images, as for one image: 403 when
        one is visible but not the person's, else 404."""
        if not self.refused:
            return 400
        return 403 if NOT_YOURS in self.refused.values() else 404


@dataclass(frozen=True)
class BulkResult:
    action: str
    ids: list[int]

    @property
    def count(self) -> int:
        return len(self.ids)


def parse_ids(values) -> list[int]:
    """Distinct image ids, in the order given; BulkError for anything else."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise BulkError("ids", "Send a list of image ids.")
    values = list(values)
    if not values:
        raise BulkError("ids", "Select at least one image.")
    if len(values) > MAX_IDS:
        raise BulkError("ids", f"Select at most {MAX_IDS} images at a time.")
    ids = []
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise BulkError("ids", f"“{str(value)[:40]}” is not an image id.") from None
        if number <= 0 or number > 2**63 - 1:
            raise BulkError("ids", f"“{number}” is not an image id.")
        if number not in ids:
            ids.append(number)
    return ids


def apply(user, action: str, ids, *, topic: str = "") -> BulkResult:
    """Do ``action`` to the images ``ids`` (raw values, checked here) of
    ``user``; ``topic``: the slug to move them into ("" takes them out of
    their topic). BulkError, with nothing changed, for any refusal."""
    if action not in ACTIONS:
        raise BulkError("action", f"Unknown action “{action}”: use one of {', '.join(ACTIONS)}.")
    ids = parse_ids(ids)
    target = None
    if action == "move" and topic:
        target = Topic.objects.filter(slug=topic).first()
        if target is None:
            raise BulkError("topic", f"No topic “{topic}”.")
    with transaction.atomic():
        images = {
            image.pk: image
            for image in viewable_images(user).select_for_update().filter(pk__in=ids)
        }
        refused = {}
        for pk in ids:
            image = images.get(pk)
            if image is None:
                refused[pk] = NO_SUCH_IMAGE
            elif not can_change(user, image):
                refused[pk] = NOT_YOURS
        if refused:
            raise BulkError(
                "ids",
                f"{len(refused)} of the {len(ids)} images cannot be changed by you; "
                "nothing was changed.",
                refused,
            )
        chosen = Image.objects.filter(pk__in=ids)
        if action in VISIBILITY_OF:
            chosen.update(visibility=VISIBILITY_OF[action])
            public_thumbnails.sync_on_commit(ids)
        elif action in NSFW_OF:
            chosen.update(nsfw=NSFW_OF[action])
        elif action == "move":
            chosen.update(topic=target)
        else:
            for image in images.values():
                delete_image(image)
        hot_pages.changed()
    return BulkResult(action, ids)
