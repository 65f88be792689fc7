"""Two people in a real browser against real processes: Ada uploads three
private images into her topic and publishes them together from My images
(select all, one confirmation naming how many); Bob then sees them in the
topic, follows Ada and likes one; Ada's navbar count of unread
notifications goes up without her reloading, and the list says Bob liked it.
The screenshots bulk-select.png and notifications.png in docs/screenshots/
come from here."""

import re

import pytest
from playwright.sync_api import expect

from imaging.tests.sample_images import photo_like
from tests.e2e.browser import screenshot, sign_up
from tests.fixtures import png_bytes

pytestmark = pytest.mark.e2e

TOPIC = "Tide pools"
POLL = 30_000  # ms: the badge is polled every 15 s


def test_bulk_publish_then_a_like_is_notified(stack, open_page, tmp_path):
    # Ada signs up, makes a topic and uploads three private images into it.
    ada = open_page(stack.url)
    ada.goto("/")
    sign_up(ada, "ada")
    ada.goto("/topics/new/")
    ada.get_by_label("Name", exact=True).fill(TOPIC)
    ada.get_by_role("main").get_by_role("button", name=re.compile("Create")).click()
    expect(ada.get_by_role("heading", name=TOPIC)).to_be_visible()
    files = []
    for n in range(3):  # three different pictures: plain colours would look alike
        path = tmp_path / f"pool-{n}.png"
        path.write_bytes(png_bytes(photo_like(64, 48, seed=n)))
        files.append(str(path))
    ada.goto("/upload/")
    ada.get_by_label("Images").set_input_files(files)
    ada.get_by_label("Topic").select_option(label=TOPIC)
    ada.get_by_label("Visibility").select_option("private")
    expect(ada.get_by_text("Private images are not shown in the topic.")).to_be_visible()
    ada.get_by_role("main").get_by_role("button", name="Upload").click()
    expect(ada.get_by_text("3 images were uploaded.")).to_be_visible()
    expect(
        ada.get_by_text("Private: only you can see them; the topic does not show them.")
    ).to_be_visible()

    # Bob, signed up in another browser, sees an empty topic.
    bob = open_page(stack.url)
    bob.goto("/")
    sign_up(bob, "bob")
    bob.goto("/topics/")
    bob.get_by_role("link", name=TOPIC).first.click()
    topic_url = bob.url
    expect(bob.get_by_role("main").locator("figure.tile")).to_have_count(0)

    # Ada selects all three in My images and publishes them, confirming once.
    ada.goto("/me/images/")
    ada.get_by_role("button", name="Select", exact=True).click()
    ada.get_by_role("button", name="Select all on page").click()
    expect(ada.get_by_text("3 selected")).to_be_visible()
    screenshot(ada, "bulk-select")
    asked = []

    def accept(dialog):
        asked.append(dialog.message)
        dialog.accept()

    ada.once("dialog", accept)
    ada.get_by_role("button", name="Publish", exact=True).click()
    expect(ada.get_by_text("Published 3 images.")).to_be_visible()
    assert asked == ["Publish 3 images?"]

    # Bob now sees the three in the topic, follows Ada and likes one.
    bob.goto(topic_url)
    tiles = bob.get_by_role("main").locator("figure.tile a.tile-link")
    expect(tiles).to_have_count(3)
    bell = ada.locator("#notification-bell")
    expect(bell.locator(".notification-count")).to_have_count(0)
    tiles.first.click()
    expect(bob).to_have_url(re.compile(r"/images/\d+/$"))
    heart = bob.get_by_role("region", name="Actions").get_by_role(
        "button", name=re.compile(r"\blikes?\b")
    )
    heart.click()
    expect(heart).to_have_attribute("aria-pressed", "true")
    bob.goto("/u/ada/")
    bob.get_by_role("button", name="Follow").click()
    expect(bob.get_by_role("button", name="Following")).to_be_visible()

    # Ada's badge counts both, without a reload; the list names Bob.
    expect(ada.locator("#notification-bell .notification-count")).to_have_attribute(
        "data-count", "2", timeout=POLL
    )
    ada.locator("#notification-bell").click()
    expect(ada.get_by_role("heading", name="Notifications")).to_be_visible()
    expect(ada.get_by_text(re.compile(r"bob\s+liked"))).to_be_visible()
    expect(ada.get_by_text(re.compile(r"bob\s+followed you"))).to_be_visible()
    screenshot(ada, "notifications")


def upload(page, tmp_path, name: str, seeds, topic: str) -> None:
    """Upload one photo-like PNG per seed, public, into ``topic``."""
    files = []
    for seed in seeds:
        path = tmp_path / f"{name}-{seed}.png"
        path.write_bytes(png_bytes(photo_like(64, 48, seed=seed)))
        files.append(str(path))
    page.goto("/upload/")
    page.get_by_label("Images").set_input_files(files)
    page.get_by_label("Topic").select_option(label=topic)
    page.get_by_label("Visibility").select_option("public")
    page.get_by_role("main").get_by_role("button", name="Upload").click()
    expect(page.get_by_text(re.compile(r"images? (was|were) uploaded"))).to_be_visible()


def test_bulk_changes_from_a_topic_page_take_only_your_own(stack, open_page, tmp_path):
    # Dan makes a topic with one image; Cleo adds three of hers to it.
    dan = open_page(stack.url)
    dan.goto("/")
    sign_up(dan, "dan")
    dan.goto("/topics/new/")
    dan.get_by_label("Name", exact=True).fill("Kites")
    dan.get_by_role("main").get_by_role("button", name=re.compile("Create")).click()
    expect(dan.get_by_role("heading", name="Kites")).to_be_visible()
    upload(dan, tmp_path, "dan", [10], "Kites")
    cleo = open_page(stack.url)
    cleo.goto("/")
    sign_up(cleo, "cleo")
    upload(cleo, tmp_path, "cleo", [11, 12, 13], "Kites")

    # On the topic's page Cleo selects: Dan's tile is not hers to take;
    # a click then a shift-click takes the range of hers.
    cleo.goto("/topics/kites/")
    tiles = cleo.get_by_role("main").locator("figure.tile")
    expect(tiles).to_have_count(4)
    cleo.get_by_role("button", name="Select", exact=True).click()
    cleo.get_by_role("main").locator("figure.tile:not([data-mine])").click()
    expect(cleo.get_by_text("Only your own images can be selected")).to_be_visible()
    expect(cleo).to_have_url(re.compile(r"/topics/kites/$"))  # no lightbox opened
    mine = cleo.get_by_role("main").locator("figure.tile[data-mine]")
    expect(mine).to_have_count(3)
    mine.first.click()
    mine.last.click(modifiers=["Shift"])
    expect(cleo.get_by_text("3 selected")).to_be_visible()
    asked = []

    def accept(dialog):
        asked.append(dialog.message)
        dialog.accept()

    cleo.once("dialog", accept)
    cleo.get_by_role("button", name="Make private", exact=True).click()
    expect(cleo.get_by_text("Made private 3 images.")).to_be_visible()
    assert asked == ["Make private 3 images?"]
    expect(cleo).to_have_url(re.compile(r"/topics/kites/$"))
    # The topic now shows Dan's image only, to him as to her.
    expect(tiles).to_have_count(1)
    dan.goto("/topics/kites/")
    expect(dan.get_by_role("main").locator("figure.tile")).to_have_count(1)
