"""The Generate page does not offer what the chosen model cannot do, in a real
browser: with OpenAI's dall-e-3 (no edits, no hires fix, no variation seed)
the starting-image, Inpaint, hires and variation controls are greyed out and
disabled, each saying why and which engines can; with gpt-image-1 the
starting image and Inpaint come back. Once a starting image and a mask are
chosen, the models that cannot take them say so in the model list. Screenshots
at desktop and phone width go to /tmp/atelier-abilities/ (browser.shots_folder)."""

import io
import re

import pytest
from PIL import Image as PILImage
from playwright.sync_api import expect

from tests.e2e.browser import PHONE, shots_folder, sign_up, web_only_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def site(request, django_db_blocker):
    # No OpenAI call is made: the page only asks what each model can do.
    openai = {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    with web_only_stack(request, django_db_blocker, extra_env=openai) as stack:
        yield stack


def png(size=(64, 48), mode="RGB", colour=(200, 90, 30)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new(mode, size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def photograph(page, name: str) -> None:
    """The viewport with "Start from an image" at its top, below the navbar."""
    page.evaluate(
        "document.querySelector('details.img2img').scrollIntoView();"
        "window.scrollBy(0, -document.querySelector('nav').offsetHeight - 8)"
    )
    page.screenshot(path=str(shots_folder("abilities") / f"{name}.png"), animations="disabled")


def option_text(page, value: str) -> str:
    return page.locator(f'#id_model option[value="{value}"]').inner_text()


def test_a_model_that_cannot_inpaint_greys_out_the_controls_it_cannot_use(site, open_page):
    page = open_page(site.url)
    page.goto("/")
    sign_up(page, "dora")
    page.goto("/generate/")
    model = page.get_by_label("Model")
    model.select_option("dall-e-3")
    page.locator("details.img2img summary").click()
    page.locator("details.hires summary").click()

    inpaint_note = page.locator('[data-ability-note="inpainting"]')
    expect(inpaint_note).to_be_visible()
    expect(inpaint_note).to_contain_text("OpenAI's dall-e-3 cannot inpaint")
    expect(inpaint_note).to_contain_text("The local engine")
    expect(page.locator("fieldset.inpaint")).to_have_class(re.compile(r"\bis-unavailable\b"))
    expect(page.locator("#id_mask")).to_be_disabled()
    expect(page.locator(".inpaint .mask-invert")).to_be_disabled()
    expect(page.locator("#id_init_upload")).to_be_disabled()
    expect(page.locator('[data-ability-note="image_to_image"]')).to_contain_text(
        "OpenAI's dall-e-3 cannot start from an image"
    )
    expect(page.locator("#id_hires_upscale")).to_be_disabled()
    expect(page.locator('[data-ability-note="hires_fix"]')).to_contain_text(
        "OpenAI cannot run a hires fix"
    )
    expect(page.locator("#id_variation_seed_strength")).to_be_disabled()
    photograph(page, "desktop")

    # A model that can: the controls come back, the note goes.
    model.select_option("gpt-image-1")
    expect(inpaint_note).to_be_hidden()
    expect(page.locator("#id_mask")).to_be_enabled()
    expect(page.locator("#id_init_upload")).to_be_enabled()
    expect(page.locator("fieldset.inpaint")).not_to_have_class(re.compile(r"\bis-unavailable\b"))
    expect(page.locator("#id_hires_upscale")).to_be_disabled()  # OpenAI has no hires fix

    # With a starting image, then a mask, chosen: the list says who cannot take them.
    assert "(cannot" not in option_text(page, "dall-e-3")
    page.locator("#id_init_upload").set_input_files(
        files=[{"name": "start.png", "mimeType": "image/png", "buffer": png()}]
    )
    expect(page.locator('#id_model option[value="dall-e-3"]')).to_contain_text(
        "(cannot start from an image)"
    )
    page.locator("#id_mask").set_input_files(
        files=[{"name": "mask.png", "mimeType": "image/png", "buffer": png(mode="L", colour=255)}]
    )
    expect(page.locator('#id_model option[value="dall-e-3"]')).to_contain_text("(cannot inpaint)")
    assert "(cannot" not in option_text(page, "gpt-image-1")


def test_a_chosen_mask_goes_with_the_form_to_be_refused_by_name(site, open_page):
    """Switching to a model that cannot inpaint keeps the painted mask: it is
    still sent, so the form says why instead of running an image to image
    without it."""
    page = open_page(site.url)
    page.goto("/")
    sign_up(page, "fern")
    page.goto("/generate/")
    page.get_by_label("Prompt", exact=True).fill("a lighthouse")
    model = page.get_by_label("Model")
    model.select_option("gpt-image-1")
    page.locator("details.img2img summary").click()
    page.locator("#id_init_upload").set_input_files(
        files=[{"name": "start.png", "mimeType": "image/png", "buffer": png()}]
    )
    mask = PILImage.new("L", (64, 48))
    mask.paste(255, (16, 12, 48, 36))
    buffer = io.BytesIO()
    mask.save(buffer, "PNG")
    page.locator("#id_mask").set_input_files(
        files=[{"name": "mask.png", "mimeType": "image/png", "buffer": buffer.getvalue()}]
    )
    model.select_option("dall-e-3")
    expect(page.locator("fieldset.inpaint")).to_have_class(re.compile(r"\bis-unavailable\b"))
    expect(page.locator('[data-ability-note="inpainting"]')).to_be_visible()
    expect(page.locator("#id_mask")).to_be_enabled()
    expect(page.locator(".inpaint .mask-clear")).to_be_enabled()
    photograph(page, "mask-kept")

    page.get_by_role("button", name="Generate").click()
    error = page.locator("fieldset.inpaint .invalid-feedback")
    expect(error).to_contain_text("OpenAI's dall-e-3 cannot inpaint")
    assert page.url.endswith("/generate/")


def test_the_note_reads_at_phone_width(site, open_page):
    page = open_page(site.url)
    page.goto("/")
    sign_up(page, "emil")  # the navbar's link, at desktop width
    page.set_viewport_size(PHONE)
    page.goto("/generate/")
    page.get_by_label("Model").select_option("dall-e-3")
    page.locator("details.img2img summary").click()
    note = page.locator('[data-ability-note="inpainting"]')
    expect(note).to_be_visible()
    box = note.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    photograph(page, "phone")
