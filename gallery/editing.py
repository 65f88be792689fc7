"""Changing an image's title, description, topic, visibility and NSFW flag.

Who may change an image is ``gallery.permissions.can_change`` (its owner, or
staff); the bounds on each field are here, and the forms of the edit page, the
upload page and the API all take them from here.

Topics are shared themes, not private albums: any signed-in person may put
their own images into any existing topic (``postable_topics``). The topic's
owner curates the topic itself (name, description, cover), not who posts to it.
"""

from accounts.models import Profile

from . import hot_pages, public_thumbnails
from .models import Image, Topic

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
EDITABLE_FIELDS = (
    "title",
    "description",
    "topic",
    "visibility",
    "share_without_recipe",
    "nsfw",
)


def default_visibility(user) -> str:
    """What a person's Generate and Upload start with (their Settings), in one query."""
    chosen = Profile.objects.filter(user=user).values_list("default_visibility", flat=True)
    return chosen.first() or Image.Visibility.PRIVATE


def postable_topics():
    """The topics a person may put their images in: every topic."""
    return Topic.objects.order_by("name", "pk")


def edit_image(image: Image, **changes) -> Image:
    """Apply validated changes (any of ``EDITABLE_FIELDS``) to ``image`` in one
    UPDATE and return it. Fields not given stay as they are."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not an editable field: {', '.join(sorted(unknown))}")
    if not changes:
        return image
    for field, value in changes.items():
        setattr(image, field, value)
    image.save(update_fields=list(changes))
    hot_pages.changed()  # a title, topic or visibility the visitors' pages may show
    if "visibility" in changes:
        public_thumbnails.sync_on_commit([image.pk])
    return image
