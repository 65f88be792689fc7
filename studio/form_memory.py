"""The Generate form remembers, per person and on the server, the model,
size, steps, sampler, CFG, style and visibility they last generated with."""

from .models import GeneratePreference

REMEMBERED = (
    "model",
    "width",
    "height",
    "steps",
    "sampler",
    "cfg_scale",
    "style",
    "visibility",
)


def remember(user, request: dict) -> None:
    """Keep the settings of a generation just submitted from the Generate page."""
    values = {field: request[field] for field in REMEMBERED if request.get(field) is not None}
    GeneratePreference.objects.update_or_create(user=user, defaults={"values": values})


def recall(user) -> dict:
    """The settings last remembered for ``user`` (empty for a first visit)."""
    preference = GeneratePreference.objects.filter(user=user).first()
    if preference is None or not isinstance(preference.values, dict):
        return {}
    return {k: v for k, v in preference.values.items() if k in REMEMBERED}
