"""The one place a generation request is validated: the Generate page and the
API both use ``GenerationForm``."""

import json
import secrets

from django import forms
from django.conf import settings

from atelier.image_uploads import ImageFileField
from atelier.text import TextField
from gallery.forms import NSFW_HELP, TopicChoiceField, strict_bool
from gallery.models import Image
from gallery.permissions import viewable_images

from . import limits
from .backends import refusal as engine_refusal
from .backends.base import OPERATIONS
from .backends.hires_fix import DEFAULT_STRENGTH as HIRES_STRENGTH
from .backends.hires_fix import DEFAULT_UPSCALER, UPSCALERS, base_size, scaled_size
from .backends.init_image import (
    DEFAULT_RESIZE_MODE,
    DEFAULT_STRENGTH,
    RESIZE_MODES,
)
from .backends.inpaint_mask import (
    DEFAULT_INPAINT_AREA,
    DEFAULT_MASK_BLUR,
    DEFAULT_MASKED_CONTENT,
    DEFAULT_PADDING,
    INPAINT_AREAS,
    MASK_BLUR_MAX,
    PADDING_MAX,
    is_empty,
)
from .backends.samplers import sampler_names
from .masks import EMPTY, NEEDS_START, MaskField, MaskInput, fitted, mask_request
from .models import Style
from .presets import default_preset_key, enabled_presets
from .styles import BUILT_IN_NAMES, expand, find_style, styles_for

VARIATION_TEXT_ONLY = "Variation seeds work without a starting image only."


def concrete_seed(seed: int) -> int:
    """``seed``, or for -1 a random one that leaves room for the job's images
    to count up from it (seed, seed+1, ... across every batch)."""
    return secrets.randbelow(2**32 - limits.IMAGES_PER_JOB_MAX) if seed == -1 else seed


def preset_refusals(presets) -> dict[str, dict[str, str]]:
    """Per preset key, what its engine cannot do with its model: an operation
    of base.OPERATIONS -> the refusal the form would give (none where it can).
    Asked of each engine's class, without a server and without torch."""
    return {
        preset.key: {
            operation: reason
            for operation in OPERATIONS
            if (reason := engine_refusal(preset.backend, operation, preset.model_id))
        }
        for preset in presets
    }


