"""The Jinja2 environment of the few partials rendered many times a page
(gallery/jinja2/: tiles, like buttons, topic cards, a select's topics).
Django templates render every other page. Autoescape is on (Django's Jinja2
backend default); these globals are plain functions that return text, never
markup."""

from django.utils.text import Truncator
from jinja2 import Environment

from gallery.quick_urls import image_url, plain_url, text_url
from gallery.tiles import owner_name
from gallery.topics import cover_url, latest_thumbnails


def environment(**options) -> Environment:
    env = Environment(**options)
    env.globals.update(
        image_url=image_url,
        text_url=text_url,
        plain_url=plain_url,
        owner_name=owner_name,
        cover_url=cover_url,
        latest_thumbnails=latest_thumbnails,
    )
    env.filters["truncate_chars"] = lambda text, length: Truncator(text).chars(length)
    return env
