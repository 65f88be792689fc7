"""Topics and subscriptions over the API: the owner, another person, staff and
an anonymous caller side by side; bad input is a 400 that changes nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from gallery.models import Subscription, Topic
from gallery.topics import create_topic
from tests.fixtures import api_for, make_user, picture, png_bytes, served, stored_files


@pytest.fixture
def owner_api(owner):
    return api_for(owner)


@pytest.fixture
def other_api(other):
    return api_for(other)


@pytest.fixture
def staff_api(staff):
    return api_for(staff)


@pytest.fixture
def topic(owner):
    return create_topic(owner, name="Lighthouses", description="Towers of light.")


def test_listing_and_reading_topics_takes_a_few_queries_however_many_owners(
    other_api, django_assert_max_num_queries
):
    for number in range(30):
        create_topic(make_user(f"maker{number}"), name=f"Topic {number}")
    # Token, anyone suspended (gallery.counts), topics with owners and counts.
    with django_assert_max_num_queries(4):
        listed = other_api.get("/api/v1/topics/")
    with django_assert_max_num_queries(4):
        one = other_api.get("/api/v1/topics/topic-7/")
    assert listed.status_code == 200 and one.status_code == 200
    assert len({item["owner"] for item in listed.json()["results"]}) > 1
    assert one.json()["owner"] == "maker7"


# ---- Creating ---------------------------------------------------------------


def test_it_creates_a_topic(owner_api):
    response = owner_api.post(
        "/api/v1/topics/", {"name": "Misty Harbours", "description": "Fog"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    created = body.pop("created")
    assert body == {
        "slug": "misty-harbours",
        "name": "Misty Harbours",
        "description": "Fog",
        "owner": "owner",
        "cover_url": None,
        "image_count": 0,
        "subscriber_count": 0,
        "subscribed": False,
        "url": "http://testserver/topics/misty-harbours/",
    }
    assert created.startswith(str(Topic.objects.get().created.year))


def test_a_name_whose_slug_is_taken_gets_a_suffix(owner_api, other_api, topic):
    response = other_api.post("/api/v1/topics/", {"name": "lighthouses"}, format="json")
    assert response.status_code == 201 and response.json()["slug"] == "lighthouses-2"


def test_a_chosen_slug_that_is_taken_is_a_400(other_api, topic):
    response = other_api.post(
        "/api/v1/topics/", {"name": "Mine", "slug": "lighthouses"}, format="json"
    )
    assert response.status_code == 400
    assert "already has this address" in response.json()["slug"][0]
    assert Topic.objects.count() == 1


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 10_000}, "name"),
        ({"name": 42}, "name"),
        ({"name": ["a"]}, "name"),
        ({"name": "ok", "description": "d" * 5001}, "description"),
        ({"name": "ok", "description": {"a": 1}}, "description"),
        ({"name": "ok", "slug": "no spaces"}, "slug"),
        ({"name": "ok", "slug": "new"}, "slug"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(owner_api, payload, field):
    response = owner_api.post("/api/v1/topics/", payload, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Topic.objects.exists()


def test_a_body_that_is_not_an_object_is_a_400(owner_api):
    assert owner_api.post("/api/v1/topics/", [1, 2], format="json").status_code == 400
    response = owner_api.post("/api/v1/topics/", "{nope", content_type="application/json")
    assert response.status_code == 400 and not Topic.objects.exists()


def test_a_cover_can_be_sent_as_multipart(owner_api):
    cover = SimpleUploadedFile("c.png", png_bytes(picture(320, 180)), content_type="image/png")
    response = owner_api.post("/api/v1/topics/", {"name": "Covered", "cover": cover})
    assert response.status_code == 201
    url = response.json()["cover_url"]
    assert url.startswith("http://testserver/topics/covered/cover.webp?v=")
    assert served(APIClient().get(url)).headers["Content-Type"] == "image/webp"


def test_a_cover_that_is_not_an_image_is_a_400_and_leaves_no_file(owner_api, isolated_storage):
    cover = SimpleUploadedFile("c.png", b"<?php echo 1; ?>", content_type="image/png")
    response = owner_api.post("/api/v1/topics/", {"name": "Covered", "cover": cover})
    assert response.status_code == 400 and "cover" in response.json()
    assert not Topic.objects.exists() and stored_files() == []


def test_a_cover_sent_as_text_in_a_form_is_a_400(owner_api):
    response = owner_api.post("/api/v1/topics/", {"name": "Covered", "cover": "cover.png"})
    assert response.status_code == 400 and "cover" in response.json()
    assert not Topic.objects.exists()


def test_a_cover_in_json_is_an_unknown_key_and_ignored(owner_api):
    body = {"name": "Plain", "cover": "http://example.com/c.png"}
    response = owner_api.post("/api/v1/topics/", body, format="json")
    assert response.status_code == 201 and response.json()["cover_url"] is None


def test_an_anonymous_caller_cannot_create(db):
    response = APIClient().post("/api/v1/topics/", {"name": "Cats"}, format="json")
    assert response.status_code == 401 and not Topic.objects.exists()


# ---- Reading ----------------------------------------------------------------


def test_anyone_lists_topics_newest_first_by_cursor(owner, other):
    for number in range(30):
        Topic.objects.create(owner=owner, name=f"T{number}", slug=f"t{number}")
    first = APIClient().get("/api/v1/topics/").json()
    assert [t["slug"] for t in first["results"]] == [f"t{n}" for n in range(29, 5, -1)]
    second = APIClient().get(first["next"]).json()
    assert [t["slug"] for t in second["results"]] == [f"t{n}" for n in range(5, -1, -1)]
    assert second["next"] is None


def test_the_list_filters_by_owner(owner, other, topic, client):
    create_topic(other, name="Harbours")
    body = APIClient().get("/api/v1/topics/?owner=other").json()
    assert [t["slug"] for t in body["results"]] == ["harbours"]


def test_counts_follow_the_visibility_rule_and_subscribed_is_per_caller(
    owner, other, other_api, make_image, topic
):
    make_image(owner, visibility="public", topic=topic)
    make_image(owner, visibility="private", topic=topic)
    make_image(owner, visibility="unlisted", topic=topic)
    Subscription.objects.create(user=other, topic=topic)
    body = other_api.get("/api/v1/topics/lighthouses/").json()
    assert (body["image_count"], body["subscriber_count"], body["subscribed"]) == (1, 1, True)
    body = APIClient().get("/api/v1/topics/lighthouses/").json()
    assert body["subscribed"] is False


def test_an_unknown_topic_is_a_404(owner_api):
    assert owner_api.get("/api/v1/topics/nope/").status_code == 404


# ---- Editing and deleting ---------------------------------------------------


def test_the_owner_edits_a_topic_and_its_slug_stays(owner_api, topic):
    response = owner_api.patch(
        "/api/v1/topics/lighthouses/", {"description": "New words"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["slug"], body["name"], body["description"]) == (
        "lighthouses",
        "Lighthouses",
        "New words",
    )


def test_staff_edit_anyones_topic(staff_api, topic):
    response = staff_api.patch("/api/v1/topics/lighthouses/", {"name": "Ok"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "Ok"


def test_another_person_gets_403_and_nothing_changes(other_api, topic):
    response = other_api.patch("/api/v1/topics/lighthouses/", {"name": "Mine"}, format="json")
    assert response.status_code == 403
    assert other_api.delete("/api/v1/topics/lighthouses/").status_code == 403
    topic.refresh_from_db()
    assert topic.name == "Lighthouses"


def test_an_anonymous_caller_gets_401_and_nothing_changes(topic):
    client = APIClient()
    assert client.patch("/api/v1/topics/lighthouses/", {"name": "x"}).status_code == 401
    assert client.delete("/api/v1/topics/lighthouses/").status_code == 401
    topic.refresh_from_db()
    assert topic.name == "Lighthouses"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 10_000}, "name"),
        ({"description": "d" * 5001}, "description"),
        ({"slug": "other-address"}, "slug"),
        ({"name": None}, "name"),
    ],
)
def test_a_bad_edit_is_a_400_and_changes_nothing(owner_api, topic, payload, field):
    response = owner_api.patch("/api/v1/topics/lighthouses/", payload, format="json")
    assert response.status_code == 400 and field in response.json()
    topic.refresh_from_db()
    assert (topic.name, topic.description, topic.slug) == (
        "Lighthouses",
        "Towers of light.",
        "lighthouses",
    )


def test_the_owner_deletes_a_topic_and_its_images_stay(owner, owner_api, make_image, topic):
    image = make_image(owner, visibility="public", topic=topic)
    assert owner_api.delete("/api/v1/topics/lighthouses/").status_code == 204
    assert not Topic.objects.exists()
    image.refresh_from_db()
    assert image.topic is None


def test_staff_delete_anyones_topic(staff_api, topic):
    assert staff_api.delete("/api/v1/topics/lighthouses/").status_code == 204


# ---- Subscribing ------------------------------------------------------------


def test_it_subscribes_and_unsubscribes(other, other_api, topic):
    response = other_api.post("/api/v1/topics/lighthouses/subscribe/")
    assert response.status_code == 201
    assert response.json()["subscribed"] is True and response.json()["subscriber_count"] == 1
    assert other_api.delete("/api/v1/topics/lighthouses/subscribe/").status_code == 204
    assert not Subscription.objects.exists()


def test_subscribing_twice_is_a_400_that_changes_nothing(other, other_api, topic):
    other_api.post("/api/v1/topics/lighthouses/subscribe/")
    response = other_api.post("/api/v1/topics/lighthouses/subscribe/")
    assert response.status_code == 400
    assert response.json() == {"detail": "You are already subscribed to this topic."}
    assert Subscription.objects.filter(user=other).count() == 1


def test_unsubscribing_when_not_subscribed_is_a_400(other_api, topic):
    response = other_api.delete("/api/v1/topics/lighthouses/subscribe/")
    assert response.status_code == 400
    assert response.json() == {"detail": "You are not subscribed to this topic."}


def test_subscribing_needs_a_token_and_a_topic(other_api, topic):
    assert APIClient().post("/api/v1/topics/lighthouses/subscribe/").status_code == 401
    assert other_api.post("/api/v1/topics/nope/subscribe/").status_code == 404
    assert not Subscription.objects.exists()


def test_the_schema_documents_the_topic_routes(client, db):
    schema = client.get("/api/schema/").text
    for path in ("/api/v1/topics/", "/api/v1/topics/{slug}/", "/api/v1/topics/{slug}/subscribe/"):
        assert f"{path}:" in schema
