"""The markup of a topic's card and of its subscribe button, written in
Python for the same reason as gallery.tiles: the topic list shows 24 cards a
page, and through ``{% include %}`` and ``{% url %}`` they were most of its
server time. The templates ``topics/_card.html`` and
``_subscribe_button.html`` call these through ``topic_tags``."""

from urllib.parse import quote

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from .quick_urls import text_url
from .tiles import Viewer
from .topics import cover_url

DESCRIPTION_CHARS = 140


def subscribe_button(topic, subscribed: bool, viewer: Viewer, *, back: str) -> SafeString:
    """Subscribe / Subscribed with the subscriber count; htmx swaps it in
    place (POST subscribes, DELETE unsubscribes), a plain form post without
    JavaScript returns to ``back``. A visitor's button asks them to log in."""
    count = int(topic.subscriber_count)
    counter = f'<span class="subscribe-count" aria-label="subscribers">{count}</span>'
    subscribe_url = text_url(topic.slug, "gallery:topic_subscribe")
    if not viewer.authenticated:
        after_login = quote(text_url(topic.slug, "gallery:topic"), safe="/")
        button = (
            f'<a class="btn btn-sm btn-primary subscribe-btn" '
            f'href="{viewer.login_url}?next={after_login}">'
            f'<i class="bi bi-bookmark-plus" aria-hidden="true"></i> Subscribe {counter}</a>'
        )
    else:
        if subscribed:
            action, method = text_url(topic.slug, "gallery:topic_unsubscribe"), "hx-delete"
            look, pressed, title = (
                "btn-secondary subscribe-btn is-subscribed",
                "true",
                "Unsubscribe",
            )
            label = '<i class="bi bi-bookmark-check-fill" aria-hidden="true"></i> Subscribed'
        else:
            action, method = subscribe_url, "hx-post"
            look, pressed, title = "btn-primary subscribe-btn", "false", "Subscribe"
            label = '<i class="bi bi-bookmark-plus" aria-hidden="true"></i> Subscribe'
        button = (
            f'<form method="post" action="{action}" {method}="{subscribe_url}" '
            'hx-target="closest .subscribe-box" hx-swap="outerHTML">'
            f'{viewer.csrf_input}<input type="hidden" name="next" value="{escape(back)}">'
            f'<button type="submit" class="btn btn-sm {look}" aria-pressed="{pressed}" '
            f'title="{title}">{label} {counter}</button></form>'
        )
    return mark_safe(f'<div class="subscribe-box" id="subscribe-{int(topic.pk)}">{button}</div>')


def topic_card(topic, viewer: Viewer, *, back: str) -> str:
    """One topic as a card: cover, name, the start of its description, its
    public image count and the subscribe button. ``topic`` comes from
    gallery.topics.topics_for (counts and ``subscribed`` annotated)."""
    cover = cover_url(topic)
    if cover:
        cover_html = (
            f'<img src="{escape(cover)}" class="topic-cover" alt="" loading="lazy" '
            'decoding="async">'
        )
    else:
        cover_html = '<div class="topic-cover" aria-hidden="true"></div>'
    description = ""
    if topic.description:
        text = escape(Truncator(topic.description).chars(DESCRIPTION_CHARS))
        description = f'<p class="topic-card-text">{text}</p>'
    count = int(topic.image_count)
    button = subscribe_button(topic, topic.subscribed, viewer, back=back)
    return (
        f'<article class="topic-card">{cover_html}<div class="topic-card-body">'
        f'<h2 class="topic-card-title"><a href="{text_url(topic.slug, "gallery:topic")}">'
        f"{escape(topic.name)}</a></h2>{description}"
        '<div class="topic-card-meta"><span><i class="bi bi-images" aria-hidden="true"></i> '
        f"{count} image{'' if count == 1 else 's'}</span>{button}</div></div></article>"
    )


def topic_cards(topics, viewer: Viewer, *, back: str) -> SafeString:
    """Cards as the columns of a Bootstrap ``.row``."""
    return mark_safe(
        "".join(
            f'<div class="col">{topic_card(topic, viewer, back=back)}</div>' for topic in topics
        )
    )
