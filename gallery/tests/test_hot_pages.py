"""The visitors' first page of Popular (home, Explore, /feed/) served from the
cache: fresh right after a public image appears, changes or goes, likes
within ATELIER_HOT_PAGE_SECONDS, never for a logged-in person, counted in the
metrics.

The database is transactional here: the cache's version is bumped when a
change commits, as in production."""

import re

import pytest
from django.test import Client
from prometheus_client import REGISTRY

from gallery import likes
from gallery.editing import edit_image
from gallery.storing import delete_image
from tests.fixtures import logged_in
from tests.stack import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

HOME = "/"
POPULAR = "/explore/?feed=popular"
POPULAR_PARTIAL = "/feed/?feed=popular"
LOGIN = "/accounts/login/"


@pytest.fixture(params=["files", "redis"])
def hot_cache(request, settings):
    """The cache as deployed: files (the default), or Redis when CACHE_URL is
    set (skipped, saying why, where no Redis answers)."""
    settings.ATELIER_HOT_PAGE_SECONDS = 300  # long: only a bump refreshes a page here
    if request.param == "redis":
        from tests.stack import RedisDatabase

        redis_database = RedisDatabase()
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_database.url,
            }
        }
        request.addfinalizer(redis_database.release)
    return request.param


def counted(feed: str, result: str) -> float:
    labels = {"feed": feed, "result": result}
    return REGISTRY.get_sample_value("atelier_hot_pages_total", labels) or 0.0


def tile_ids(html) -> list[int]:
    return [int(i) for i in re.findall(r'<a href="/images/(\d+)/" class="tile-link"', html)]


def without_token(html) -> str:
    return re.sub(r'<meta name="csrf-token" content="[^"]*">', "", html)


def like_count(html, image) -> int:
    tile = html[html.index(f'<a href="/images/{image.pk}/" class="tile-link"') :]
    return int(re.search(r'<span class="like-count">(\d+)</span>', tile).group(1))


def test_a_visitor_gets_the_second_view_from_the_cache(hot_cache, owner, make_image):
    image = make_image(owner, visibility="public")
    visitor = Client()
    for feed, url in (("home", HOME), ("explore", POPULAR), ("feed_page", POPULAR_PARTIAL)):
        hits, misses = counted(feed, "hit"), counted(feed, "miss")
        first, second = visitor.get(url), visitor.get(url)
        assert first.status_code == second.status_code == 200
        assert without_token(second.text) == without_token(first.text)
        assert tile_ids(second.text) == [image.pk]
        assert "Cookie" in second["Vary"]
        assert second["Content-Type"].startswith("text/html")
        assert (counted(feed, "miss"), counted(feed, "hit")) == (misses + 1, hits + 1)


def test_a_visitor_on_a_cached_page_gets_a_csrf_token_of_their_own(hot_cache, owner):
    Client().get(HOME)  # now in the cache
    visitor = Client(enforce_csrf_checks=True)
    hits = counted("home", "hit")
    page = visitor.get(HOME)
    assert counted("home", "hit") == hits + 1
    assert "csrftoken" in page.cookies
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text).group(1)
    refused = visitor.post(LOGIN, {"login": "owner", "password": "wrong"})
    assert refused.status_code == 403  # without the token: CSRF refusal
    answer = visitor.post(
        LOGIN, {"login": "owner", "password": "wrong"}, headers={"X-CSRFToken": token}
    )
    assert answer.status_code == 200  # the form's own error: the token was accepted
    assert "not correct" in answer.text or "incorrect" in answer.text.lower()


def test_a_new_public_image_shows_at_once(hot_cache, owner, make_image):
    first = make_image(owner, visibility="public")
    visitor = Client()
    assert tile_ids(visitor.get(HOME).text) == [first.pk]
    assert tile_ids(visitor.get(HOME).text) == [first.pk]  # cached
    make_image(owner, visibility="private")  # changes nothing a visitor sees
    hits = counted("home", "hit")
    assert tile_ids(visitor.get(HOME).text) == [first.pk]
    assert counted("home", "hit") == hits + 1
    second = make_image(owner, visibility="public")
    assert set(tile_ids(visitor.get(HOME).text)) == {first.pk, second.pk}


