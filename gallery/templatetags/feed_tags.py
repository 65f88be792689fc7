"""Tags for feeds: the tiles and the like button (markup in
gallery/jinja2/gallery/tiles.html) and fast URL filters (gallery.quick_urls)
for templates that build links to images and people many times a page."""

from django import template

from .. import quick_urls, tiles

register = template.Library()


@register.filter
def image_url(image, name: str) -> str:
    """``{{ image|image_url:"gallery:detail" }}`` = ``{% url "gallery:detail" image.pk %}``."""
    return quick_urls.image_url(image, name)


@register.filter
def user_url(username: str, name: str) -> str:
    """``{{ username|user_url:"gallery:profile" }}`` = ``{% url "gallery:profile" username %}``."""
    return quick_urls.text_url(username, name)


@register.simple_tag(takes_context=True)
def tile_grid(context, images):
    """``{% tile_grid images %}``: the tiles of a masonry block."""
    return tiles.tiles(images, tiles.Viewer.from_context(context))


@register.simple_tag(takes_context=True)
def tile(context, image):
    """``{% tile image %}``: one tile (``image.liked`` when known)."""
    return tiles.tile(image, tiles.Viewer.from_context(context))


@register.simple_tag(takes_context=True)
def like_button(context, image, liked, compact=False):
    """``{% like_button image liked %}``: the heart and its count."""
    return tiles.like_button(
        image, bool(liked), tiles.Viewer.from_context(context), compact=compact
    )
