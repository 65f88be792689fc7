"""GET, PATCH and DELETE /api/v1/images/{id}/: owner, another user, staff and
anonymous side by side; refused changes change nothing."""

import pytest
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from gallery.likes import like
from gallery.models import Image, Topic
from tests.fixtures import api_for


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
def anonymous_api(db):
    return api_for()


@pytest.fixture
def topic(other):
    return Topic.objects.create(slug="foxes", name="Foxes", owner=other)


def url(image) -> str:
    return f"/api/v1/images/{image.pk}/"


def state(image) -> tuple:
    image = Image.objects.get(pk=image.pk)
    return (image.title, image.description, image.topic_id, image.visibility)


# --- GET --------------------------------------------------------------------------------


def test_the_owner_reads_a_private_image(owner, owner_api, make_image, topic):
    image = make_image(owner, title="Fox", description="In snow", topic=topic)
    response = owner_api.get(url(image))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == image.pk and body["title"] == "Fox" and body["description"] == "In snow"
    assert body["topic"] == "foxes" and body["visibility"] == "private"
    assert body["owner"] == "owner" and body["liked"] is False
    # A private image's file URLs carry a signed key (api/tests/test_file_urls.py).
    assert body["url"].startswith(f"http://testserver/images/{image.pk}/file?key=")
    assert body["thumbnail_url"].startswith(f"http://testserver/images/{image.pk}/thumb.webp?key=")
    assert body["recipe"]["prompt"] == "a red square"
    assert (body["width"], body["height"]) == (64, 48) and body["like_count"] == 0


def test_liked_says_whether_the_caller_liked_it(owner, other, other_api, owner_api, make_image):
    image = make_image(owner, visibility="public")
    like(other, image)
    assert other_api.get(url(image)).json()["liked"] is True
    assert owner_api.get(url(image)).json()["liked"] is False


@pytest.mark.parametrize(
    "who, visibility, status",
    [
        ("other", "private", 404),
        ("other", "unlisted", 200),
        ("other", "public", 200),
        ("staff", "private", 200),
        ("anonymous", "private", 404),
        ("anonymous", "unlisted", 200),
        ("anonymous", "public", 200),
    ],
)
def test_who_may_read_an_image(request, owner, make_image, who, visibility, status):
    image = make_image(owner, visibility=visibility)
    client = request.getfixturevalue(f"{who}_api")
    assert client.get(url(image)).status_code == status


def test_a_missing_image_is_404(owner_api):
    assert owner_api.get("/api/v1/images/999999/").status_code == 404


# --- PATCH ------------------------------------------------------------------------------


def test_the_owner_changes_the_fields_sent_and_only_those(owner, owner_api, make_image, topic):
    image = make_image(owner, title="Old", description="Kept words")
    response = owner_api.patch(
        url(image), {"title": "New", "topic": "foxes", "visibility": "public"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "New" and body["topic"] == "foxes" and body["visibility"] == "public"
    assert body["description"] == "Kept words"
    assert state(image) == ("New", "Kept words", topic.pk, "public")


def test_a_patch_may_be_a_form_too(owner, owner_api, make_image):
    image = make_image(owner)
    response = owner_api.patch(url(image), {"description": "From a form"}, format="multipart")
    assert response.status_code == 200 and state(image)[1] == "From a form"


@pytest.mark.parametrize("empty", [None, ""])
def test_the_topic_is_cleared_with_null_or_an_empty_string(
    owner, owner_api, make_image, topic, empty
):
    image = make_image(owner, topic=topic)
    response = owner_api.patch(url(image), {"topic": empty}, format="json")
    assert response.status_code == 200 and response.json()["topic"] is None
    assert state(image)[2] is None


def test_an_empty_title_is_allowed(owner, owner_api, make_image):
    image = make_image(owner, title="Old")
    assert owner_api.patch(url(image), {"title": ""}, format="json").status_code == 200
    assert state(image)[0] == ""


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"title": "x" * 10_000}, "title", "at most 200 characters"),
        ({"description": "x" * 5001}, "description", "at most 5000 characters"),
        ({"topic": "no-such-topic"}, "topic", "There is no topic “no-such-topic”."),
        ({"visibility": "everyone"}, "visibility", "Select a valid choice"),
        ({"visibility": None}, "visibility", "This field is required."),
        ({"title": 42}, "title", "Give text here."),
        ({"title": ["a", "list"]}, "title", "Give text here."),
        ({"topic": 7}, "topic", "Give the topic's slug as text."),
        ({"title": "nul\x00"}, "title", "cannot be stored (U+0000 at position 4)"),
    ],
)
def test_bad_input_is_a_400_and_changes_nothing(
    owner, owner_api, make_image, topic, changes, field, message
):
    image = make_image(owner, title="Kept")
    before = state(image)
    response = owner_api.patch(url(image), {"description": "also sent", **changes}, format="json")
    assert response.status_code == 400
    assert message in response.json()[field][0]
    assert state(image) == before


