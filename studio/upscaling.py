"""Upscale, as an action on a finished image: the Generate form's values that
upscale an image the person may see (``/generate/?upscale=<id>`` fills the
form with them; POST ``/generate/upscale/<id>/`` queues the job at once).

The job is an image-to-image job with a hires fix: the image is its
starting image (recorded by id and sha256), upscaled by ``hires_upscale``
with ``hires_upscaler`` and repainted at ``denoising_strength``. Its prompt
and settings come from the image's recipe when this person may see it
(gallery.recipe_sharing); otherwise the prompt is empty, which an upscale allows.
"""

from __future__ import annotations

from gallery.recipe_sharing import shows_recipe

from .backends.hires_fix import DEFAULT_SCALE, UPSCALE_STRENGTH

# What the person chooses for an upscale; the rest comes from the image.
CHOICES = ("hires_upscale", "hires_upscaler", "hires_steps", "denoising_strength")
FROM_RECIPE = ("prompt", "negative_prompt", "model", "steps", "cfg_scale", "sampler", "seed")


def upscale_values(user, image) -> dict:
    """The Generate form's values (as a Remix query gives them: model and
    sampler by name, for studio.remix to map) that upscale ``image``."""
    values = {
        "init_image": image.pk,
        "hires_upscale": DEFAULT_SCALE,
        "hires_upscaler": "lanczos",  # a finished picture: latents would blur it
        "denoising_strength": UPSCALE_STRENGTH,
    }
    recipe = image.recipe if isinstance(image.recipe, dict) and shows_recipe(user, image) else {}
    for key in FROM_RECIPE:
        if recipe.get(key) not in (None, ""):
            values[key] = recipe[key]
    return values
