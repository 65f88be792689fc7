"""The feeds (gallery/feeds.py): the right images, in the right order, a page
at a time; never a private or unlisted image that is not the viewer's own."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils import timezone

from gallery import feeds, likes
from gallery.feeds import (
    FEEDS,
    FeedError,
    FeedRequest,
    LoginRequired,
    images_for,
    load_page,
    parse_request,
)
from gallery.models import Image, Subscription, Topic
from tests.fixtures import make_user

from .bulk import add_images, ids

ANONYMOUS = AnonymousUser()


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def all_pages(viewer, size=3, between_pages=None, **params):
    request = FeedRequest(**params)
    seen = []
    while True:
        page = load_page(viewer, request, size=size)
        seen += ids(page.items)
        if not page.next_request:
            return seen
        if between_pages:
            between_pages()
        request = page.next_request


@pytest.fixture
def cats(owner):
    return Topic.objects.create(slug="cats", name="Cats", owner=owner)


@pytest.fixture
def dogs(owner):
    return Topic.objects.create(slug="dogs", name="Dogs", owner=owner)


@pytest.fixture
def mixed(owner, other):
    """Public, unlisted and private images of two people, interleaved."""
    made = {}
    for visibility in ("public", "unlisted", "private"):
        made[("owner", visibility)] = add_images(owner, 2, visibility=visibility)
        made[("other", visibility)] = add_images(other, 2, visibility=visibility)
    return made


# ---- Recent ------------------------------------------------------------------


def test_recent_shows_public_images_newest_first_across_pages(owner):
    images = add_images(owner, 8)
    assert all_pages(ANONYMOUS, feed="recent") == ids(reversed(images))


def test_recent_has_no_duplicates_or_gaps_when_images_arrive_between_pages(owner, other):
    images = add_images(owner, 10)
    seen = all_pages(other, between_pages=lambda: add_images(other, 3), feed="recent")
    assert seen == ids(reversed(images))


@pytest.mark.parametrize("viewer", ["anonymous", "owner", "other", "staff"])
@pytest.mark.parametrize("feed", ["recent", "popular"])
def test_public_feeds_never_show_private_or_unlisted_images_to_anyone(
    request, mixed, staff, viewer, feed
):
    person = ANONYMOUS if viewer == "anonymous" else request.getfixturevalue(viewer)
    public = ids(mixed[("owner", "public")] + mixed[("other", "public")])
    assert sorted(all_pages(person, feed=feed)) == sorted(public)


# ---- Popular -----------------------------------------------------------------


def test_popular_orders_by_likes_then_newest(owner, other, staff):
    a, b, c, d = add_images(owner, 4)
    for liker in (owner, other, staff):
        likes.like(liker, b)
    for liker in (owner, other):
        likes.like(liker, d)
    likes.like(owner, a)
    assert all_pages(ANONYMOUS, size=2, feed="popular") == [b.pk, d.pk, a.pk, c.pk]


@pytest.mark.parametrize(
    "window, expected",
    [("day", ["fresh"]), ("week", ["fresh", "days"]), ("all", ["old", "fresh", "days"])],
)
def test_popular_windows_go_by_when_the_image_was_made(owner, other, window, expected):
    made = {
        "fresh": add_images(owner, 1, minutes_ago=60)[0],
        "days": add_images(owner, 1, minutes_ago=60 * 24 * 3)[0],
        "old": add_images(owner, 1, minutes_ago=60 * 24 * 30)[0],
    }
    likes.like(other, made["old"])
    likes.like(owner, made["old"])
    likes.like(other, made["fresh"])
    seen = all_pages(ANONYMOUS, feed="popular", window=window)
    assert seen == [made[name].pk for name in expected]


def test_a_popular_cursor_is_stable_when_unliked_images_arrive(owner, other):
    images = add_images(owner, 7)
    for image in images[:4]:
        likes.like(other, image)
    seen = all_pages(ANONYMOUS, size=2, between_pages=lambda: add_images(other, 2), feed="popular")
    assert set(ids(images)) <= set(seen) and len(set(seen)) == len(seen)


# ---- Subscribed --------------------------------------------------------------


def test_subscribed_shows_public_images_of_subscribed_topics_only(owner, other, cats, dogs):
    in_cats = add_images(owner, 3, topic=cats)
    add_images(owner, 2, topic=dogs)
    add_images(owner, 2)
    add_images(owner, 1, topic=cats, visibility="private")
    add_images(owner, 1, topic=cats, visibility="unlisted")
    Subscription.objects.create(user=other, topic=cats)
    assert all_pages(other, size=2, feed="subscribed") == ids(reversed(in_cats))


def test_subscribed_is_the_same_however_many_images_the_topics_hold(
    owner, other, cats, dogs, monkeypatch
):
    in_topics = add_images(owner, 5, topic=cats) + add_images(owner, 4, topic=dogs)
    add_images(owner, 6)
    add_images(owner, 2, topic=cats, visibility="private")
    Subscription.objects.create(user=other, topic=cats)
    Subscription.objects.create(user=other, topic=dogs)
    expected = ids(reversed(in_topics))
    assert all_pages(other, size=2, feed="subscribed") == expected
    monkeypatch.setattr(feeds, "FEW_SUBSCRIBED_IMAGES", 3)
    assert all_pages(other, size=2, feed="subscribed") == expected


def test_subscribed_is_empty_without_subscriptions(owner, other, cats):
    add_images(owner, 3, topic=cats)
    assert all_pages(other, feed="subscribed") == []


@pytest.mark.parametrize("feed", ["subscribed", "liked", "mine"])
def test_personal_feeds_need_a_login(db, feed):
    with pytest.raises(LoginRequired):
        load_page(ANONYMOUS, FeedRequest(feed=feed))


# ---- Liked -------------------------------------------------------------------


def test_liked_lists_what_the_viewer_liked_last_liked_first(owner, other):
    a, b, c, d = add_images(owner, 4)
    for image in (c, a, d):
        likes.like(other, image)
    likes.like(owner, b)
    seen = all_pages(other, size=2, feed="liked")
    assert seen == [d.pk, a.pk, c.pk]


def test_liked_has_no_duplicates_or_gaps_when_likes_arrive_between_pages(owner, other):
    images = add_images(owner, 12)
    for image in images[:7]:
        likes.like(other, image)
    later = iter(images[7:])
    seen = all_pages(
        other, size=2, between_pages=lambda: likes.like(other, next(later)), feed="liked"
    )
    assert seen == ids(reversed(images[:7]))


def test_liked_marks_every_image_liked(owner, other):
    images = add_images(owner, 3)
    for image in images:
        likes.like(other, image)
    page = load_page(other, FeedRequest(feed="liked"))
    assert all(image.liked for image in page.items) and page.liked_ids == set(ids(images))


def test_an_image_made_private_after_a_like_leaves_the_liked_feed(owner, other):
    kept, hidden = add_images(owner, 2)
    likes.like(other, kept)
    likes.like(other, hidden)
    Image.objects.filter(pk=hidden.pk).update(visibility="private")
    assert all_pages(other, feed="liked") == [kept.pk]


def test_the_owner_still_finds_their_own_private_liked_image(owner):
    [image] = add_images(owner, 1, visibility="private")
    likes.like(owner, image)
    assert all_pages(owner, feed="liked") == [image.pk]


def test_liked_is_each_persons_own(owner, other):
    image, _ = add_images(owner, 2)
    likes.like(owner, image)
    assert all_pages(other, feed="liked") == []


# ---- Topic, user, mine -------------------------------------------------------


@pytest.mark.parametrize("feed", ["recent", "popular"])
def test_a_topic_filter_keeps_that_topics_public_images(owner, cats, dogs, feed):
    in_cats = add_images(owner, 4, topic=cats)
    add_images(owner, 2, topic=dogs)
    add_images(owner, 1, topic=cats, visibility="private")
    seen = all_pages(ANONYMOUS, feed=feed, topic="cats")
    assert seen == ids(reversed(in_cats))


def test_an_unknown_topic_or_user_is_an_empty_feed(owner):
    add_images(owner, 2)
    assert all_pages(ANONYMOUS, topic="nope") == []
    assert all_pages(ANONYMOUS, user="nobody") == []


@pytest.mark.parametrize("viewer", ["anonymous", "owner", "other", "staff"])
def test_a_user_filter_shows_only_their_public_images_even_to_them(request, mixed, staff, viewer):
    person = ANONYMOUS if viewer == "anonymous" else request.getfixturevalue(viewer)
    seen = all_pages(person, user="owner")
    assert seen == ids(reversed(mixed[("owner", "public")]))


def test_mine_shows_all_the_owners_images_private_and_unlisted_included(mixed, owner):
    expected = (
        mixed[("owner", "public")] + mixed[("owner", "unlisted")] + mixed[("owner", "private")]
    )
    assert all_pages(owner, size=4, feed="mine") == ids(reversed(expected))


def test_mine_is_only_ever_the_viewers_own(mixed, other, staff):
    assert all_pages(staff, feed="mine") == []


def test_filters_combine(owner, other, cats):
    wanted = add_images(owner, 2, topic=cats, prompt="a red fox")
    add_images(owner, 2, topic=cats, prompt="a blue whale")
    add_images(other, 2, topic=cats, prompt="a red fox")
    add_images(owner, 2, prompt="a red fox")
    seen = all_pages(ANONYMOUS, topic="cats", user="owner", q="fox")
    assert seen == ids(reversed(wanted))


def test_a_search_no_word_of_which_can_match_is_an_empty_feed(owner):
    add_images(owner, 2, prompt="a fox")
    for feed in ("recent", "popular"):
        page = load_page(owner, FeedRequest(feed=feed, q="?!…"))
        assert (page.items, page.next_cursor) == ([], None)


# ---- Page details ------------------------------------------------------------


def test_each_image_of_a_page_carries_its_own_owner_and_topic(owner, other, cats, dogs):
    owner.profile.display_name = "Owner Person"
    owner.profile.save()
    made = {
        "a": add_images(owner, 1, topic=cats)[0],
        "b": add_images(other, 1, topic=dogs)[0],
        "c": add_images(other, 1)[0],
    }
    page = load_page(ANONYMOUS, FeedRequest())
    seen = {
        image.pk: (image.owner.username, image.owner.name, image.topic and image.topic.slug)
        for image in page.items
    }
    assert seen == {
        made["a"].pk: ("owner", "Owner Person", "cats"),
        made["b"].pk: ("other", "other", "dogs"),
        made["c"].pk: ("other", "other", None),
    }


def test_a_page_marks_the_images_the_viewer_liked(owner, other):
    a, b, c = add_images(owner, 3)
    likes.like(other, b)
    page = load_page(other, FeedRequest())
    assert {image.pk: image.liked for image in page.items} == {a.pk: False, b.pk: True, c.pk: False}
    assert not any(image.liked for image in load_page(ANONYMOUS, FeedRequest()).items)


def test_a_page_takes_a_few_queries_whatever_its_size(
    owner, other, cats, django_assert_max_num_queries
):
    """The page with the viewer's likes among it, in two queries (its ids,
    then its rows); on SQLite a search (or the Subscribed feed) first counts
    its matches; a later page ordered by a count may read its rows in two
    index seeks. The viewer's NSFW preference is read once a request (a
    request's user), by every feed but their own images."""
    add_images(owner, 30, topic=cats)
    add_images(other, 30)
    Subscription.objects.create(user=owner, topic=cats)
    for image in add_images(other, 30, topic=cats):
        likes.like(owner, image)
    for name in ("recent", "popular", "subscribed", "liked", "mine"):
        # On SQLite, Subscribed first counts its images (see feeds.subscribed).
        extra = name == "subscribed" and connection.vendor != "postgresql"
        preference = name != "mine"
        for q in ("", "image"):
            viewer = get_user_model().objects.get(pk=owner.pk)  # as a new request's
            with django_assert_max_num_queries(2 + bool(q) + extra + preference):
                page = load_page(viewer, FeedRequest(feed=name, topic="cats", q=q))
                [(image.owner.name, image.topic and image.topic.name) for image in page.items]
            assert len(page.items) == 24, name
            with django_assert_max_num_queries(4 + bool(q) + extra):
                page = load_page(viewer, page.next_request)
                [(image.owner.name, image.topic and image.topic.name) for image in page.items]


