"""The pages over the feeds: the home page (a landing page for visitors), Explore,
My images, and /feed/, the partial that infinite scroll and other pages load."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from gallery import likes
from gallery.models import Subscription, Topic

from .bulk import add_images, ids

HOME = "/"
EXPLORE = "/explore/"
FEED = "/feed/"
MINE = "/me/images/"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def cats(owner):
    return Topic.objects.create(slug="cats", name="Cats & <b>kittens</b>", owner=owner)


def tile_ids(html) -> list[int]:
    return [int(i) for i in re.findall(r'<a href="/images/(\d+)/" class="tile-link"', html)]


def sentinel(html):
    match = re.search(
        r'<div class="feed-more" hx-get="([^"]+)" hx-trigger="revealed" '
        r'hx-swap="outerHTML">',
        html,
    )
    return match and match.group(1).replace("&amp;", "&")


def scroll(client, url) -> list[int]:
    """Every tile from ``url`` on, following the sentinels as htmx would."""
    seen = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        seen += tile_ids(response.text)
        url = sentinel(response.text)
    return seen


# ---- URLs --------------------------------------------------------------------


def test_the_feed_pages_have_their_names():
    assert reverse("home") == HOME
    assert reverse("gallery:explore") == EXPLORE
    assert reverse("gallery:feed_page") == FEED
    assert reverse("gallery:mine") == MINE


# ---- Home --------------------------------------------------------------------


def test_a_visitor_lands_on_a_hero_and_the_popular_feed(client, owner, other):
    quiet, liked = add_images(owner, 2)
    add_images(owner, 1, visibility="private")
    likes.like(other, liked)
    html = client.get(HOME).text
    assert 'class="hero' in html and reverse("account_signup") in html
    assert tile_ids(html) == [liked.pk, quiet.pk]
    assert 'class="nav feed-tabs"' not in html


def test_a_visitor_scrolls_the_whole_popular_feed(client, owner):
    images = add_images(owner, 30)
    assert scroll(client, HOME) == ids(reversed(images))


def test_a_visitor_cannot_switch_the_home_page_to_a_personal_feed(client, owner):
    add_images(owner, 1)
    response = client.get(HOME, {"feed": "liked"})
    assert response.status_code == 200 and len(tile_ids(response.text)) == 1


def test_a_person_logged_in_gets_recent_and_subscribed_tabs(other_client, owner, other, cats):
    mine = add_images(owner, 2, topic=cats)
    elsewhere = add_images(owner, 1)
    html = other_client.get(HOME).text
    assert 'class="nav feed-tabs"' in html and "Subscribed" in html and "hero" not in html
    assert tile_ids(html) == ids(reversed(mine + elsewhere))
    assert tile_ids(other_client.get(HOME, {"feed": "subscribed"}).text) == []
    Subscription.objects.create(user=other, topic=cats)
    assert tile_ids(other_client.get(HOME, {"feed": "subscribed"}).text) == ids(reversed(mine))


def test_the_home_page_has_an_empty_state(client, db):
    html = client.get(HOME).text
    assert 'class="empty-state"' in html and "Nothing popular yet" in html


# ---- Explore -----------------------------------------------------------------


def test_explore_has_feed_tabs_a_search_box_and_the_grid(client, owner):
    add_images(owner, 2)
    html = client.get(EXPLORE).text
    assert 'class="nav feed-tabs"' in html
    for feed in ("recent", "popular", "subscribed", "liked"):
        assert f"?feed={feed}" in html
    assert 'type="search" name="q"' in html
    assert 'class="masonry"' in html and len(tile_ids(html)) == 2


def test_popular_offers_its_time_windows(client, owner):
    add_images(owner, 1)
    html = client.get(EXPLORE, {"feed": "popular"}).text
    for window in ("day", "week", "all"):
        assert f"window={window}" in html or window == "all"
    assert "This week" in html and "Today" in html


def test_explore_searches_within_the_chosen_feed_and_topic(client, owner, cats):
    wanted = add_images(owner, 2, prompt="a sleeping owl", topic=cats)
    add_images(owner, 2, prompt="a sleeping dog", topic=cats)
    add_images(owner, 2, prompt="a sleeping owl")
    html = client.get(EXPLORE, {"q": "owl", "topic": "cats"}).text
    assert tile_ids(html) == ids(reversed(wanted))
    assert "Cats &amp; &lt;b&gt;kittens&lt;/b&gt;" in html
    assert 'value="owl"' in html and 'name="topic" value="cats"' in html


def test_a_search_that_finds_nothing_says_so(client, owner):
    add_images(owner, 1, prompt="a red fox")
    html = client.get(EXPLORE, {"q": "<i>zebra</i>"}).text
    assert "Nothing matches “&lt;i&gt;zebra&lt;/i&gt;”" in html


def test_explore_by_a_person_links_to_their_page(client, owner):
    add_images(owner, 1)
    html = client.get(EXPLORE, {"user": "owner"}).text
    assert f'Images by <a href="{reverse("gallery:profile", args=["owner"])}">owner</a>' in html


@pytest.mark.parametrize("user", ["a/b", "nobody", "x" * 300])
def test_explore_by_someone_who_does_not_exist_says_so(client, owner, user):
    add_images(owner, 1)
    response = client.get(EXPLORE, {"user": user})
    assert response.status_code == 200
    assert "No one here is called" in response.text and tile_ids(response.text) == []


@pytest.mark.parametrize("feed", ["subscribed", "liked"])
def test_a_visitor_is_asked_to_log_in_for_personal_feeds(client, db, feed):
    response = client.get(EXPLORE, {"feed": feed})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(
    "feed, empty",
    [
        ("recent", "No public images yet."),
        ("popular", "Nothing popular yet."),
        ("subscribed", "Subscribe to topics"),
        ("liked", "Images you like are kept here."),
    ],
)
def test_every_feed_has_an_empty_state(other_client, feed, empty):
    html = other_client.get(EXPLORE, {"feed": feed}).text
    assert 'class="empty-state"' in html and empty in html


@pytest.mark.parametrize(
    "params", [{"feed": "nope"}, {"window": "year"}, {"cursor": "forged"}, {"q": "x" * 201}]
)
def test_explore_answers_bad_parameters_with_a_400(client, db, params):
    response = client.get(EXPLORE, params)
    assert response.status_code == 400
    assert 'class="alert' in response.text


def test_the_liked_feed_shows_what_i_liked(other_client, owner, other):
    a, b, c = add_images(owner, 3)
    likes.like(other, a)
    likes.like(other, c)
    html = other_client.get(EXPLORE, {"feed": "liked"}).text
    assert tile_ids(html) == [c.pk, a.pk]
    assert html.count("like-btn is-liked") == 2


# ---- /feed/ ------------------------------------------------------------------


def test_the_feed_partial_is_tiles_and_a_sentinel_only(client, owner):
    add_images(owner, 30)
    response = client.get(FEED, {"feed": "recent"})
    html = response.text
    assert response.status_code == 200 and "<html" not in html
    assert len(tile_ids(html)) == 24
    next_url = sentinel(html)
    assert next_url.startswith(FEED + "?") and "cursor=" in next_url


def test_infinite_scroll_has_no_duplicates_or_gaps_when_images_arrive(client, owner, other):
    images = add_images(owner, 60)
    seen, url = [], FEED
    while url:
        html = client.get(url).text
        seen += tile_ids(html)
        add_images(other, 5)
        url = sentinel(html)
    assert seen == ids(reversed(images))


def test_the_last_page_has_no_sentinel(client, owner):
    add_images(owner, 24)
    html = client.get(FEED).text
    assert len(tile_ids(html)) == 24 and sentinel(html) is None


def test_topic_and_profile_pages_can_embed_a_feed(client, owner, other, cats):
    in_cats = add_images(owner, 2, topic=cats)
    by_other = add_images(other, 2)
    add_images(owner, 1, topic=cats, visibility="private")
    assert scroll(client, f"{FEED}?topic=cats") == ids(reversed(in_cats))
    assert scroll(client, f"{FEED}?user=other") == ids(reversed(by_other))


def test_the_feed_partial_refuses_bad_parameters(client, other_client, db):
    assert client.get(FEED, {"feed": "liked"}).status_code == 403
    assert client.get(FEED, {"feed": "mine"}).status_code == 403
    assert client.get(FEED, {"feed": "nope"}).status_code == 400
    assert other_client.get(FEED, {"cursor": "nope"}).status_code == 400


def test_a_later_empty_page_shows_no_empty_state(client, owner):
    images = add_images(owner, 25)
    url = sentinel(client.get(FEED).text)
    images[0].delete()
    html = client.get(url).text
    assert tile_ids(html) == [] and "empty-state" not in html


# ---- My images ---------------------------------------------------------------


def test_my_images_shows_private_and_unlisted_ones_and_scrolls(owner_client, owner, other):
    mine = []
    for visibility in ("public", "private", "unlisted"):
        mine += add_images(owner, 10, visibility=visibility)
    add_images(other, 5, visibility="public")
    html = owner_client.get(MINE).text
    assert "Private" in html and "Unlisted" in html
    assert scroll(owner_client, MINE) == ids(reversed(mine))


def test_my_images_needs_a_login(client, db):
    response = client.get(MINE)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_my_images_has_an_empty_state(owner_client):
    html = owner_client.get(MINE).text
    assert 'class="empty-state"' in html and reverse("studio:generate") in html


def test_nobody_scrolls_someone_elses_images_through_mine(other_client, owner):
    add_images(owner, 3, visibility="private")
    assert scroll(other_client, f"{FEED}?feed=mine") == []


# ---- Tiles -------------------------------------------------------------------


def test_a_tile_keeps_its_aspect_ratio_and_has_a_placeholder(client, owner, make_image):
    image = make_image(owner, visibility="public", prompt="a harbour")
    html = client.get(EXPLORE).text
    assert f'src="/images/{image.pk}/thumb.webp" width="{image.thumb_width}"' in html
    assert f'height="{image.thumb_height}"' in html
    assert f'data-thumbhash="{image.thumbhash}"' in html
    assert 'loading="lazy"' in html


def test_a_tile_escapes_user_text(client, owner):
    add_images(owner, 1, title="<script>alert(1)</script>", prompt="<img src=x onerror=alert(1)>")
    html = client.get(EXPLORE).text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_tile_shows_the_owner_and_the_like_button(other_client, owner, other):
    liked, other_image = add_images(owner, 2)
    likes.like(other, liked)
    html = other_client.get(EXPLORE).text
    assert reverse("gallery:profile", args=["owner"]) in html
    assert html.count('class="like-form"') == 2 and html.count("like-btn is-liked") == 1
    assert reverse("gallery:unlike", args=[liked.pk]) in html
    assert reverse("gallery:like", args=[other_image.pk]) in html


@pytest.mark.parametrize("path", [HOME, EXPLORE, f"{EXPLORE}?feed=popular&q=a", MINE, FEED])
def test_feed_pages_carry_no_inline_scripts_or_styles(owner_client, owner, path):
    add_images(owner, 30)
    html = owner_client.get(path).text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " style=" not in html
    assert not re.search(r"\son[a-z]+=", html)
    assert "{#" not in html and "{%" not in html, "template syntax leaked into the page"


# ---- Cost --------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"feed": "recent"},
        {"feed": "popular", "window": "week"},
        {"feed": "subscribed"},
        {"feed": "liked"},
        {"feed": "recent", "topic": "cats", "q": "image"},
        {"feed": "recent", "user": "owner"},
    ],
)
def test_a_page_of_24_tiles_takes_at_most_8_queries(
    owner, other, cats, params, django_assert_max_num_queries
):
    images = add_images(owner, 40, topic=cats)
    Subscription.objects.create(user=other, topic=cats)
    for image in images[:30]:
        likes.like(other, image)
    client = Client()
    client.force_login(other)
    for path in (EXPLORE, FEED):
        with django_assert_max_num_queries(8):
            response = client.get(path, params)
        assert len(tile_ids(response.text)) == 24
        with django_assert_max_num_queries(8):
            client.get(sentinel(response.text))
    for path in (HOME, MINE):
        with django_assert_max_num_queries(8):
            client.get(path)


def test_a_visitors_landing_page_takes_at_most_4_queries(
    client, owner, django_assert_max_num_queries
):
    add_images(owner, 40)
    with django_assert_max_num_queries(4):
        response = client.get(HOME)
    assert len(tile_ids(response.text)) == 24
