"""The Generate page's shortcuts in a real browser against real processes:
a shape button sizes the picture for the model, a picture with an A1111
recipe dropped on the form loads that recipe, and Ctrl+Enter generates two
batches, which the worker makes one after another."""

import base64
import io
import re

import pytest
from PIL import Image as PILImage
from PIL.PngImagePlugin import PngInfo
from playwright.sync_api import expect

from tests.e2e.browser import LONG, sign_up

pytestmark = pytest.mark.e2e

RECIPE = (
    "a red fox in snow\nSteps: 3, Sampler: Euler, CFG scale: 5, Seed: 42, Size: 64x48, Model: tiny"
)

DROP = """async (b64) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], "fox.png", { type: "image/png" }));
  const form = document.querySelector("form.generate-form");
  for (const type of ["dragover", "drop"]) {
    const init = { dataTransfer: transfer, bubbles: true, cancelable: true };
    form.dispatchEvent(new DragEvent(type, init));
  }
}"""


def fox_png() -> str:
    info = PngInfo()
    info.add_text("parameters", RECIPE)
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 48), (200, 90, 30)).save(buffer, "PNG", pnginfo=info)
    return base64.b64encode(buffer.getvalue()).decode()


def test_shape_buttons_a_dropped_recipe_and_ctrl_enter(stack, open_page):
    page = open_page(stack.url)
    page.goto("/")
    sign_up(page, "cleo")
    page.goto("/generate/")
    page.get_by_label("Model").select_option("tiny")

    # 16:9 at the tiny model's 64 x 64: 88 x 48, in steps of 8.
    wide = page.get_by_role("button", name="16:9", exact=True)
    wide.click()
    expect(wide).to_have_attribute("aria-pressed", "true")
    assert page.locator("#id_width").input_value() == "88"
    assert page.locator("#id_height").input_value() == "48"
    page.get_by_role("button", name="1:1", exact=True).click()
    expect(wide).to_have_attribute("aria-pressed", "false")

    # A picture made elsewhere, dropped on the form, brings its recipe.
    page.evaluate(DROP, fox_png())
    expect(page).to_have_url(re.compile(r"/generate/\?.*seed=42"))
    expect(page.locator("#id_prompt")).to_have_value("a red fox in snow")
    assert page.locator("#id_seed").input_value() == "42"
    assert page.locator("#id_steps").input_value() == "3"

    # Two batches of one, started from the keyboard.
    page.get_by_label("Batches").fill("2")
    page.locator("#id_prompt").press("Control+Enter")
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]+/$"))
    progress = page.get_by_role("progressbar", name="Generation progress")
    expect(progress).to_have_attribute("aria-valuenow", "100", timeout=LONG)
    expect(page.get_by_text("2 batches of 1")).to_be_visible()
    results = page.get_by_role("main").get_by_role("img", name="a red fox in snow")
    expect(results).to_have_count(2, timeout=LONG)
