"""The one place a generation request is validated: the Generate page and the
API both use ``GenerationForm``."""

import json
import secrets

from django import forms

from atelier.text import TextField
from gallery.forms import TopicChoiceField
from gallery.models import Image

from . import limits
from .backends.samplers import sampler_names
from .presets import default_preset_key, enabled_presets


class PresetSelect(forms.Select):
    """A <select> whose options carry the preset defaults for the page's JS and,
    on the Generate page, each model's status (``show_statuses``)."""

    def __init__(self, *args, presets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.defaults = {p.key: json.dumps(p.defaults()) for p in presets}
        self.statuses = {}

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if str(value) in self.defaults:
            option["attrs"]["data-defaults"] = self.defaults[str(value)]
        status = self.statuses.get(str(value))
        if status is not None:
            option["attrs"]["data-status"] = status.state
            option["attrs"]["data-note"] = status.note
            if not status.usable:
                option["attrs"]["disabled"] = True
        return option


class FiniteFloatField(forms.FloatField):
    """A FloatField that refuses an integer too large for a float (a JSON
    number of 400 digits from the API) as "Enter a number.", not a 500."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except OverflowError as error:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from error


class GenerationForm(forms.Form):
    prompt = TextField(
        max_length=limits.PROMPT_MAX,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "A lighthouse at dawn, oil painting"}
        ),
        error_messages={"required": "Write a prompt: what should the image show?"},
    )
    negative_prompt = TextField(
        max_length=limits.NEGATIVE_PROMPT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What the image should avoid. Filled in from the model; edit it freely.",
    )
    model = forms.ChoiceField(label="Model", required=False)
    width = forms.IntegerField(required=False, min_value=limits.SIZE_MIN, max_value=limits.SIZE_MAX)
    height = forms.IntegerField(
        required=False, min_value=limits.SIZE_MIN, max_value=limits.SIZE_MAX
    )
    steps = forms.IntegerField(
        required=False, min_value=limits.STEPS_MIN, max_value=limits.STEPS_MAX
    )
    cfg_scale = FiniteFloatField(
        required=False, min_value=limits.CFG_MIN, max_value=limits.CFG_MAX, label="CFG scale"
    )
    seed = forms.IntegerField(
        required=False,
        min_value=limits.SEED_MIN,
        max_value=limits.SEED_MAX,
        help_text="−1 picks a random seed; the seed used is recorded with the image.",
    )
    sampler = forms.ChoiceField(required=False)
    n = forms.IntegerField(
        required=False, min_value=limits.N_MIN, max_value=limits.N_MAX, label="Number of images"
    )
    visibility = forms.ChoiceField(
        choices=Image.Visibility.choices, required=False, initial=Image.Visibility.PRIVATE
    )
    topic = TopicChoiceField(help_text="The images land in this topic.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.presets = {p.key: p for p in enabled_presets()}
        self.fields["model"].widget = PresetSelect(
            presets=self.presets.values(), attrs={"data-preset-defaults": ""}
        )
        self.fields["model"].choices = [(p.key, p.label) for p in self.presets.values()]
        self.fields["model"].error_messages["invalid_choice"] = (
            "Unknown model %(value)s. Choose one of: " + ", ".join(self.presets) + "."
        )
        names = sampler_names()
        self.fields["sampler"].choices = [(name, name) for name in names]
        self.fields["sampler"].error_messages["invalid_choice"] = (
            "Unknown sampler %(value)s. Choose one of: " + ", ".join(names) + "."
        )
        default = self.presets.get(default_preset_key()) or next(iter(self.presets.values()), None)
        if default and not self.is_bound:
            self.initial = {
                "model": default.key,
                "seed": -1,
                "n": 1,
                **default.defaults(),
                **self.initial,
            }

    def show_statuses(self, statuses: dict) -> None:
        """Label each model with its status ("SD Turbo — not installed, 2.6 GB")
        and mark the ones that cannot be used now (studio/model_status.py)."""
        self.statuses = statuses
        self.fields["model"].widget.statuses = statuses
        self.fields["model"].choices = [
            (key, statuses[key].picker_label() if key in statuses else preset.label)
            for key, preset in self.presets.items()
        ]

    def clean_model(self):
        return self.cleaned_data.get("model") or default_preset_key()

    def clean(self):
        data = super().clean()
        preset = self.presets.get(data.get("model"))
        if preset is None:
            if "model" not in self.errors:
                self.add_error("model", f"The model {data.get('model')!r} is not available.")
            return data
        for field, value in preset.defaults().items():
            if data.get(field) in (None, "") and field not in self.errors:
                if field == "negative_prompt" and field in self.data:
                    continue  # an explicitly empty negative prompt stays empty
                data[field] = value
        for field in ("width", "height"):
            value = data.get(field)
            if value is None or field in self.errors:
                continue
            if value % limits.SIZE_MULTIPLE:
                self.add_error(
                    field, f"Use a multiple of {limits.SIZE_MULTIPLE} (e.g. {value // 8 * 8 or 8})."
                )
            elif not preset.min_size <= value <= preset.max_size:
                bounds = f"from {preset.min_size} to {preset.max_size} pixels"
                self.add_error(field, f"{preset.label} takes sizes {bounds}.")
        if data.get("seed") in (None, ""):
            data["seed"] = -1
        if data.get("n") in (None, ""):
            data["n"] = 1
        if not data.get("visibility"):
            data["visibility"] = Image.Visibility.PRIVATE
        return data

    @property
    def preset(self):
        """The chosen preset (once the form is valid)."""
        return self.presets[self.cleaned_data["model"]]

    def generation_request(self):
        """The validated request as stored on the job, with a concrete seed."""
        data = self.cleaned_data
        seed = data["seed"] if data["seed"] != -1 else secrets.randbelow(2**32 - limits.N_MAX)
        return {
            "prompt": data["prompt"],
            "negative_prompt": data.get("negative_prompt") or "",
            "model": data["model"],
            "width": data["width"],
            "height": data["height"],
            "steps": data["steps"],
            "cfg_scale": data["cfg_scale"],
            "seed": seed,
            "sampler": data["sampler"],
            "n": data["n"],
            "visibility": data["visibility"],
            "topic": data["topic"].slug if data.get("topic") else "",
        }