class PresetSelect(forms.Select):
    """A <select> whose options carry the preset defaults for the page's JS and,
    on the Generate page, each model's status (``show_statuses``) and what it
    cannot do (``show_refusals``: data-refuses-inpainting="ComfyUI cannot ...")."""

    def __init__(self, *args, presets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.defaults = {p.key: json.dumps(p.defaults()) for p in presets}
        self.bounds = {p.key: (p.min_size, p.max_size) for p in presets}
        self.statuses = {}
        self.refusals = {}

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if str(value) in self.defaults:
            option["attrs"]["data-defaults"] = self.defaults[str(value)]
            low, high = self.bounds[str(value)]
            option["attrs"]["data-min-size"], option["attrs"]["data-max-size"] = low, high
        status = self.statuses.get(str(value))
        if status is not None:
            option["attrs"]["data-status"] = status.state
            option["attrs"]["data-note"] = status.note
            if not status.usable:
                option["attrs"]["disabled"] = True
        for operation, reason in self.refusals.get(str(value), {}).items():
            option["attrs"]["data-refuses-" + operation.replace("_", "-")] = reason
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
    style = forms.ChoiceField(
        required=False,
        help_text="A prompt template put around your prompt; the recipe keeps both.",
    )
    # A1111's variation seed and strength (local engine and A1111, text to image).
    variation_seed = forms.IntegerField(
        required=False,
        min_value=limits.SEED_MIN,
        max_value=limits.SEED_MAX,
        label="Variation seed",
        help_text="−1 picks a random one. Used when the variation strength is above 0.",
    )
    variation_seed_strength = FiniteFloatField(
        required=False,
        min_value=0.0,
        max_value=1.0,
        label="Variation strength",
        help_text="How far each image moves from its seed towards the variation seed: "
        "0 not at all, 1 all the way.",
    )
    n = forms.IntegerField(
        required=False,
        min_value=limits.N_MIN,
        max_value=limits.N_MAX,
        label="Number of images",
        help_text="Made at once (a batch).",
    )
    batch_count = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=limits.BATCH_COUNT_MAX,
        label="Batches",
        help_text="Run one after another: more images without more memory.",
    )
    visibility = forms.ChoiceField(
        choices=Image.Visibility.choices, required=False, initial=Image.Visibility.PRIVATE
    )
    topic = TopicChoiceField(help_text="The images land in this topic.")
    nsfw = forms.BooleanField(required=False, label="NSFW", help_text=NSFW_HELP)
    # The image this remixes (the image page's Remix link): its owner is told
    # when the remix succeeds, if the person may see it.
    remix_of = forms.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
    )

    # Image to image: a starting image from the gallery (its id) or uploaded.
    init_image = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        widget=forms.HiddenInput,
        error_messages={"invalid": "The starting image must be an image id."},
    )
    init_upload = ImageFileField(
        required=False,
        label="Starting image",
        help_text="Optional: a PNG, JPEG or WebP to start from instead of noise.",
    )
    denoising_strength = FiniteFloatField(
        required=False,
        min_value=0.0,
        max_value=1.0,
        label="Denoising strength",
        help_text="How much of the starting image is repainted: 0 keeps it, 1 ignores it.",
    )
    resize_mode = forms.ChoiceField(
        required=False,
        choices=[(key, name) for key, name in RESIZE_MODES.items()],
        label="Resize mode",
        help_text="How the starting image is brought to the chosen size.",
    )

    # Inpainting (with a starting image): the mask painted over it, A1111's options.
    mask = MaskField(
        required=False,
        widget=MaskInput(attrs={"accept": "image/png"}),
        label="Mask",
        help_text="A PNG the size of the starting image: white where it is repainted.",
    )
    masked_content = forms.ChoiceField(
        required=False,
        choices=[("original", "original"), ("fill", "fill")],
        initial=DEFAULT_MASKED_CONTENT,
        label="Masked content",
        help_text="What the model starts from under the mask: the picture as it is, "
        "or the colours around it.",
    )
    mask_blur = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MASK_BLUR_MAX,
        initial=DEFAULT_MASK_BLUR,
        label="Mask blur (px)",
        help_text="Softens the mask's edge: the seam between old and new.",
    )
    inpaint_area = forms.ChoiceField(
        required=False,
        choices=list(INPAINT_AREAS.items()),
        initial=DEFAULT_INPAINT_AREA,
        label="Inpaint area",
        help_text="Only masked: the masked part is repainted at the model's full size, "
        "then pasted back.",
    )
    masked_area_padding = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=PADDING_MAX,
        initial=DEFAULT_PADDING,
        label="Only masked padding (px)",
        help_text="How much around the masked part the model sees.",
    )
    # Hires fix (A1111's names): made at the size above, upscaled, repainted at
    # the denoising strength; with a starting image, that image is upscaled.
    hires_upscale = FiniteFloatField(
        required=False,
        min_value=limits.HIRES_SCALE_MIN,
        max_value=limits.HIRES_SCALE_MAX,
        label="Upscale by",
        help_text=f"×{limits.HIRES_SCALE_MIN:g} to ×{limits.HIRES_SCALE_MAX:g}; empty for no "
        "hires fix. With a starting image, that image is upscaled.",
        error_messages={
            "min_value": f"Upscale by ×{limits.HIRES_SCALE_MIN:g} to ×{limits.HIRES_SCALE_MAX:g}.",
            "max_value": f"Upscale by ×{limits.HIRES_SCALE_MIN:g} to ×{limits.HIRES_SCALE_MAX:g}.",
        },
    )
    hires_upscaler = forms.ChoiceField(
        required=False,
        choices=list(UPSCALERS.items()),
        label="Upscaler",
        help_text="Latent keeps the picture's latents; Lanczos resizes the finished picture.",
    )
    hires_steps = forms.IntegerField(
        required=False,
        min_value=limits.HIRES_STEPS_MIN,
        max_value=limits.HIRES_STEPS_MAX,
        label="Hires steps",
        help_text="Steps of the repainting pass; 0 or empty: as many as Steps.",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.inpaint_mask = None  # the mask at the starting image's size, once valid
        self.sent_mask = None  # the mask as sent, to paint again when the form comes back
        self.notes = []  # what was changed in what was sent (a mask stretched to fit)
        self.source = None  # the starting image from the gallery, once valid
        if self.is_bound and self.data.get("hires_upscale"):
            if self.data.get("init_image") or self.files.get("init_upload"):
                self.fields["prompt"].required = False  # an upscale may repaint without one
        self.style = None  # the style chosen, once valid (studio.styles)
        self.presets = {p.key: p for p in enabled_presets()}
        self.fields["model"].widget = PresetSelect(
            presets=self.presets.values(), attrs={"data-preset-defaults": ""}
        )
        self.fields["model"].choices = [(p.key, p.label) for p in self.presets.values()]
        self.fields["model"].error_messages["invalid_choice"] = (
            "Unknown model %(value)s. Choose one of: " + ", ".join(self.presets) + "."
        )
        self.fields["style"].choices = [("", "No style")] + [
            (style.name, style.name) for style in styles_for(user)
        ]
        self.fields["style"].error_messages["invalid_choice"] = (
            "There is no style named %(value)s: pick one from the list, or save it first."
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

    def show_refusals(self) -> None:
        """Mark each model's option with what it cannot do (start from an image,
        inpaint, hires fix, variation seed), for the page's script to grey out
        those controls (static/js/generate-page.js). Once a page: not on the API."""
        self.fields["model"].widget.refusals = preset_refusals(self.presets.values())

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
        if data.get("batch_count") in (None, ""):
            data["batch_count"] = 1
        if (
            "n" not in self.errors
            and "batch_count" not in self.errors
            and data["n"] * data["batch_count"] > limits.IMAGES_PER_JOB_MAX
        ):
            self.add_error(
                "batch_count",
                f"At most {limits.IMAGES_PER_JOB_MAX} images a generation: "
                "fewer images per batch, or fewer batches.",
            )
        if not data.get("visibility"):
            data["visibility"] = Image.Visibility.PRIVATE
        if data.get("hires_upscale") and data.get("denoising_strength") is None:
            if "denoising_strength" not in self.errors:
                data["denoising_strength"] = HIRES_STRENGTH
        self._clean_init_image(data, preset)
        self._clean_mask(data, preset)
        self._clean_hires(data, preset)
        self._clean_style(data)
        self._clean_variation(data, preset)
        return data

    def _clean_mask(self, data, preset) -> None:
        """A mask goes with a starting image on an engine that can inpaint,
        and is brought to the image's size."""
        for field, default in (
            ("masked_content", DEFAULT_MASKED_CONTENT),
            ("mask_blur", DEFAULT_MASK_BLUR),
            ("inpaint_area", DEFAULT_INPAINT_AREA),
            ("masked_area_padding", DEFAULT_PADDING),
        ):
            if data.get(field) in (None, "") and field not in self.errors:
                data[field] = default
        mask = self.sent_mask = data.get("mask")
        if mask is None or self.errors:
            return
        if reason := engine_refusal(preset.backend, "inpainting", preset.model_id):
            self.add_error("mask", reason)
            return
        start = data.get("init_upload") or self.source
        if start is None:
            self.add_error("mask", NEEDS_START)
            return
        mask, note = fitted(mask, (start.width, start.height))
        if is_empty(mask):  # a speck lost in the stretching
            self.add_error("mask", EMPTY)
            return
        self.inpaint_mask = mask
        if note:
            self.notes.append(note)

    def _clean_style(self, data) -> None:
        """The style's expanded prompts, which must still fit the prompt limits."""
        self.style = find_style(self.user, data["style"]) if data.get("style") else None
        if self.style is None or "prompt" in self.errors:
            return
        data["styled_prompt"] = expand(self.style.prompt, data.get("prompt") or "")
        data["styled_negative_prompt"] = expand(
            self.style.negative_prompt, data.get("negative_prompt") or ""
        )
        for field, limit in (
            ("styled_prompt", limits.PROMPT_MAX),
            ("styled_negative_prompt", limits.NEGATIVE_PROMPT_MAX),
        ):
            if len(data[field]) > limit:
                which = "prompt" if field == "styled_prompt" else "negative prompt"
                self.add_error(
                    "style",
                    f"With the style {self.style.name} the {which} is over {limit} "
                    "characters: shorten it or pick another style.",
                )

    def _clean_variation(self, data, preset) -> None:
        """A variation strength above 0 needs an engine that has it and no starting image."""
        if not data.get("variation_seed_strength"):
            data["variation_seed_strength"] = 0.0
            return
        if reason := engine_refusal(preset.backend, "variations", preset.model_id):
            self.add_error("variation_seed_strength", reason)
        elif data.get("init_image") or data.get("init_upload"):
            self.add_error("variation_seed_strength", VARIATION_TEXT_ONLY)
        if data.get("variation_seed") in (None, ""):
            data["variation_seed"] = -1

    def variation_request(self) -> dict:
        """The variation seed's part of the job's request (none at strength 0)."""
        data = self.cleaned_data
        if not data["variation_seed_strength"]:
            return {}
        seed = concrete_seed(data["variation_seed"])
        return {"variation_seed": seed, "variation_seed_strength": data["variation_seed_strength"]}

    def clean_nsfw(self):
        return strict_bool(self, "nsfw")

    def clean_resize_mode(self):
        return self.cleaned_data.get("resize_mode") or DEFAULT_RESIZE_MODE

    def _clean_init_image(self, data, preset) -> None:
        """A starting image: on an engine that can start from one, one the person may see."""
        if data.get("denoising_strength") is None and "denoising_strength" not in self.errors:
            data["denoising_strength"] = DEFAULT_STRENGTH
        if not (data.get("init_image") or data.get("init_upload")):
            return
        # With a mask it is an inpainting, which _clean_mask asks of the engine
        # (dall-e-2 edits only under a mask).
        if data.get("mask") is None and (
            reason := engine_refusal(preset.backend, "image_to_image", preset.model_id)
        ):
            self.add_error("model", reason)
            return
        if data.get("init_upload"):
            return  # stored by the view once everything else is valid
        visible = viewable_images(self.user) if self.user is not None else Image.objects.none()
        self.source = visible.filter(pk=data["init_image"]).first()
        if self.source is None:
            self.add_error(
                "init_image", "That starting image does not exist or is not visible to you."
            )

    def _clean_hires(self, data, preset) -> None:
        """A hires fix or an upscale: on an engine that has one, no bigger than
        the server makes. An upscale's base size is its starting image's own."""
        data["hires_upscaler"] = data.get("hires_upscaler") or DEFAULT_UPSCALER
        data["hires_steps"] = data.get("hires_steps") or 0
        scale = data.get("hires_upscale")
        if not scale:
            return
        if reason := engine_refusal(preset.backend, "hires_fix", preset.model_id):
            self.add_error("hires_upscale", reason)
            return
        start = self.source or data.get("init_upload")
        if start is not None:  # the size asked for does not count: the picture's does
            data["width"], data["height"] = base_size(start.width, start.height)
            for field in ("width", "height"):
                self.errors.pop(field, None)
        width, height = data.get("width"), data.get("height")
        if not width or not height or "width" in self.errors or "height" in self.errors:
            return
        out_width, out_height = scaled_size(width, height, scale)
        most = settings.ATELIER_MAX_OUTPUT_PIXELS
        if out_width * out_height > most or max(out_width, out_height) > limits.SIZE_MAX:
            self.add_error(
                "hires_upscale",
                f"×{scale:g} of {width}×{height} makes {out_width}×{out_height}: over this "
                f"server's limit of {most:,} pixels ({limits.SIZE_MAX} a side). "
                "Choose a smaller factor or size.",
            )

    def hires_request(self) -> dict:
        """The hires fix's part of the job's request (none without one)."""
        data = self.cleaned_data
        if not data.get("hires_upscale"):
            return {}
        return {
            "hires_upscale": data["hires_upscale"],
            "hires_upscaler": data["hires_upscaler"],
            "hires_steps": data["hires_steps"],
            "denoising_strength": data["denoising_strength"],
        }

    def init_request(self, source=None) -> dict:
        """The starting image's part of the job's request: ``source`` is the
        stored upload, else the gallery image chosen."""
        source = source or self.source
        if source is None:
            return {}
        data = self.cleaned_data
        inpaint = mask_request(self.inpaint_mask, data) if self.inpaint_mask else {}
        return {
            "init_image": source.pk,
            "init_image_sha256": source.sha256,
            "denoising_strength": data["denoising_strength"],
            "resize_mode": data["resize_mode"],
            **inpaint,
        }

    @property
    def preset(self):
        """The chosen preset (once the form is valid)."""
        return self.presets[self.cleaned_data["model"]]

    def generation_request(self, source=None):
        """The validated request as stored on the job, with a concrete seed;
        ``source``: the stored upload to start from (studio.init_images)."""
        data = self.cleaned_data
        seed = concrete_seed(data["seed"])
        styled = {}
        if self.style is not None:  # the engine gets the expanded prompts
            styled = {
                "prompt": data["styled_prompt"],
                "negative_prompt": data["styled_negative_prompt"],
                "style": self.style.name,
            }
        return {
            "prompt": data["prompt"],
            "negative_prompt": data.get("negative_prompt") or "",
            **styled,
            "model": data["model"],
            "width": data["width"],
            "height": data["height"],
            "steps": data["steps"],
            "cfg_scale": data["cfg_scale"],
            "seed": seed,
            "sampler": data["sampler"],
            "n": data["n"],
            **({"batch_count": data["batch_count"]} if data["batch_count"] > 1 else {}),
            "visibility": data["visibility"],
            "topic": data["topic"].slug if data.get("topic") else "",
            **({"nsfw": True} if data.get("nsfw") else {}),
            **({"remix_of": data["remix_of"]} if data.get("remix_of") else {}),
            **self.init_request(source),
            **self.variation_request(),
            **self.hires_request(),
        }


class StyleForm(forms.ModelForm):
    """A person's own style: a name apart from the built-in ones and their own."""

    class Meta:
        model = Style
        fields = ["name", "prompt", "negative_prompt"]
        field_classes = {"name": TextField, "prompt": TextField, "negative_prompt": TextField}
        widgets = {
            "prompt": forms.Textarea(attrs={"rows": 3}),
            "negative_prompt": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "prompt": "Write {prompt} where your prompt goes; without it, your prompt "
            "comes first and the style after a comma.",
            "negative_prompt": "Put around the negative prompt the same way.",
        }

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.owner = owner

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Give the style a name.")
        if name.casefold() in BUILT_IN_NAMES:
            raise forms.ValidationError(f"{name} is a built-in style: choose another name.")
        taken = self.instance.owner.styles.exclude(pk=self.instance.pk)
        if any(style.name.casefold() == name.casefold() for style in taken.only("name")):
            raise forms.ValidationError(f"You already have a style named {name}.")
        return name
