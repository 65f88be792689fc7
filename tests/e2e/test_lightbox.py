"""Browsing a feed in a real browser against a real server: the masonry grid
reads left to right and page 2 continues page 1's columns (bounding boxes,
desktop and phone width), the lightbox opens over the grid and moves across a
page boundary with ←/→, Esc and Back close it where the grid was, and the ♥
on a tile likes without opening. The gallery is ``manage.py seed_demo``'s
(real pictures, thumbnails and rows); no worker is needed.
Screenshots of the grid and the lightbox go to /tmp/atelier-lightbox/."""

import re
from itertools import pairwise
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import DESKTOP, PHONE, mark_page, page_was_reloaded, require_chromium

pytestmark = pytest.mark.e2e

PAGE = 24
SHOTS = Path("/tmp/atelier-lightbox")


@pytest.fixture(scope="module")
def gallery(request, django_db_blocker):
    """A web server over a database that seed_demo filled: 3 people, 80
    images (most of them public), so Recent has more than 3 pages."""
    from tests.stack import Stack

    require_chromium()
    with django_db_blocker.unblock():
        stack = Stack(database="sqlite", broker="sqlite", tiny_model=Path("/nonexistent"))
    failures = request.session.testsfailed
    try:
        stack.start(worker=False)
        out = stack.manage(
            "seed_demo", "--images", "80", "--users", "3", "--topics", "2", "--files", "6"
        ).stdout
        password = re.search(r"password: (\S+)", out).group(1)
        users = stack.shell(
            "import json; from django.contrib.auth import get_user_model; "
            "print(json.dumps(sorted(get_user_model().objects.values_list('username', flat=True))))"
        )
        yield stack, users, password
    finally:
        if request.session.testsfailed > failures:
            print(f"----- web log -----\n{stack.log('web')}")
        stack.stop()


def boxes(page):
    """The tiles of the main feed, in DOM order: (id, x, y, width, height)."""
    return page.eval_on_selector_all(
        "main .masonry figure.tile",
        """tiles => tiles.map(t => { const b = t.getBoundingClientRect();
            return [+t.querySelector('[data-lightbox]').dataset.lightbox,
                    b.x, b.y + window.scrollY, b.width, b.height]; })""",
    )


def load_second_page(page):
    page.locator("main .feed-more").first.scroll_into_view_if_needed()
    page.wait_for_function(
        "n => document.querySelectorAll('main .masonry figure.tile').length > n", arg=PAGE
    )


def assert_reading_order(tiles, columns):
    xs = sorted({round(x) for _, x, *_ in tiles})
    assert len(xs) == columns, f"{columns} columns expected, tiles at x = {xs}"
    first_row = [round(x) for _, x, *_ in tiles[:columns]]
    assert first_row == xs, "the first row reads #1, #2, #3… left to right"
    tops = [y for _, _, y, *_ in tiles]
    assert all(b >= a - 1 for a, b in pairwise(tops)), "a later tile never starts higher"
    # No seam: within a column, each tile starts one gap under the one above.
    for x in xs:
        column = sorted((y, h) for _, tx, y, _, h in tiles if round(tx) == x)
        gaps = {round(b[0] - (a[0] + a[1])) for a, b in pairwise(column)}
        assert len(gaps) == 1 and gaps.pop() <= 16, f"uneven gaps in column {x}: {gaps}"


@pytest.mark.parametrize(("viewport", "columns"), [(DESKTOP, 4), (PHONE, 2)])
def test_tiles_read_left_to_right_across_a_page_boundary(gallery, open_page, viewport, columns):
    stack, _, _ = gallery
    page = open_page(stack.url, viewport=viewport)
    page.goto("/explore/")
    expect(page.locator("main .masonry.is-masonry")).to_be_visible()
    first = boxes(page)
    assert len(first) == PAGE
    load_second_page(page)
    expect(page.locator("main .masonry")).to_have_count(1)  # page 2 poured into page 1's grid
    tiles = boxes(page)
    assert tiles[:PAGE] == first, "the tiles of page 1 did not move"
    assert_reading_order(tiles, columns)
    # Tab goes through the tiles in the same order.
    links = page.eval_on_selector_all(
        "main .masonry a.tile-link", "links => links.map(a => +a.dataset.lightbox)"
    )
    assert links == [tile[0] for tile in tiles]
    # Title, author and likes show without hovering.
    tile = page.locator("main figure.tile").first
    expect(tile.locator(".tile-title")).to_be_visible()
    expect(tile.locator(".tile-owner")).to_be_visible()
    expect(tile.locator(".like-count")).to_be_visible()
    SHOTS.mkdir(exist_ok=True)
    name = "phone" if viewport == PHONE else "desktop"
    page.screenshot(path=str(SHOTS / f"grid-{name}.png"))


