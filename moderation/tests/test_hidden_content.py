"""Hidden content leaves every feed, search, count, card, page and API answer
at once, for everyone but its owner (who sees why) and staff; restored, it is
back exactly as it was, counts included."""

import pytest
from django.urls import reverse

from gallery import likes, topics
from gallery.comments import add
from gallery.models import Image
from gallery.profiles import public_person
from gallery.topics import topics_for_cards
from moderation import actions
from moderation.targets import any_target
from tests.fixtures import api_for, logged_in, make_user


@pytest.fixture
def world(owner, other, staff, make_image):
    """The owner's topic holds two public zebras; another person liked and
    commented on the first, which the owner answered."""
    topic = topics.create_topic(owner, name="Savanna")
    zebra = make_image(owner, visibility="public", prompt="a striped zebra", topic=topic)
    second = make_image(owner, visibility="public", prompt="a second zebra", topic=topic)
    likes.like(other, zebra)
    comment = add(other, zebra, "Lovely stripes")
    reply = add(owner, zebra, "Thanks")
    return {"topic": topic, "zebra": zebra, "second": second, "comment": comment, "reply": reply}


def api_ids(client, **params) -> list[int]:
    response = client.get("/api/v1/images/", params)
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def seen_by(user, world) -> dict:
    """Everything a person (None: a visitor) sees of the world."""
    api = api_for(user)
    zebra, topic = world["zebra"], world["topic"]
    counts = public_person("owner", with_counts=True).counts
    shown_topic = topics_for_cards(user or _visitor()).filter(pk=topic.pk).first()
    detail = api.get(f"/api/v1/images/{zebra.pk}/")
    comments = api.get(f"/api/v1/images/{world['second'].pk}/comments/")
    return {
        "recent": api_ids(api),
        "popular": api_ids(api, feed="popular"),
        "topic": api_ids(api, topic=topic.slug),
        "search": api_ids(api, q="striped"),
        "profile_counts": (counts.images, counts.likes_received),
        "topic_card": (shown_topic.image_count, shown_topic.latest_0) if shown_topic else None,
        "api_detail": detail.status_code,
        "counts": (detail.json().get("like_count"), detail.json().get("comment_count")),
        "comments_elsewhere": comments.status_code,
        "page": _page(user, f"/images/{zebra.pk}/"),
        "panel": _page(user, f"/images/{zebra.pk}/panel/"),
        "thumbnail": _page(user, f"/images/{zebra.pk}/thumb.webp"),
        "explore": f"/images/{zebra.pk}/thumb.webp" in _explore(user),
    }


def _visitor():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


def _page(user, url) -> int:
    client = logged_in(user) if user else _client()
    return client.get(url).status_code


def _client():
    from django.test import Client

    return Client()


def _explore(user) -> str:
    client = logged_in(user) if user else _client()
    return client.get(reverse("gallery:explore")).content.decode()


def hide(staff, kind, pk, reason="Off-topic"):
    return actions.apply(staff, "hide", any_target(kind, pk), reason)


def restore(staff, kind, pk):
    return actions.apply(staff, "restore", any_target(kind, pk))


@pytest.mark.parametrize("who", ["visitor", "other"])
def test_a_hidden_image_leaves_everything_at_once_and_comes_back_as_it_was(
    world, other, staff, who
):
    user = other if who == "other" else None
    zebra = world["zebra"]
    before = seen_by(user, world)
    assert zebra.pk in before["recent"] and zebra.pk in before["search"] and before["explore"]
    assert before["profile_counts"] == (2, 1) and before["topic_card"] == (2, world["second"].pk)

    hide(staff, "image", zebra.pk)

    hidden = seen_by(user, world)
    for feed in ("recent", "popular", "topic", "search"):
        assert zebra.pk not in hidden[feed], feed
    assert hidden["profile_counts"] == (1, 0)
    assert hidden["topic_card"] == (1, world["second"].pk)
    # As a private image: a 404, or for a visitor the login page.
    refused = 404 if user else 302
    assert hidden["api_detail"] == 404
    assert (hidden["page"], hidden["panel"], hidden["thumbnail"]) == (refused, 404, refused)
    assert not hidden["explore"]

    restore(staff, "image", zebra.pk)

    assert seen_by(user, world) == before
    row = Image.objects.get(pk=zebra.pk)
    assert (row.like_count, row.comment_count, row.visibility) == (1, 2, "public")


