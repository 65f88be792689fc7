"""A feed's tiles and the like button. The markup is the macros of
``gallery/jinja2/gallery/tiles.html`` (autoescaped); this module gives them
what they need to know about the viewer, once a page. The Django templates
``_tile.html``, ``_grid.html`` and ``_like_button.html`` reach them through
``feed_tags``."""

from functools import cache

from django.core.exceptions import ObjectDoesNotExist
from django.middleware.csrf import get_token
from django.template import engines

from . import nsfw
from .feeds import FeedOwner
from .quick_urls import plain_url


class Viewer:
    """What every tile of a page needs to know about the person looking:
    worked out once a page, not once a tile."""

    def __init__(self, request, user):
        self.authenticated = bool(user and user.is_authenticated)
        # Their own tiles carry ``data-mine``: the ones a bulk selection may take.
        self.user = user
        self.user_id = user.pk if self.authenticated else None
        self.csrf_token = ""
        self.login_url = ""
        if self.authenticated and request is not None:
            self.csrf_token = get_token(request)
        elif not self.authenticated:
            self.login_url = plain_url("account_login")

    def blurs(self, image) -> bool:
        """Whether this NSFW ``image`` is blurred for this person (gallery.nsfw)."""
        if not getattr(image, "nsfw", False) or image.owner_id == self.user_id:
            return False
        return nsfw.preference(self.user) != nsfw.SHOW  # read once a request

    @classmethod
    def from_context(cls, context) -> "Viewer":
        request = context.get("request")
        user = context.get("user") or getattr(request, "user", None)
        return cls(request, user)


def owner_name(image) -> str:
    owner = image.owner
    if isinstance(owner, FeedOwner):  # a feed's row (gallery.feeds.FeedImage)
        return owner.name
    try:
        return owner.profile.name or owner.username
    except ObjectDoesNotExist:
        return owner.username


@cache
def _macros():
    return engines["jinja2"].env.get_template("gallery/tiles.html").module


def like_button(image, liked: bool, viewer: Viewer, *, compact: bool = False):
    """The heart and its count. A logged-in person's button toggles itself
    with htmx (POST likes, DELETE unlikes; the answer is this button again)
    and falls back to a plain form post; a visitor's heart asks them to log
    in first."""
    return _macros().like_button(image, liked, viewer, compact)


def tile(image, viewer: Viewer):
    """One image in a masonry grid (``image.liked`` is set by
    gallery.feeds.load_page; False when absent)."""
    return _macros().tile(image, viewer)


def tiles(images, viewer: Viewer):
    return _macros().tiles(images, viewer)
