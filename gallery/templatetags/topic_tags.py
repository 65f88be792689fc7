"""Topic cards, subscribe buttons and a select's topics (markup in
gallery/jinja2/gallery/topic_cards.html)."""

from django import template

from .. import topic_cards
from ..tiles import Viewer
from ..topics import cover_url

register = template.Library()


@register.filter
def topic_cover_url(topic) -> str:
    """A topic's cover address, versioned ("" without a cover)."""
    return cover_url(topic)


def _back(context) -> str:
    request = context.get("request")
    return request.get_full_path() if request is not None else ""


@register.simple_tag(takes_context=True)
def topic_cards_for(context, topics):
    """``{% topic_cards_for topics %}``: cards as the columns of a ``.row``."""
    return topic_cards.topic_cards(topics, Viewer.from_context(context), back=_back(context))


@register.simple_tag(takes_context=True)
def subscribe_button(context, topic, subscribed):
    """``{% subscribe_button topic subscribed %}``: the topic's subscribe button."""
    viewer = Viewer.from_context(context)
    return topic_cards.subscribe_button(topic, bool(subscribed), viewer, back=_back(context))


@register.simple_tag
def topic_options(topics):
    """``{% topic_options pairs %}``: an ``<option>`` for each (slug, name) pair."""
    return topic_cards.topic_options(topics)