def test_text_no_database_can_store_is_a_400(owner, owner_api, make_image):
    image = make_image(owner, title="Kept")
    body = '{"title": "lone \\ud800 surrogate"}'
    response = owner_api.patch(url(image), body, content_type="application/json")
    assert response.status_code == 400
    assert "cannot be stored" in response.json()["title"][0]
    assert state(image)[0] == "Kept"


def test_a_body_that_is_not_an_object_is_a_400(owner, owner_api, make_image):
    image = make_image(owner)
    response = owner_api.patch(url(image), ["title"], format="json")
    assert response.status_code == 400 and "detail" in response.json()


def test_malformed_json_is_a_400(owner, owner_api, make_image):
    image = make_image(owner)
    response = owner_api.patch(url(image), "{not json", content_type="application/json")
    assert response.status_code == 400


def test_staff_may_change_anyones_image(owner, staff_api, make_image):
    image = make_image(owner)
    response = staff_api.patch(url(image), {"title": "Moderated"}, format="json")
    assert response.status_code == 200 and state(image)[0] == "Moderated"


@pytest.mark.parametrize(
    "who, visibility, status",
    [
        ("other", "private", 404),
        ("other", "unlisted", 403),
        ("other", "public", 403),
        ("anonymous", "private", 401),
        ("anonymous", "public", 401),
    ],
)
def test_a_refused_change_changes_nothing(request, owner, make_image, who, visibility, status):
    image = make_image(owner, visibility=visibility, title="Kept")
    before = state(image)
    client = request.getfixturevalue(f"{who}_api")
    response = client.patch(url(image), {"title": "Taken over"}, format="json")
    assert response.status_code == status
    assert state(image) == before


def test_put_is_not_offered(owner, owner_api, make_image):
    image = make_image(owner)
    assert owner_api.put(url(image), {"title": "x"}, format="json").status_code == 405


# --- DELETE -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "staff"])
def test_the_owner_or_staff_delete_an_image_and_both_files(
    request, owner, make_image, django_capture_on_commit_callbacks, who
):
    image = make_image(owner, visibility="private")
    files = [image.file.name, image.thumbnail.name]
    client = request.getfixturevalue(f"{who}_api")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(url(image))
    assert response.status_code == 204 and response.content == b""
    assert not Image.objects.filter(pk=image.pk).exists()
    assert not any(default_storage.exists(name) for name in files)
    assert client.get(url(image)).status_code == 404


@pytest.mark.parametrize(
    "who, visibility, status",
    [
        ("other", "private", 404),
        ("other", "public", 403),
        ("anonymous", "private", 401),
        ("anonymous", "public", 401),
    ],
)
def test_a_refused_deletion_keeps_the_image_and_its_files(
    request, owner, make_image, who, visibility, status
):
    image = make_image(owner, visibility=visibility)
    client = request.getfixturevalue(f"{who}_api")
    assert client.delete(url(image)).status_code == status
    assert Image.objects.filter(pk=image.pk).exists()
    assert default_storage.exists(image.file.name) and default_storage.exists(image.thumbnail.name)


# --- Schema -----------------------------------------------------------------------------


def test_the_schema_documents_the_image_endpoints(db):
    schema = APIClient().get("/api/schema/?format=json").json()
    detail = schema["paths"]["/api/v1/images/{image_id}/"]
    assert {"get", "patch", "delete"} <= set(detail)
    assert "ImageChange" in str(detail["patch"]["requestBody"])
    assert "204" in detail["delete"]["responses"]
    upload = schema["paths"]["/api/v1/images/"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert "201" in upload["responses"] and "413" in upload["responses"]
