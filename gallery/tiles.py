"""The markup of a feed's tiles and of the like button, written in Python.

A feed page is 24 tiles, each with a like button. Through the template engine
(an ``{% include %}`` per tile and per button, ~13 variables and filters
each) that took ~60 % of the page's server time at 100k images, more than the
database; built here with ``escape`` and f-strings it takes a tenth of that
(docs/decisions.md, bench/RESULTS.md). The templates ``_tile.html``,
``_grid.html`` and ``_like_button.html`` call these through ``feed_tags``,
so this is the only place the markup lives.

Every value that comes from a person (titles, prompts, names) goes through
``escape``; numbers go through ``int``.
"""

from urllib.parse import quote

from django.core.exceptions import ObjectDoesNotExist
from django.middleware.csrf import get_token
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .feed_rows import FeedOwner
from .quick_urls import image_url, plain_url, text_url

PROMPT_CHARS = 240  # CSS clamps the lines; this bounds the bytes sent.

BADGE_ICONS = {"private": "bi-lock-fill", "unlisted": "bi-link-45deg"}


class Viewer:
    """What every tile of a page needs to know about the person looking:
    worked out once a page, not once a tile."""

    def __init__(self, request, user):
        self.authenticated = bool(user and user.is_authenticated)
        self.csrf_input = ""
        self.login_url = ""
        if self.authenticated and request is not None:
            token = escape(get_token(request))
            self.csrf_input = f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
        elif not self.authenticated:
            self.login_url = plain_url("account_login")

    @classmethod
    def from_context(cls, context) -> "Viewer":
        request = context.get("request")
        user = context.get("user") or getattr(request, "user", None)
        return cls(request, user)


def like_button(image, liked: bool, viewer: Viewer, *, compact: bool = False) -> SafeString:
    """The heart and its count. A logged-in person's button toggles itself
    with htmx (POST likes, DELETE unlikes; the answer is this button again)
    and falls back to a plain form post; a visitor's heart asks them to log
    in first."""
    size = "btn-sm " if compact else ""
    count = int(image.like_count)
    plural = "" if count == 1 else "s"
    hearts = (
        '<i class="bi bi-heart" aria-hidden="true"></i>'
        '<i class="bi bi-heart-fill" aria-hidden="true"></i>'
    )
    if not viewer.authenticated:
        after_login = quote(image_url(image, "gallery:detail"), safe="/")
        return mark_safe(
            f'<a class="btn {size}btn-outline-secondary like-btn" '
            f'href="{viewer.login_url}?next={after_login}" title="Log in to like">'
            f'{hearts}<span class="like-count">{count}</span>'
            f'<span class="visually-hidden">like{plural} — log in to like</span></a>'
        )
    like_url = image_url(image, "gallery:like")
    # The answer replaces this button: ask for the same size back.
    toggle_url = f"{like_url}?compact=1" if compact else like_url
    if liked:
        action, method, state = image_url(image, "gallery:unlike"), "hx-delete", " is-liked"
        pressed, title, yours = "true", "Unlike", ", including yours"
    else:
        action, method, state = like_url, "hx-post", ""
        pressed, title, yours = "false", "Like", ""
    return mark_safe(
        f'<form class="like-form" method="post" action="{action}">{viewer.csrf_input}'
        f'<button type="submit" class="btn {size}btn-outline-secondary like-btn{state}" '
        f'{method}="{toggle_url}" hx-target="closest .like-form" hx-swap="outerHTML" '
        f'hx-params="none" aria-pressed="{pressed}" title="{title}">'
        f'{hearts}<span class="like-count">{count}</span>'
        f'<span class="visually-hidden">like{plural}{yours}</span></button></form>'
    )


def owner_name(image) -> str:
    owner = image.owner
    if isinstance(owner, FeedOwner):  # a feed's row (gallery.feed_rows)
        return owner.name
    try:
        return owner.profile.name or owner.username
    except ObjectDoesNotExist:
        return owner.username


def tile(image, viewer: Viewer) -> SafeString:
    """One image in a masonry grid: its thumbnail at its stored size (no
    layout shift), a thumbhash placeholder that atelier.js paints while it
    loads, the like button and an overlay with the title, prompt and owner.
    ``image.liked`` is set by gallery.feeds.load_page (False when absent)."""
    title, prompt = image.title, image.prompt
    display_title = escape(image.display_title)
    thumbhash = f' data-thumbhash="{escape(image.thumbhash)}"' if image.thumbhash else ""
    badges = ""
    if image.visibility != "public":
        badges = (
            '<div class="tile-badges"><span class="tile-badge">'
            f'<i class="bi {BADGE_ICONS.get(image.visibility, "bi-eye")}" aria-hidden="true"></i>'
            f"{escape(image.get_visibility_display())}</span></div>"
        )
    text = f'<p class="tile-title">{escape(title)}</p>' if title else ""
    if prompt:
        text += f'<p class="tile-prompt">{escape(prompt[:PROMPT_CHARS])}</p>'
    elif not title:
        text += f'<p class="tile-prompt">{display_title}</p>'
    comments = ""
    if image.comment_count:
        comments = (
            f'<span><i class="bi bi-chat" aria-hidden="true"></i>{int(image.comment_count)}'
            '<span class="visually-hidden"> comments</span></span>'
        )
    liked = getattr(image, "liked", False)
    return mark_safe(
        f'<figure class="tile"><a href="{image_url(image, "gallery:detail")}" class="tile-link">'
        f'<img src="{image_url(image, "gallery:thumbnail")}" width="{int(image.thumb_width)}" '
        f'height="{int(image.thumb_height)}" alt="{display_title}" loading="lazy" '
        f'decoding="async" class="tile-img"{thumbhash}></a>{badges}'
        f'<div class="tile-actions">{like_button(image, liked, viewer, compact=True)}</div>'
        f'<figcaption class="tile-overlay">{text}<div class="tile-meta">'
        f'<a class="tile-owner" href="{text_url(image.owner.username, "gallery:profile")}">'
        f'<i class="bi bi-person-circle" aria-hidden="true"></i>{escape(owner_name(image))}</a>'
        f"{comments}</div></figcaption></figure>"
    )


def tiles(images, viewer: Viewer) -> SafeString:
    return mark_safe("\n".join(tile(image, viewer) for image in images))
