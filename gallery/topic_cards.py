"""A topic's card, its subscribe button and a select's topics. The markup is
the macros of ``gallery/jinja2/gallery/topic_cards.html`` (autoescaped),
rendered 24 times a page on the topic list and once a topic in a select; the
Django templates ``topics/_cards.html``, ``_subscribe_button.html`` and
``_bulk_bar.html`` reach them through ``topic_tags``."""

from functools import cache

from django.template import engines

from .tiles import Viewer


@cache
def _macros():
    return engines["jinja2"].env.get_template("gallery/topic_cards.html").module


def subscribe_button(topic, subscribed: bool, viewer: Viewer, *, back: str):
    return _macros().subscribe_button(topic, subscribed, viewer, back)


def topic_cards(topics, viewer: Viewer, *, back: str):
    """Cards as the columns of a Bootstrap ``.row``."""
    return _macros().topic_cards(topics, viewer, back)


def topic_options(topics):
    """An ``<option>`` for each topic, given as ``(slug, name)`` pairs."""
    return _macros().topic_options(topics)
