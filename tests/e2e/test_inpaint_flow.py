"""Inpainting from start to finish, in a real browser against real processes
(web server and worker on the tiny local model): a person opens "Inpaint" on
one of their images, paints the mask with a mouse and with a pen (pointer
events), sets the mask options, submits with the Generate button and waits on
the job page until the result shows. The result's PNG, downloaded with the
browser's cookies, keeps the starting image's pixels outside the mask exactly
and changes them under it; its recipe names the mask options. A phone paints
with a finger. Screenshots: docs/screenshots/inpaint-flow-*.png."""

import io
import re

import numpy as np
import pytest
from PIL import Image as PILImage
from PIL import ImageFilter
from playwright.sync_api import expect

from tests.e2e.browser import LONG, PASSWORD, PHONE, log_in, screenshot, wait_for_images
from tests.e2e.test_mask_painter import mask_file

pytestmark = [pytest.mark.e2e, pytest.mark.local_engine]

MASK_BLUR = 2
REACH = 8  # pixels a 2 px mask blur reaches beyond the mask (studio/tests/test_inpaint.py)

# The person and their starting image: stripes and a gradient (so that kept
# pixels are told from repainted ones), stored as a job would store it.
SETUP = f"""
import json
import numpy as np
from django.contrib.auth import get_user_model
from PIL import Image as Picture
from gallery.storing import store_image
from imaging.png_metadata import encode_png
person = get_user_model().objects.create_user("painter", "painter@example.com", {PASSWORD!r})
y, x = np.mgrid[0:48, 0:64]
pixels = np.stack([x * 4, y * 5, ((x // 8 + y // 8) % 2) * 200 + 30], axis=-1).astype("uint8")
picture = Picture.fromarray(pixels, "RGB")
recipe = {{"prompt": "a harbour at noon", "negative_prompt": "", "model": "tiny",
          "sampler": "Euler a", "steps": 4, "cfg_scale": 7.5, "seed": 11,
          "width": 64, "height": 48, "backend": "diffusers"}}
image = store_image(owner=person, content=encode_png(picture, recipe), picture=picture,
                    recipe=recipe, visibility="private")
print(json.dumps(image.pk))
"""

# Functions, not expressions: the site's CSP forbids evaluating strings.
MASK_READY = "() => document.querySelector('[data-mask-painter]').dataset.maskReady === 'true'"


def png(answer) -> np.ndarray:
    assert answer.ok, f"{answer.url}: {answer.status}"
    assert answer.headers["content-type"] == "image/png", answer.headers["content-type"]
    return np.asarray(PILImage.open(io.BytesIO(answer.body())).convert("RGB"))


def canvas_box(page):
    canvas = page.locator(".mask-canvas")
    canvas.scroll_into_view_if_needed()
    return canvas.bounding_box()


def paint_with_mouse(page, y: float, xs: tuple[float, float]) -> None:
    box = canvas_box(page)
    top = box["y"] + box["height"] * y
    page.mouse.move(box["x"] + box["width"] * xs[0], top)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * xs[1], top, steps=6)
    page.mouse.up()


def paint_with_pen(page, y: float, xs: tuple[float, float]) -> None:
    """A stroke from a pen (CDP mouse input with pointerType "pen")."""
    box = canvas_box(page)
    top = box["y"] + box["height"] * y
    cdp = page.context.new_cdp_session(page)
    steps = [xs[0] + (xs[1] - xs[0]) * i / 6 for i in range(7)]
    for kind, x in [("mousePressed", steps[0])] + [("mouseMoved", x) for x in steps[1:]]:
        cdp.send(
            "Input.dispatchMouseEvent",
            {
                "type": kind,
                "x": box["x"] + box["width"] * x,
                "y": top,
                "button": "left",
                "buttons": 1,
                "clickCount": 1,
                "pointerType": "pen",
            },
        )
    end = {"x": box["x"] + box["width"] * steps[-1], "y": top}
    cdp.send(
        "Input.dispatchMouseEvent",
        {"type": "mouseReleased", **end, "button": "left", "clickCount": 1, "pointerType": "pen"},
    )
    cdp.detach()


def paint_with_finger(page, y: float, xs: tuple[float, float]) -> None:
    box = canvas_box(page)
    top = box["y"] + box["height"] * y
    cdp = page.context.new_cdp_session(page)  # real touch input: pointerType "touch"
    for kind, x in (("touchStart", xs[0]), ("touchMove", sum(xs) / 2), ("touchMove", xs[1])):
        point = {"x": box["x"] + box["width"] * x, "y": top}
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def wait_for_new_mask(page) -> None:
    """The painter puts a fresh PNG in the mask input after each stroke."""
    page.wait_for_function(MASK_READY)


