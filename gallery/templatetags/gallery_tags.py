from django import template

register = template.Library()


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
