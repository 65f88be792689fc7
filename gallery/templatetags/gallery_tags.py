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
    "scheduler",
    # Image to image: the source image (the Generate page checks it may be seen).
    "init_image",
    "denoising_strength",
    "resize_mode",
    # Hires fix / upscale (A1111's names): the factor, the upscaler, the steps.
    "hires_upscale",
    "hires_upscaler",
    "hires_steps",
    # A style: its name; the prompts are the expanded ones (studio.styles).
    "style",
)


@register.filter
def remix_query(recipe: dict) -> str:
    """The Generate page's query string that reproduces a recipe; LoRAs (from
    tools that record them apart) join the prompt as ``<lora:name:weight>`` tags.
    The Generate page maps model and sampler names (studio.remix)."""
    from urllib.parse import urlencode

    params = {k: recipe[k] for k in REMIX_FIELDS if recipe.get(k) not in (None, "")}
    prompt = str(params.get("prompt", ""))
    tags = [
        f"<lora:{lora['name']}:{_weight(lora.get('weight'))}>"
        for lora in recipe.get("loras") or []
        if isinstance(lora, dict) and lora.get("name") and f"<lora:{lora['name']}:" not in prompt
    ]
    if tags:
        params["prompt"] = ", ".join(part for part in (prompt, *tags) if part)
    return urlencode(params)


def _weight(value) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}"
    return "1"


@register.simple_tag
def who_can_see(visibility, topic=None, count=1):
    """gallery.whereabouts.who_can_see for a template: {% who_can_see v topic n %}."""
    from gallery.whereabouts import who_can_see as sentence

    return sentence(visibility, in_topic=bool(topic), count=count)