def test_a_painted_mask_is_repainted_by_the_worker_and_the_rest_kept(stack, open_page):
    source = stack.shell(SETUP)
    page = open_page(stack.url)
    log_in(page, "painter")
    page.goto(f"/generate/?inpaint={source}")
    page.get_by_label("Prompt", exact=True).fill("a red boat")
    page.get_by_text("Advanced settings").click()
    page.get_by_label("Steps", exact=True).fill("4")
    # The starting image's own size (the form starts at the model's, 64 x 64):
    # with "Whole picture" the result is made at the form's size, as in A1111.
    page.get_by_label("Width", exact=True).fill("64")
    page.get_by_label("Height", exact=True).fill("48")
    expect(page.locator(".mask-state")).to_have_text(
        "Nothing painted: the whole image is used as a start."
    )
    page.wait_for_function(
        "() => { const i = document.querySelector('.mask-picture');"
        " return i.complete && i.naturalWidth > 0; }"
    )

    # The mouse paints across the upper part, the pen across the lower part.
    page.locator(".mask-brush").fill("50")  # screen pixels
    paint_with_mouse(page, 0.3, (0.2, 0.5))
    wait_for_new_mask(page)
    mouse_only = mask_file(page)
    page.evaluate("() => { document.querySelector('[data-mask-painter]').dataset.maskReady = ''; }")
    paint_with_pen(page, 0.75, (0.45, 0.8))
    wait_for_new_mask(page)
    mask = mask_file(page) == 255
    expect(page.locator(".mask-state")).to_have_text("Only the painted part is repainted.")
    assert mask.shape == (48, 64)
    assert mouse_only[int(48 * 0.3), int(64 * 0.35)] == 255  # the mouse's stroke
    assert not mouse_only[int(48 * 0.75), int(64 * 0.6)]
    assert mask[int(48 * 0.75), int(64 * 0.6)]  # the pen's stroke, added
    assert mask[int(48 * 0.3), int(64 * 0.35)] and not mask[2, 2] and not mask[45, 2]

    inpaint = page.locator("fieldset.inpaint")
    inpaint.get_by_label("Masked content").select_option("fill")
    blur = inpaint.get_by_label("Mask blur (px)")
    blur.fill(str(MASK_BLUR))
    blur.blur()  # no focus ring in the screenshot
    page.evaluate("() => window.scrollTo(0, 0)")  # the navbar at the top of the shot
    screenshot(page, "inpaint-flow-generate", full_page=True)
    page.get_by_role("button", name="Generate").click()

    # The job page: progress to 100 %, then the result.
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]+/$"))
    job_path = page.url.removeprefix(stack.url)
    progress = page.get_by_role("progressbar", name="Generation progress")
    expect(progress).to_have_attribute("aria-valuenow", "100", timeout=LONG)
    expect(page.get_by_text(re.compile(r"^\s*Done\b"))).to_be_visible()
    results = page.get_by_role("main").get_by_role("img", name="a red boat")
    expect(results).to_have_count(1)
    wait_for_images(page, "main .job-results figure img")
    screenshot(page, "inpaint-flow-job", full_page=True)

    # The result's PNG, with the browser's cookies (the image is private).
    download = page.locator(".image-actions a.download")
    result = png(page.request.get(download.get_attribute("href")))
    before = png(page.request.get(f"/images/{source}/file"))
    assert result.shape == before.shape == (48, 64, 3)
    reach = np.asarray(
        PILImage.fromarray(mask.astype("uint8") * 255).filter(ImageFilter.MaxFilter(2 * REACH + 1))
    )
    kept = reach == 0
    assert kept.sum() > 400, "the test's mask leaves too little outside it"
    assert (result[kept] == before[kept]).all(), "pixels outside the mask changed"
    assert (result[mask] != before[mask]).any(axis=-1).mean() > 0.5, "the mask was not repainted"

    # The recipe names the mask options (image page; the lightbox shows the same panel).
    page.locator("main .job-results figure a").first.click()
    panel = page.get_by_role("dialog").or_(page.get_by_role("complementary")).first
    recipe = panel.locator(".recipe-grid")
    for term, value in (
        ("Starting image", f"#{source}"),
        ("Masked content", "fill"),
        ("Mask blur", f"{MASK_BLUR} px"),
        ("Inpaint area", "Whole picture"),
    ):
        row = recipe.locator("div").filter(has=page.locator("dt", has_text=term))
        expect(row.locator("dd")).to_have_text(value)
    row.scroll_into_view_if_needed()
    screenshot(page, "inpaint-flow-recipe")

    # A phone: the same person paints with a finger; the job page at phone width.
    phone = open_page(
        stack.url,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        storage_state=page.context.storage_state(),
    )
    phone.goto(f"/generate/?inpaint={source}")
    phone.wait_for_function(
        "() => { const i = document.querySelector('.mask-picture');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    paint_with_finger(phone, 0.5, (0.3, 0.7))
    wait_for_new_mask(phone)
    assert mask_file(phone)[24, 32] == 255
    screenshot(phone, "inpaint-flow-generate-phone")
    phone.goto(job_path)
    wait_for_images(phone, "main .job-results figure img")
    screenshot(phone, "inpaint-flow-job-phone", full_page=True)
