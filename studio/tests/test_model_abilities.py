"""The Generate page tells its script what each model cannot do: each model
option carries the form's own refusal per operation (start from an image,
inpaint, hires fix, variation seed) as data-refuses-<operation>, and the
controls those operations need are marked for it to grey out
(static/js/generate-page.js; tests/e2e/test_model_abilities.py drives it)."""

from html.parser import HTMLParser

import pytest

from studio.backends import refusal
from studio.backends.base import OPERATIONS
from studio.models import ModelPreset

from .test_remote_img2img import configure


class Options(HTMLParser):
    """The model select's options: value -> attributes."""

    def __init__(self):
        super().__init__()
        self.in_model = False
        self.options = {}
        self.abilities = []
        self.notes = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            self.in_model = attrs.get("name") == "model"
        elif tag == "option" and self.in_model:
            self.options[attrs["value"]] = attrs
        if "data-ability" in attrs:
            self.abilities.append(attrs["data-ability"])
        if "data-ability-note" in attrs:
            self.notes.append(attrs["data-ability-note"])

    def handle_endtag(self, tag):
        if tag == "select":
            self.in_model = False


def parsed(page) -> Options:
    parser = Options()
    parser.feed(page.text)
    return parser


def test_each_model_option_carries_the_forms_refusals(owner_client, settings):
    configure(settings, "openai", api_key="sk-test")
    configure(settings, "comfyui", url="http://127.0.0.1:9")
    page = owner_client.get("/generate/")
    options = parsed(page).options

    dall_e_3 = options["dall-e-3"]
    assert dall_e_3["data-refuses-inpainting"].startswith("OpenAI's dall-e-3 cannot inpaint")
    assert dall_e_3["data-refuses-image-to-image"].startswith(
        "OpenAI's dall-e-3 cannot start from an image"
    )
    gpt_image = options["gpt-image-1"]
    assert "data-refuses-inpainting" not in gpt_image
    assert "data-refuses-image-to-image" not in gpt_image
    assert gpt_image["data-refuses-hires-fix"].startswith("OpenAI cannot run a hires fix")
    assert "comfyui-sdxl" in options
    # Every model listed, whatever its engine: exactly what the form would refuse.
    for preset in ModelPreset.objects.filter(key__in=options):
        for operation in OPERATIONS:
            name = "data-refuses-" + operation.replace("_", "-")
            said = options[preset.key].get(name)
            assert said == (refusal(preset.backend, operation, preset.model_id) or None)


def test_the_controls_each_operation_needs_are_marked(owner_client, settings):
    configure(settings, "openai", api_key="sk-test")
    page = parsed(owner_client.get("/generate/"))
    assert set(page.notes) == set(OPERATIONS)
    needs = {operation for marked in page.abilities for operation in marked.split()}
    assert needs == set(OPERATIONS)
    assert "inpainting" in page.abilities  # the Inpaint fieldset


@pytest.mark.local_engine
def test_a_model_that_can_do_everything_refuses_nothing(owner_client, tiny_settings):
    options = parsed(owner_client.get("/generate/")).options
    assert not [name for name in options["tiny"] if name.startswith("data-refuses-")]
