"""A suspended person's likes, follows and subscriptions leave every count
others see at once, and come back exactly when the suspension is lifted:
the image's ♥ on its page, in the feed and in the API, and a profile's or
topic's followers and subscribers."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gallery import follows, likes, topics
from gallery.counts import recount
from gallery.models import Image, Topic
from moderation import actions
from moderation.targets import any_target
from tests.fixtures import api_for, logged_in, make_user


@pytest.fixture
def liked(owner, other, make_image):
    """The other person's public image in their topic, liked by the owner
    (soon suspended) and by a third person; the owner and the third person
    follow the other person and subscribe to the topic."""
    topic = Topic.objects.create(owner=other, slug="sky", name="Sky")
    image = make_image(other, visibility="public", topic=topic)
    third = make_user("third")
    for person in (owner, third):
        likes.like(person, image)
        follows.follow(person, other)
        topics.subscribe(person, topic)
    return {"image": image, "topic": topic, "third": third}


def suspend(staff, person):
    return actions.apply(staff, "suspend", any_target("profile", person.pk), "Spam")


def unsuspend(staff, person):
    return actions.apply(staff, "unsuspend", any_target("profile", person.pk))


def seen_by(viewer, image, topic) -> dict:
    """Every count of the image, the other person and the topic, as a viewer sees them."""
    api = api_for(viewer)
    page = logged_in(viewer).get(f"/images/{image.pk}/").content.decode()
    feed = logged_in(viewer).get("/explore/").content.decode()
    tile = re.search(rf'data-lightbox="{image.pk}".*?class="like-count">(\d+)<', feed, re.S)
    profile = api.get("/api/v1/profiles/other/").json()
    profile_page = logged_in(viewer).get("/u/other/").content.decode()
    return {
        "page": int(re.search(r'class="like-count">(\d+)<', page).group(1)),
        "feed": int(tile.group(1)),
        "api": api.get(f"/api/v1/images/{image.pk}/").json()["like_count"],
        "api_list": next(
            i["like_count"]
            for i in api.get("/api/v1/images/").json()["results"]
            if i["id"] == image.pk
        ),
        "likes_received": profile["likes_received"],
        "followers": profile["follower_count"],
        "follow_counts": follows.follow_counts(image.owner),
        "subscribers": profile["subscriber_count"],
        "subscribers_page": int(
            re.search(r"<strong>(\d+)</strong> subscriber", profile_page).group(1)
        ),
        "topic": topics.topics_for(viewer).get(pk=topic.pk).subscriber_count,
        "topic_api": api.get(f"/api/v1/topics/{topic.slug}/").json()["subscriber_count"],
    }


def test_a_suspended_persons_likes_follows_and_subscriptions_leave_the_counts_and_come_back(
    owner, other, staff, liked
):
    image, topic, third = liked["image"], liked["topic"], liked["third"]
    before = seen_by(third, image, topic)
    assert before["page"] == before["feed"] == before["api"] == before["api_list"] == 2
    assert before["followers"] == 2 and before["subscribers"] == before["topic"] == 2
    stored = list(Image.objects.order_by("pk").values())

    suspend(staff, owner)

    during = seen_by(third, image, topic)
    assert during == {
        **before,
        "page": 1,
        "feed": 1,
        "api": 1,
        "api_list": 1,
        "likes_received": 1,
        "followers": 1,
        "follow_counts": (1, 0),
        "subscribers": 1,
        "subscribers_page": 1,
        "topic": 1,
        "topic_api": 1,
    }
    assert recount() and Image.objects.get(pk=image.pk).like_count == 1  # recount agrees

    unsuspend(staff, owner)

    assert seen_by(third, image, topic) == before
    assert list(Image.objects.order_by("pk").values()) == stored


def test_suspending_twice_or_lifting_twice_moves_the_counts_once(owner, staff, liked):
    image = liked["image"]
    suspend(staff, owner)
    suspend(staff, owner)
    assert Image.objects.get(pk=image.pk).like_count == 1
    unsuspend(staff, owner)
    unsuspend(staff, owner)
    assert Image.objects.get(pk=image.pk).like_count == 2


def test_the_suspended_persons_likes_of_their_own_images_leave_too(owner, staff, make_image):
    mine = make_image(owner, visibility="public")
    likes.like(owner, mine)
    suspend(staff, owner)
    assert Image.objects.get(pk=mine.pk).like_count == 0
    unsuspend(staff, owner)
    assert Image.objects.get(pk=mine.pk).like_count == 1


def test_deleting_a_suspended_person_lowers_no_count_again(owner, staff, liked):
    image = liked["image"]
    suspend(staff, owner)
    owner.delete()
    assert Image.objects.get(pk=image.pk).like_count == 1
    assert recount() and Image.objects.get(pk=image.pk).like_count == 1


def test_a_suspension_costs_the_same_queries_for_two_likes_or_forty(staff, make_image):
    def queries_to_suspend(name, n_likes):
        person = make_user(name)
        author = make_user(f"{name}-author")
        for _ in range(n_likes):
            likes.like(person, make_image(author, visibility="public"))
        with CaptureQueriesContext(connection) as queries:
            suspend(staff, person)
        return len(queries)

    assert queries_to_suspend("few", 2) == queries_to_suspend("many", 40)


def test_a_like_through_a_session_still_open_is_refused_and_counts_nothing(
    owner, other, staff, make_image
):
    image = make_image(other, visibility="public")
    client = logged_in(owner)
    suspend(staff, owner)

    response = client.post(f"/images/{image.pk}/like/")

    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert Image.objects.get(pk=image.pk).like_count == 0


def test_a_like_through_a_token_is_refused_and_counts_nothing(owner, other, staff, make_image):
    image = make_image(other, visibility="public")
    api = api_for(owner)
    suspend(staff, owner)

    response = api.post(f"/api/v1/images/{image.pk}/like/")

    assert response.status_code == 401 and "suspended" in response.json()["detail"]
    assert Image.objects.get(pk=image.pk).like_count == 0


def test_a_like_or_unlike_that_finds_its_person_suspended_changes_nothing(
    owner, other, staff, liked
):
    """What a request that passed authentication just before the suspension meets."""
    image = liked["image"]
    suspend(staff, owner)
    assert likes.like(owner, liked["image"]) is False
    assert likes.unlike(owner, image) is False
    unsuspend(staff, owner)
    assert Image.objects.get(pk=image.pk).like_count == 2
    assert likes.is_liked(owner, image)