def test_the_owner_sees_their_hidden_image_marked_with_the_reason(world, owner, staff):
    zebra = world["zebra"]
    hide(staff, "image", zebra.pk, reason="Please credit the photographer")

    page = logged_in(owner).get(f"/images/{zebra.pk}/")
    assert page.status_code == 200
    assert "Hidden by the moderators: Please credit the photographer" in page.content.decode()
    body = api_for(owner).get(f"/api/v1/images/{zebra.pk}/").json()
    assert body["hidden"] is True and body["hidden_reason"] == "Please credit the photographer"
    mine = logged_in(owner).get("/me/images/").content.decode()
    assert f"/images/{zebra.pk}/thumb.webp" in mine and "Hidden by moderators" in mine
    assert zebra.pk not in api_ids(api_for(owner))  # not in public feeds, even for the owner


def test_staff_still_open_a_hidden_image(world, staff):
    hide(staff, "image", world["zebra"].pk)
    assert _page(staff, f"/images/{world['zebra'].pk}/") == 200
    assert api_for(staff).get(f"/api/v1/images/{world['zebra'].pk}/").json()["hidden"] is True


def test_a_hidden_comment_leaves_the_count_and_the_thread_and_comes_back(
    world, owner, other, staff
):
    zebra, comment = world["zebra"], world["comment"]
    third = make_user("third")

    def thread(user):
        return [
            c["id"]
            for c in api_for(user).get(f"/api/v1/images/{zebra.pk}/comments/").json()["results"]
        ]

    hide(staff, "comment", comment.pk, reason="Rude")

    assert Image.objects.get(pk=zebra.pk).comment_count == 1
    assert thread(third) == [world["reply"].pk] == thread(None)
    assert api_for(third).get(f"/api/v1/comments/{comment.pk}/").status_code == 404
    assert comment.pk in thread(other)  # its author sees it, marked on the page
    page = logged_in(other).get(f"/images/{zebra.pk}/").content.decode()
    assert "Hidden by the moderators: Rude" in page
    assert "Lovely stripes" not in logged_in(third).get(f"/images/{zebra.pk}/").content.decode()

    restore(staff, "comment", comment.pk)

    assert Image.objects.get(pk=zebra.pk).comment_count == 2
    assert thread(third) == [comment.pk, world["reply"].pk]


def test_deleting_a_hidden_comment_keeps_the_count_exact(world, other, staff):
    zebra, comment = world["zebra"], world["comment"]
    hide(staff, "comment", comment.pk)
    assert api_for(other).delete(f"/api/v1/comments/{comment.pk}/").status_code == 204
    assert Image.objects.get(pk=zebra.pk).comment_count == 1


def test_hiding_twice_and_restoring_twice_change_the_count_once(world, staff):
    zebra, comment = world["zebra"], world["comment"]
    hide(staff, "comment", comment.pk)
    hide(staff, "comment", comment.pk)
    assert Image.objects.get(pk=zebra.pk).comment_count == 1
    restore(staff, "comment", comment.pk)
    restore(staff, "comment", comment.pk)
    assert Image.objects.get(pk=zebra.pk).comment_count == 2


def test_a_hidden_topic_leaves_lists_and_its_page_but_not_its_owners(world, owner, other, staff):
    topic = world["topic"]
    hide(staff, "topic", topic.pk, reason="Spam")

    assert _page(other, f"/topics/{topic.slug}/") == 404
    assert _page(None, f"/topics/{topic.slug}/") == 404
    slugs = [t["slug"] for t in api_for(other).get("/api/v1/topics/").json()["results"]]
    assert topic.slug not in slugs
    assert topic.slug not in logged_in(other).get("/topics/").content.decode()
    owners = logged_in(owner).get(f"/topics/{topic.slug}/")
    assert owners.status_code == 200 and "Hidden by the moderators: Spam" in owners.content.decode()

    restore(staff, "topic", topic.pk)

    assert _page(other, f"/topics/{topic.slug}/") == 200
    assert topic.slug in [
        t["slug"] for t in api_for(other).get("/api/v1/topics/").json()["results"]
    ]
