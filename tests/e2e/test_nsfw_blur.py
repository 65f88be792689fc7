"""A visitor sees NSFW tiles blurred in a real browser: the first click on
one reveals it without opening the lightbox, the next opens it; the lightbox
shows a blurred neighbour blurred until it is clicked, which reveals its tile
too; the image page blurs the picture until clicked. The gallery is
``manage.py seed_demo --nsfw-every 4``'s; no worker is needed. A screenshot
of the grid goes to /tmp/atelier-nsfw/ (browser.shots_folder)."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import shots_folder, web_only_stack

pytestmark = pytest.mark.e2e

BLURRED = "main .masonry figure.tile.is-blurred"


@pytest.fixture(scope="module")
def gallery(request, django_db_blocker):
    with web_only_stack(request, django_db_blocker) as stack:
        stack.manage(
            "seed_demo", "--images", "30", "--users", "2", "--topics", "1", "--files", "3",
            "--nsfw-every", "4",
        )  # fmt: skip
        yield stack


BLUR = re.compile(r"blur\(")


def expect_blurred(image, blurred: bool = True) -> None:
    """The picture's computed filter, waited for (a tile's filter is animated)."""
    if blurred:
        expect(image).to_have_css("filter", BLUR)
    else:
        expect(image).to_have_css("filter", "none")


def test_a_visitor_reveals_a_blurred_tile_by_clicking_it(gallery, open_page):
    page = open_page(gallery.url)
    page.goto("/explore/?feed=recent")
    blurred = page.locator(BLURRED)
    assert blurred.count() >= 2
    image_id = blurred.first.locator("a.tile-link").get_attribute("data-lightbox")
    tile = page.locator(f'main figure.tile:has(a[data-lightbox="{image_id}"])')
    expect_blurred(tile.locator("img.tile-img"))
    expect(tile.locator(".nsfw-cover")).to_be_visible()
    page.screenshot(path=str(shots_folder("nsfw") / "grid.png"))

    tile.locator("a.tile-link").click()
    dialog = page.get_by_role("dialog", name="Image viewer")
    expect(tile).not_to_have_class(re.compile(r"\bis-blurred\b"))
    expect_blurred(tile.locator("img.tile-img"), False)
    expect(dialog).to_be_hidden()  # the first click only revealed it
    assert page.url.endswith("/explore/?feed=recent")

    tile.locator("a.tile-link").click()  # the second opens it
    expect(dialog).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/images/{image_id}/$"))
    expect_blurred(dialog.locator(".lightbox-img"), False)


def test_the_lightbox_blurs_a_blurred_neighbour_until_clicked(gallery, open_page):
    page = open_page(gallery.url)
    page.goto("/explore/?feed=recent")
    links = page.locator("main .masonry a.tile-link")
    ids = links.evaluate_all("ls => ls.map(a => a.dataset.lightbox)")
    flagged = page.locator(f"{BLURRED} a.tile-link").evaluate_all(
        "ls => ls.map(a => a.dataset.lightbox)"
    )
    # Open the plain tile just before a blurred one, then step onto it.
    index = next(i for i, pk in enumerate(ids) if i > 0 and pk in flagged) - 1
    assert ids[index] not in flagged
    links.nth(index).click()
    dialog = page.get_by_role("dialog", name="Image viewer")
    expect(dialog).to_be_visible()
    expect(dialog).not_to_have_class(re.compile(r"\bis-blurred\b"))
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(rf"/images/{ids[index + 1]}/$"))
    expect(dialog).to_have_class(re.compile(r"\bis-blurred\b"))
    image = dialog.locator(".lightbox-img")
    expect_blurred(image)
    image.click()
    expect(dialog).not_to_have_class(re.compile(r"\bis-blurred\b"))
    expect_blurred(image, False)
    tile = page.locator(f'main figure.tile:has(a[data-lightbox="{ids[index + 1]}"])')
    expect(tile).not_to_have_class(re.compile(r"\bis-blurred\b"))


def test_the_image_page_blurs_until_clicked(gallery, open_page):
    page = open_page(gallery.url)
    page.goto("/explore/?feed=recent")
    image_id = page.locator(f"{BLURRED} a.tile-link").first.get_attribute("data-lightbox")
    page.goto(f"/images/{image_id}/")
    frame = page.locator(".viewer-stage a.nsfw-frame")
    expect(frame).to_have_class(re.compile(r"\bis-blurred\b"))
    expect_blurred(frame.locator("img"))
    frame.click()
    expect(frame).not_to_have_class(re.compile(r"\bis-blurred\b"))
    expect_blurred(frame.locator("img"), False)
    expect(page).to_have_url(re.compile(rf"/images/{image_id}/$"))  # revealed, not followed
