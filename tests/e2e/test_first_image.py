"""A visitor's first image, in a real browser against real processes: sign up,
write a prompt, watch the job finish, find the image in "My images", open it
and read its recipe. The screenshots in docs/screenshots/ come from here."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import (
    LONG,
    PHONE,
    images_loaded,
    screenshot,
    template_leaks,
)

pytestmark = pytest.mark.e2e

PROMPT = "a fox in the forest"  # 19 characters


def test_a_visitor_signs_up_and_makes_a_first_image(stack, open_page):
    page = open_page(stack.url, permissions=["clipboard-read", "clipboard-write"])
    navbar = page.get_by_role("navigation", name="Main")
    leaks = []  # template syntax shown to the user, reported at the end

    # 1. The landing page, as a visitor; sign up.
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    leaks += template_leaks(page)
    screenshot(page, "home")
    navbar.get_by_role("link", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/"))
    page.get_by_label("Username").fill("ada")
    page.get_by_label(re.compile(r"^E-?mail")).fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill("a-long-Passw0rd!")
    page.get_by_label(re.compile(r"^Password \(again\)")).fill("a-long-Passw0rd!")
    page.get_by_role("button", name="Sign up").click()
    expect(navbar.get_by_role("button", name="ada")).to_be_visible()

    # 2. The Generate page: counter, default model, advanced settings.
    navbar.get_by_role("link", name="Generate").click()
    expect(page.get_by_role("heading", name="Generate", level=1)).to_be_visible()
    prompt = page.get_by_label("Prompt", exact=True)
    counter = page.get_by_text(re.compile(r"^\d+ / 1000$"))
    expect(counter).to_have_text("0 / 1000")
    prompt.press_sequentially(PROMPT)
    expect(counter).to_have_text("19 / 1000")
    model = page.get_by_label("Model", exact=True)
    expect(model).to_have_value("tiny")
    expect(model.locator("option:checked")).to_have_text(re.compile("Tiny"))
    page.get_by_text("Advanced settings").click()
    steps = page.get_by_label("Steps", exact=True)
    expect(steps).to_be_visible()
    steps.fill("8")
    count = page.get_by_label("Number of images")
    count.fill("4")
    count.blur()  # no focus ring in the screenshot
    leaks += template_leaks(page)
    screenshot(page, "generate", full_page=True)
    page.get_by_role("button", name="Generate").click()

    # 3. The job page: progress to 100 %, "Done", the results.
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]+/$"))
    progress = page.get_by_role("progressbar", name="Generation progress")
    expect(progress).to_have_attribute("aria-valuenow", "100", timeout=LONG)
    expect(progress).to_have_text("100%")
    expect(page.get_by_text(re.compile(r"^\s*Done\b"))).to_be_visible()
    results = page.get_by_role("main").get_by_role("img", name=PROMPT)
    expect(results).to_have_count(4)
    page.wait_for_function(
        "n => [...document.querySelectorAll('main figure img')]"
        ".filter(i => i.complete && i.naturalWidth > 0).length >= n",
        arg=4,
    )
    leaks += template_leaks(page)
    screenshot(page, "job-finished", full_page=True)

    # 4. "My images": the tiles, with thumbnails that really loaded.
    navbar.get_by_role("link", name="My images").click()
    expect(page.get_by_role("heading", name="My images", level=1)).to_be_visible()
    tiles = (
        page.get_by_role("main")
        .get_by_role("link")
        .filter(has=page.get_by_role("img", name=PROMPT))
    )
    expect(tiles).to_have_count(4)
    page.wait_for_function(
        "() => [...document.querySelectorAll('main figure img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    assert images_loaded(page, "main figure img") == 4
    leaks += template_leaks(page)
    screenshot(page, "my-images", full_page=True)

    # A phone: touch, no hover (tile captions always shown), same session.
    phone = open_page(
        stack.url,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        storage_state=page.context.storage_state(),
    )
    phone.goto("/me/images/")
    expect(phone.get_by_role("heading", name="My images", level=1)).to_be_visible()
    phone.wait_for_function(
        "() => [...document.querySelectorAll('main figure img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    leaks += template_leaks(phone)
    # Not full_page: Chromium drops the touch emulation (hover: none) while it
    # takes a full-page shot, and the tile captions would vanish from it.
    screenshot(phone, "my-images-phone")

    # 5. One image: the picture and its recipe. A tile opens the lightbox over
    # the grid (tests/e2e/test_lightbox.py); its URL, reloaded, is the image page.
    tiles.first.click()
    expect(page).to_have_url(re.compile(r"/images/\d+/$"))
    page.reload()
    panel = page.get_by_role("complementary")
    expect(panel.get_by_role("heading", name=PROMPT)).to_be_visible()
    # The recipe shows the prompt (besides the title), and the settings used.
    expect(panel.get_by_text(PROMPT, exact=True)).to_have_count(2)
    expect(panel.get_by_text(PROMPT, exact=True).last).to_be_visible()
    steps_term = panel.get_by_role("term").filter(has_text=re.compile(r"^\s*Steps\s*$"))
    expect(steps_term.locator("xpath=following-sibling::dd[1]")).to_have_text("8")
    picture = page.get_by_role("main").get_by_role("img", name=PROMPT)
    expect(picture).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('main img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    leaks += template_leaks(page)
    screenshot(page, "image-detail")
    # Its Copy button puts the prompt on the clipboard.
    panel.get_by_role("button", name=re.compile(r"^Copy")).first.click()
    expect(panel.get_by_role("button", name=re.compile(r"^Copied"))).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == PROMPT

    if leaks:
        shown = "\n".join(dict.fromkeys(leaks))
        pytest.fail(f"Django template syntax shown to the user:\n{shown}", pytrace=False)