def test_lightbox_moves_across_pages_and_closes_where_the_grid_was(gallery, open_page):
    stack, _, _ = gallery
    page = open_page(stack.url)
    page.goto("/explore/")
    mark_page(page)
    links = page.locator("main .masonry a.tile-link")
    expect(links).to_have_count(PAGE)
    ids = [int(i) for i in links.evaluate_all("ls => ls.map(a => a.dataset.lightbox)")]

    # Open the 22nd tile, somewhere down the page.
    tile = links.nth(PAGE - 3)
    tile.scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0
    tile.click()
    dialog = page.get_by_role("dialog", name="Image viewer")
    expect(dialog).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/images/{ids[PAGE - 3]}/$"))
    expect(dialog.get_by_role("heading", level=1)).to_be_visible()  # the panel
    expect(dialog.locator(".viewer-actions .like-btn")).to_be_visible()  # a visitor: log in
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "lightbox-desktop.png"))

    # → past the last tile of page 1: the next page comes in.
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"/images/\d+/$"))
    page.wait_for_function(
        "n => document.querySelectorAll('main .masonry a.tile-link').length > n", arg=PAGE
    )
    all_ids = [
        int(i)
        for i in page.locator("main .masonry a.tile-link").evaluate_all(
            "ls => ls.map(a => a.dataset.lightbox)"
        )
    ]
    assert all_ids[:PAGE] == ids
    expect(page).to_have_url(re.compile(rf"/images/{all_ids[PAGE]}/$"))
    expect(dialog.locator(".lightbox-img")).to_have_attribute("data-id", str(all_ids[PAGE]))
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(rf"/images/{all_ids[PAGE + 1]}/$"))
    # ← back across the boundary.
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(page).to_have_url(re.compile(rf"/images/{ids[PAGE - 1]}/$"))
    expect(dialog.get_by_role("heading", level=1)).to_be_visible()

    # Esc closes it: the grid's URL, where it was.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(re.compile(r"/explore/$"))
    assert page.evaluate("window.scrollY") == scrolled

    # Back closes it too.
    tile.click()
    expect(dialog).to_be_visible()
    page.go_back()
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(re.compile(r"/explore/$"))
    assert page.evaluate("window.scrollY") == scrolled
    assert not page_was_reloaded(page)

    # A reload of an image's URL shows the image page itself.
    tile.click()
    expect(page).to_have_url(re.compile(rf"/images/{ids[PAGE - 3]}/$"))
    page.reload()
    expect(page.locator(".viewer-img")).to_be_visible()
    expect(page.get_by_role("dialog", name="Image viewer")).to_be_hidden()