def test_a_cursor_from_another_feed_is_refused(owner):
    add_images(owner, 5)
    page = load_page(ANONYMOUS, FeedRequest(feed="recent"), size=2)
    with pytest.raises(FeedError) as refused:
        load_page(ANONYMOUS, FeedRequest(feed="popular", cursor=page.next_cursor), size=2)
    assert refused.value.field == "cursor"


@pytest.mark.parametrize(
    "params, field",
    [
        ({"feed": "nope"}, "feed"),
        ({"feed": "mine"}, "feed"),
        ({"window": "year"}, "window"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_bad_parameters_are_named(params, field):
    with pytest.raises(FeedError) as refused:
        parse_request(params)
    assert refused.value.field == field


def test_parameters_default_to_the_recent_feed_over_all_time():
    assert parse_request({}) == FeedRequest(feed="recent", window="all")


def test_a_request_round_trips_through_its_query_parameters():
    request = FeedRequest(feed="popular", window="week", topic="cats", user="ann", q="red fox")
    assert parse_request(request.params()) == request
    assert FeedRequest().params() == {"feed": "recent"}


def test_every_feed_is_registered_with_an_ordering_ending_in_a_unique_key():
    for feed in FEEDS.values():
        assert feed.ordering[-1] in ("-id", "-like_id", "-popular_id"), feed.name


def test_the_window_filter_uses_the_creation_time(owner):
    [image] = add_images(owner, 1, minutes_ago=60 * 24 * 2)
    assert not images_for(ANONYMOUS, FeedRequest(window="day")).exists()
    Image.objects.filter(pk=image.pk).update(created=timezone.now() - timedelta(hours=1))
    assert images_for(ANONYMOUS, FeedRequest(window="day")).get() == image


def test_a_deleted_owner_takes_their_images_out_of_every_feed(owner, other):
    add_images(owner, 2)
    kept = add_images(other, 1)
    make_user("third")
    owner.delete()
    assert all_pages(ANONYMOUS) == ids(kept)
