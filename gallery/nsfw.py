"""Images flagged NSFW: who sees them, and how.

An image's owner (or staff) flags it (``Image.nsfw``). Each person chooses in
Settings how flagged images reach them (``Profile.nsfw_preference``):

- ``show``: like any other image;
- ``blur``: blurred in tiles, the lightbox and the image page until clicked
  (the default, and what visitors get);
- ``hide``: left out of the feeds (Recent, Popular, topics, profiles,
  search…), filtered in the feed's query so that its pages stay full and
  its cursors exact. An image opened by its link is blurred instead.

A person's own images are never blurred for them, and "My images" shows
them all whatever the preference.

The API takes ``?nsfw=`` on its image lists (``include``, ``exclude``,
``only``); without it a list follows the person's preference (``hide``:
``exclude``, otherwise ``include``).
"""

from django.db.models import QuerySet

from accounts.models import Profile

SHOW, BLUR, HIDE = "show", "blur", "hide"
PREFERENCES = (SHOW, BLUR, HIDE)
VISITOR_PREFERENCE = BLUR

INCLUDE, EXCLUDE, ONLY = "include", "exclude", "only"
FILTERS = (INCLUDE, EXCLUDE, ONLY)

# Where a preference is kept on the request's user, read once a request.
_CACHED = "_nsfw_preference"


def preference(user) -> str:
    """The person's preference (``BLUR`` for a visitor), in one query the
    first time a request asks, none after."""
    if user is None or not user.is_authenticated:
        return VISITOR_PREFERENCE
    cached = getattr(user, _CACHED, None)
    if cached is None:
        chosen = Profile.objects.filter(user=user).values_list("nsfw_preference", flat=True)
        cached = chosen.first() or VISITOR_PREFERENCE
        if cached not in PREFERENCES:
            cached = VISITOR_PREFERENCE
        setattr(user, _CACHED, cached)
    return cached


def remember(user, chosen: str) -> None:
    """The preference just saved, for the rest of this request."""
    setattr(user, _CACHED, chosen)


def feed_filter(user, asked: str = "") -> str:
    """What a feed does with NSFW images: ``asked`` (an API's ``?nsfw=``) if
    given, else what the person's preference implies."""
    if asked:
        return asked
    return EXCLUDE if preference(user) == HIDE else INCLUDE


def filtered(images: QuerySet, how: str) -> QuerySet:
    """``images`` with NSFW ones kept (``INCLUDE``), left out or alone."""
    if how == EXCLUDE:
        return images.filter(nsfw=False)
    if how == ONLY:
        return images.filter(nsfw=True)
    return images


def blurs(user, image, chosen: str | None = None) -> bool:
    """Whether ``image`` (a model or a feed's row) is shown blurred to ``user``
    until they click it. ``chosen``: their preference, when known already."""
    if not image.nsfw:
        return False
    if user is not None and user.is_authenticated and user.pk == image.owner_id:
        return False
    chosen = chosen or preference(user)
    return chosen != SHOW
