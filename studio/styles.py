"""Styles: named prompt templates (A1111's styles, seed 000's "style presets").

A style's prompt holds ``{prompt}`` where the person's prompt goes; a template
without it is appended after a comma, as A1111 does. The negative template
works the same way with the negative prompt. The job stores the expanded
prompt and the style's name, so the recipe says both; Remix takes the
expansion back off when the style is still here (``unexpand``).

A few styles are built in (``BUILT_IN``); people save their own
(``studio.models.Style``), named apart from the built-in ones.
"""

from __future__ import annotations

from dataclasses import dataclass

PLACEHOLDER = "{prompt}"


@dataclass(frozen=True)
class StyleTemplate:
    name: str
    prompt: str
    negative_prompt: str = ""
    built_in: bool = False


BUILT_IN = (
    StyleTemplate(
        "Cinematic",
        "cinematic film still of {prompt}, shallow depth of field, dramatic lighting, "
        "anamorphic lens, film grain",
        "cartoon, illustration, drawing, painting, low quality",
        built_in=True,
    ),
    StyleTemplate(
        "Photograph",
        "photograph of {prompt}, 50mm lens, natural light, sharp focus, highly detailed",
        "drawing, painting, illustration, render, blurry, low quality",
        built_in=True,
    ),
    StyleTemplate(
        "Oil painting",
        "oil painting of {prompt}, visible brush strokes, rich colors, canvas texture",
        "photograph, photo, 3d render, low quality",
        built_in=True,
    ),
    StyleTemplate(
        "Anime",
        "anime artwork of {prompt}, clean line art, vibrant colors, cel shading",
        "photograph, photo, realistic, 3d render, low quality",
        built_in=True,
    ),
    StyleTemplate(
        "Line art",
        "line art drawing of {prompt}, black ink on white paper, clean lines",
        "color, shading, photograph, low quality",
        built_in=True,
    ),
    StyleTemplate(
        "3D render",
        "3d render of {prompt}, octane render, soft global illumination, studio lighting",
        "photograph, drawing, painting, flat, low quality",
        built_in=True,
    ),
)
BUILT_IN_NAMES = {style.name.casefold() for style in BUILT_IN}


def styles_for(user) -> list[StyleTemplate]:
    """The styles this person may apply: the built-in ones, then their own by name."""
    own = []
    if user is not None and user.is_authenticated:
        own = [style.template() for style in user.styles.order_by("name")]
    return [*BUILT_IN, *own]


def find_style(user, name: str) -> StyleTemplate | None:
    wanted = name.strip().casefold()
    return next((s for s in styles_for(user) if s.name.casefold() == wanted), None)


def expand(template: str, text: str) -> str:
    """``text`` put into ``template``: at ``{prompt}``, or before the template."""
    if not template:
        return text
    if PLACEHOLDER in template:
        return template.replace(PLACEHOLDER, text)
    return f"{text}, {template}" if text else template


def unexpand(template: str, expanded: str) -> str | None:
    """What ``expand(template, text)`` was given, if ``expanded`` is its result."""
    if not template:
        return expanded
    if PLACEHOLDER in template:
        before, _, after = template.partition(PLACEHOLDER)
        if PLACEHOLDER in after:  # the text appears twice: Remix keeps the whole prompt
            return None
        fits = len(expanded) >= len(before) + len(after)
        if fits and expanded.startswith(before) and expanded.endswith(after):
            return expanded[len(before) : len(expanded) - len(after)]
        return None
    if expanded == template:
        return ""
    suffix = f", {template}"
    return expanded[: -len(suffix)] if expanded.endswith(suffix) else None