def test_a_like_shows_once_the_page_expires(hot_cache, settings, owner, other, make_image):
    """Likes do not refresh the visitors' page (too many of them, see
    gallery/hot_pages.py): the count shows once ATELIER_HOT_PAGE_SECONDS pass."""
    image = make_image(owner, visibility="public")
    visitor = Client()
    assert like_count(visitor.get(POPULAR).text, image) == 0
    likes.like(other, image)
    hits = counted("explore", "hit")
    assert like_count(visitor.get(POPULAR).text, image) == 0  # still the cached page
    assert counted("explore", "hit") == hits + 1
    settings.ATELIER_HOT_PAGE_SECONDS = 1  # pages cached from now on live 1 s
    edit_image(image, title="Now with a title")  # a change that refreshes the page
    page = visitor.get(POPULAR).text
    assert like_count(page, image) == 1 and "Now with a title" in page
    likes.unlike(other, image)
    wait_for(
        lambda: like_count(visitor.get(POPULAR).text, image) == 0,
        timeout=30,
        what="the unlike on the visitor's page",
    )


def test_unpublished_and_deleted_images_leave_at_once(hot_cache, owner, make_image):
    hidden, deleted, kept = (make_image(owner, visibility="public") for _ in range(3))
    visitor = Client()
    assert set(tile_ids(visitor.get(POPULAR_PARTIAL).text)) == {hidden.pk, deleted.pk, kept.pk}
    edit_image(hidden, visibility="private")
    assert set(tile_ids(visitor.get(POPULAR_PARTIAL).text)) == {deleted.pk, kept.pk}
    delete_image(deleted)
    assert tile_ids(visitor.get(POPULAR_PARTIAL).text) == [kept.pk]


def test_a_logged_in_person_never_gets_a_cached_page(hot_cache, owner, other, make_image):
    image = make_image(owner, visibility="public")
    Client().get(HOME)  # a visitor's page is in the cache
    Client().get(POPULAR)
    person = logged_in(other)
    before = {(f, r): counted(f, r) for f in ("home", "explore") for r in ("hit", "miss")}
    likes.like(other, image)
    home = person.get(HOME)
    popular = person.get(POPULAR)
    assert "csrfmiddlewaretoken" in popular.text  # the like button is a form of theirs
    assert 'aria-pressed="true"' in popular.text  # they see their own like
    assert "is-liked" in home.text  # their Recent feed, with their like
    after = {(f, r): counted(f, r) for f in ("home", "explore") for r in ("hit", "miss")}
    assert after == before


def test_only_the_unfiltered_first_page_is_cached(hot_cache, owner, make_image):
    make_image(owner, visibility="public")
    misses = counted("explore", "miss") + counted("explore", "hit")
    visitor = Client()
    for url in (
        "/explore/",  # Recent
        "/explore/?feed=popular&q=red",
        "/explore/?feed=popular&user=owner",
        "/explore/?feed=popular&cursor=abc",
    ):
        visitor.get(url)
    assert counted("explore", "miss") + counted("explore", "hit") == misses
    visitor.get("/explore/?feed=popular&window=week")
    assert counted("explore", "miss") + counted("explore", "hit") == misses + 1


def test_zero_seconds_turns_the_cache_off(settings, owner, make_image):
    settings.ATELIER_HOT_PAGE_SECONDS = 0
    make_image(owner, visibility="public")
    before = counted("home", "hit") + counted("home", "miss")
    Client().get(HOME)
    Client().get(HOME)
    assert counted("home", "hit") + counted("home", "miss") == before


def test_a_cache_that_is_down_still_serves_the_page(settings, owner, make_image):
    from django.test import override_settings

    from tests.stack import free_port

    settings.ATELIER_HOT_PAGE_SECONDS = 10
    image = make_image(owner, visibility="public")
    down = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
        }
    }
    with override_settings(CACHES=down):
        page = Client().get(HOME)
    assert page.status_code == 200
    assert tile_ids(page.text) == [image.pk]
