from django import template

from gallery.topics import cover_url

register = template.Library()


@register.filter
def topic_cover_url(topic) -> str:
    """A topic's cover address, versioned ("" without a cover)."""
    return cover_url(topic)