def test_lightbox_at_phone_width_shows_the_panel_under_the_image(gallery, open_page):
    stack, _, _ = gallery
    page = open_page(stack.url, viewport=PHONE)
    page.goto("/explore/")
    page.locator("main .masonry a.tile-link").first.click()
    dialog = page.get_by_role("dialog", name="Image viewer")
    expect(dialog.get_by_role("heading", level=1)).to_be_visible()
    image = dialog.locator(".lightbox-img").bounding_box()
    heading = dialog.get_by_role("heading", level=1).bounding_box()
    assert heading["y"] > image["y"] + image["height"] - 1
    page.screenshot(path=str(SHOTS / "lightbox-phone.png"))
    # A swipe to the left shows the next image, to the right the one before.
    ids = page.locator("main .masonry a.tile-link").evaluate_all(
        "ls => ls.slice(0, 2).map(a => a.dataset.lightbox)"
    )
    stage = dialog.locator(".lightbox-view").bounding_box()
    y = stage["y"] + stage["height"] / 2
    for start, end, shown in ((300, 80, ids[1]), (80, 300, ids[0])):
        page.mouse.move(start, y)
        page.mouse.down()
        page.mouse.move(end, y, steps=6)
        page.mouse.up()
        expect(page).to_have_url(re.compile(rf"/images/{shown}/$"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_the_heart_on_a_tile_likes_without_opening(gallery, open_page):
    stack, users, password = gallery
    page = open_page(stack.url)
    # A visitor's heart asks them to log in.
    page.goto("/explore/")
    heart = page.locator("main figure.tile").first.locator(".like-btn")
    expect(heart).to_have_attribute("href", re.compile(r"/accounts/login/"))

    page.goto("/accounts/login/")
    page.get_by_label("Login").fill(users[0])
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("button", name=users[0])
    ).to_be_visible()
    page.goto("/explore/")
    mark_page(page)
    tile = page.locator("main figure.tile").filter(has=page.locator(".like-btn:not(.is-liked)"))
    tile = tile.first
    tile_id = tile.locator("a.tile-link").get_attribute("data-lightbox")
    count = int(tile.locator(".like-count").inner_text())
    tile.get_by_role("button", name=re.compile("like", re.I)).click()
    tile = page.locator(f'main figure.tile:has(a[data-lightbox="{tile_id}"])')
    expect(tile.locator(".like-btn")).to_have_class(re.compile("is-liked"))
    expect(tile.locator(".like-count")).to_have_text(str(count + 1))
    expect(page).to_have_url(re.compile(r"/explore/$"))
    assert not page_was_reloaded(page)
    assert page.get_by_role("dialog", name="Image viewer").is_hidden()
    # The like is kept: the image's page says so.
    page.goto(f"/images/{tile_id}/")
    expect(page.locator(".viewer-actions .like-btn")).to_have_class(re.compile("is-liked"))


def test_without_javascript_the_grid_reads_in_rows_and_a_tile_opens_its_page(gallery, open_page):
    stack, _, _ = gallery
    page = open_page(stack.url, java_script_enabled=False)
    page.goto("/explore/")
    tiles = boxes(page)
    assert len(tiles) == PAGE
    tops = [y for _, _, y, *_ in tiles]
    assert all(b >= a - 1 for a, b in pairwise(tops)), "rows, in the feed's order"
    assert len({round(x) for _, x, *_ in tiles}) == 4
    page.locator("main .masonry a.tile-link").first.click()
    expect(page).to_have_url(re.compile(rf"/images/{tiles[0][0]}/$"))
    expect(page.locator("main .viewer-img")).to_be_visible()


def test_full_screen_and_following_the_author_from_the_lightbox(gallery, open_page):
    stack, users, password = gallery
    page = open_page(stack.url)
    page.goto("/accounts/login/")
    page.get_by_label("Login").fill(users[0])
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("button", name=users[0])
    ).to_be_visible()
    page.goto("/explore/")
    mark_page(page)
    # Someone else's image (theirs carry no data-mine).
    tile = page.locator("main figure.tile:not([data-mine])").first
    author = tile.locator(".tile-owner").get_attribute("href")
    tile.locator("a.tile-link").click()
    dialog = page.get_by_role("dialog", name="Image viewer")
    expect(dialog.get_by_role("heading", level=1)).to_be_visible()
    image_url = page.url

    # Full screen, and back.
    dialog.get_by_role("button", name="Full screen").click()
    page.wait_for_function("() => document.fullscreenElement !== null")
    # The stage fills the screen: the image and its toolbar, nothing of the page.
    assert page.evaluate(
        "() => document.fullscreenElement.matches('[data-lightbox-dialog] .lightbox-stage')"
    )
    expect(dialog.get_by_role("button", name="Close")).to_be_visible()
    dialog.get_by_role("button", name="Full screen").click()
    page.wait_for_function("() => document.fullscreenElement === null")
    expect(dialog).to_be_visible()

    # Follow the author without leaving the image.
    dialog.get_by_role("button", name="Follow", exact=True).click()
    expect(dialog.get_by_role("button", name="Following")).to_be_visible()
    assert page.url == image_url and not page_was_reloaded(page)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # Their profile says so after a fresh load.
    page.goto(author)
    expect(page.get_by_role("main").get_by_role("button", name="Following")).to_be_visible()
    # Unfollow again, so the module's other tests see the gallery as it was.
    page.get_by_role("main").get_by_role("button", name="Following").click()
    expect(
        page.get_by_role("main").get_by_role("button", name="Follow", exact=True)
    ).to_be_visible()
