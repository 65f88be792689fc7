"""Two people and a topic, in a real browser against real processes: a visitor
signs up, creates a topic and generates public images into it; a second person
subscribes, likes one (the heart toggles without a reload) and comments; their
Subscribed and Liked feeds show it, the first person reads the comment, and a
visitor's landing page shows it in the Popular feed. The screenshots
topic.png, image-social.png, explore-subscribed.png and home-visitor.png in
docs/screenshots/ come from here."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import (
    DESKTOP,
    LONG,
    images_loaded,
    mark_page,
    page_was_reloaded,
    screenshot,
    sign_up,
    template_leaks,
    wait_for_images,
)

pytestmark = pytest.mark.e2e

TOPIC = "Night sky"
PROMPT = "stars over a quiet lake"
IMAGES = 4  # enough for the feeds to look like feeds
COMMENT = "Lovely noise"
TALL = {"width": DESKTOP["width"], "height": 1100}


def tiles(page, prompt: str = PROMPT):
    """The links of the tiles in the page's main feed showing ``prompt``."""
    return (
        page.get_by_role("main")
        .locator("figure.tile a.tile-link")
        .filter(has=page.get_by_role("img", name=prompt))
    )


def test_people_share_a_topic_subscribe_like_and_comment(stack, open_page):
    leaks = []  # template syntax shown to the user, reported at the end

    # 1. Ada, a visitor, lands on the home page and signs up.
    ada = open_page(stack.url)
    ada.goto("/")
    expect(ada.get_by_role("heading", level=1)).to_contain_text("Write a prompt")
    expect(ada.get_by_role("heading", name="Popular", exact=True)).to_be_visible()
    sign_up(ada, "ada")
    ada_nav = ada.get_by_role("navigation", name="Main")

    # 2. She creates a topic: Topics → Create topic.
    ada_nav.get_by_role("link", name="Topics").click()
    expect(ada.get_by_role("heading", name="Topics", level=1)).to_be_visible()
    ada.get_by_role("main").get_by_role("link", name="Create topic").click()
    expect(ada.get_by_role("heading", name="Create a topic")).to_be_visible()
    ada.get_by_label("Name", exact=True).fill(TOPIC)
    ada.get_by_label("Description").fill("Long exposures of the dark.")
    ada.get_by_role("button", name="Create topic").click()
    expect(ada).to_have_url(re.compile(r"/topics/night-sky/$"))
    expect(ada.get_by_role("heading", name=TOPIC, level=1)).to_be_visible()
    leaks += template_leaks(ada)

    # 3. She generates public images into it with the tiny model.
    ada_nav.get_by_role("link", name="Generate").click()
    ada.get_by_label("Prompt", exact=True).fill(PROMPT)
    expect(ada.get_by_label("Model", exact=True)).to_have_value("tiny")
    ada.get_by_label("Topic", exact=True).select_option(label=TOPIC)
    ada.get_by_label("Number of images").fill(str(IMAGES))
    ada.get_by_text("Advanced settings").click()
    ada.get_by_label("Visibility", exact=True).select_option("public")
    ada.get_by_role("button", name="Generate").click()
    expect(ada).to_have_url(re.compile(r"/jobs/[0-9a-f-]+/$"))
    progress = ada.get_by_role("progressbar", name="Generation progress")
    expect(progress).to_have_attribute("aria-valuenow", "100", timeout=LONG)
    expect(progress).to_have_text("100%")

    # 4. Grace signs up in her own browser and subscribes to the topic.
    grace = open_page(stack.url)
    grace.goto("/")
    sign_up(grace, "grace")
    grace_nav = grace.get_by_role("navigation", name="Main")
    grace_nav.get_by_role("link", name="Topics").click()
    grace.get_by_role("main").get_by_role("link", name=TOPIC).click()
    expect(grace.get_by_role("heading", name=TOPIC, level=1)).to_be_visible()
    expect(tiles(grace)).to_have_count(IMAGES)
    mark_page(grace)
    grace.get_by_role("button", name=re.compile(r"^Subscribe\b")).click()
    subscribed = grace.get_by_role("button", name=re.compile(r"^Subscribed\b"))
    expect(subscribed).to_have_attribute("aria-pressed", "true")
    expect(subscribed).to_contain_text("1")
    wait_for_images(grace, at_least=IMAGES)
    leaks += template_leaks(grace)
    screenshot(grace, "topic", full_page=True)

    # 5. She opens an image (the lightbox, over the topic's grid), likes it (no
    # reload) and comments on it (no reload).
    tiles(grace).first.click()
    expect(grace).to_have_url(re.compile(r"/images/\d+/$"))
    expect(grace.get_by_role("dialog", name="Image viewer")).to_be_visible()
    image_url = grace.url
    image_path = re.sub(r"^https?://[^/]+", "", image_url)
    actions = grace.get_by_role("region", name="Actions")
    heart = actions.get_by_role("button", name=re.compile(r"\blikes?\b"))
    expect(heart).to_have_attribute("aria-pressed", "false")
    expect(heart.locator(".like-count")).to_have_text("0")
    mark_page(grace)
    heart.click()
    expect(heart).to_have_attribute("aria-pressed", "true")
    expect(heart.locator(".like-count")).to_have_text("1")
    expect(heart).to_have_class(re.compile(r"\bis-liked\b"))
    grace.get_by_label("Add a comment").fill(COMMENT)
    grace.get_by_role("button", name="Comment", exact=True).click()
    comments = grace.locator("#comments")
    comment = comments.locator("article.comment").filter(has_text=COMMENT)
    expect(comment).to_have_count(1)
    expect(comment.get_by_role("link", name="grace")).to_be_visible()
    expect(comments.get_by_role("heading")).to_contain_text("Comments · 1")
    expect(grace.get_by_label("Add a comment")).to_have_value("")
    assert not page_was_reloaded(grace), "liking or commenting reloaded the page"
    # Reloaded, the image's address shows its own page, with the comment kept.
    grace.reload()
    expect(comment).to_have_count(1)
    wait_for_images(grace, "main .viewer-img")
    leaks += template_leaks(grace)
    # Tall enough for the whole panel: title, heart, recipe and the comment.
    grace.set_viewport_size(TALL)
    grace.get_by_label("Add a comment").blur()
    grace.get_by_role("heading", level=1).scroll_into_view_if_needed()
    expect(comment).to_be_in_viewport()
    screenshot(grace, "image-social")
    grace.set_viewport_size(DESKTOP)

    # 6. Her Subscribed feed (Explore → Subscribed) has the topic's images…
    grace_nav.get_by_role("link", name="Explore").click()
    expect(grace.get_by_role("heading", name="Explore", level=1)).to_be_visible()
    feeds = grace.get_by_role("navigation", name="Feeds")
    feeds.get_by_role("link", name="Subscribed").click()
    expect(feeds.get_by_role("link", name="Subscribed")).to_have_attribute("aria-current", "page")
    expect(tiles(grace)).to_have_count(IMAGES)
    expect(grace.get_by_role("main").locator(f'a.tile-link[href="{image_path}"]')).to_have_count(1)
    wait_for_images(grace, at_least=IMAGES)
    leaks += template_leaks(grace)
    screenshot(grace, "explore-subscribed", full_page=True)

    # …and her Liked feed the one she liked, with its heart filled.
    feeds.get_by_role("link", name="Liked").click()
    expect(feeds.get_by_role("link", name="Liked")).to_have_attribute("aria-current", "page")
    expect(tiles(grace)).to_have_count(1)
    expect(tiles(grace)).to_have_attribute("href", image_path)
    liked_heart = grace.get_by_role("main").locator("figure.tile .like-btn")
    expect(liked_heart).to_have_attribute("aria-pressed", "true")

    # 7. Ada sees Grace's comment and like on her image.
    ada.goto(image_path)
    ada_comment = ada.locator("#comments article.comment").filter(has_text=COMMENT)
    expect(ada_comment).to_have_count(1)
    expect(ada_comment.get_by_role("link", name="grace")).to_be_visible()
    own_heart = ada.get_by_role("region", name="Actions").locator(".like-btn")
    expect(own_heart.locator(".like-count")).to_have_text("1")

    # 8. A visitor's landing page: the Popular feed, the liked image first.
    visitor = open_page(stack.url)
    visitor.goto("/")
    expect(visitor.get_by_role("heading", name="Popular", exact=True)).to_be_visible()
    expect(tiles(visitor)).to_have_count(IMAGES)
    expect(tiles(visitor).first).to_have_attribute("href", image_path)
    wait_for_images(visitor, at_least=IMAGES)
    assert images_loaded(visitor, "main figure img") == IMAGES
    leaks += template_leaks(visitor)
    screenshot(visitor, "home-visitor", full_page=True)

    if leaks:
        shown = "\n".join(dict.fromkeys(leaks))
        pytest.fail(f"Django template syntax shown to the user:\n{shown}", pytrace=False)
