from functools import lru_cache

from django import template

from imaging.thumbhash import thumbhash_to_data_url

register = template.Library()


@register.filter
@lru_cache(maxsize=4096)
def thumbhash_url(value: str) -> str:
    """A tiny data: URL painted behind a thumbnail while it loads."""
    if not value:
        return ""
    try:
        return thumbhash_to_data_url(value)
    except ValueError:
        return ""


REMIX_FIELDS = (
    "prompt",
    "negative_prompt",
    "model",
    "width",
    "height",
    "steps",
    "cfg_scale",
    "seed",
    "sampler",
)


@register.filter
def remix_query(recipe: dict) -> str:
    """The Generate page's query string that reproduces a recipe."""
    from urllib.parse import urlencode

    return urlencode({k: recipe[k] for k in REMIX_FIELDS if recipe.get(k) not in (None, "")})
