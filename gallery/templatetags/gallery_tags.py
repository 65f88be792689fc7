from django import template

from ..bulk_actions import MAX_IDS
from ..editing import postable_topics

register = template.Library()


@register.inclusion_tag("gallery/_bulk_bar.html", takes_context=True)
def bulk_bar(context, back: str = ""):
    """``{% bulk_bar back %}``: the selection bar of a page of images (My
    images, a topic, a job's results); after the change the person comes
    back to ``back`` (a path on this site), else to My images."""
    return {
        "csrf_token": context.get("csrf_token"),
        # (slug, name) pairs, not models: every topic is an <option>.
        "bulk_topics": postable_topics().values_list("slug", "name"),
        "bulk_max": MAX_IDS,
        "bulk_back": back,
    }


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
    # Inpainting: the options (the mask itself is not in a recipe, only its sha256).
    "mask_sha256",
    "masked_content",
    "mask_blur",
    "inpaint_area",
    "masked_area_padding",
    # Hires fix / upscale (A1111's names): the factor, the upscaler, the steps.
    "hires_upscale",
    "hires_upscaler",
    "hires_steps",
    # A style: its name; the prompts are the expanded ones (studio.styles).
    "style",
    # A1111's variation seed (the local engine).
    "variation_seed",
    "variation_seed_strength",
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
