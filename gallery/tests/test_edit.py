"""Editing an image's title, description, topic and visibility on its edit page:
owner, another person, staff and visitor side by side."""

import pytest
from django.test import Client

from gallery.models import Topic

GOOD = {
    "title": "Fox at dawn",
    "description": "Shot in the <em>snow</em>.",
    "topic": "foxes",
    "visibility": "public",
}


@pytest.fixture
def topic(other):
    """A topic someone else made: anyone may post into any topic."""
    return Topic.objects.create(slug="foxes", name="Foxes", owner=other)


def unchanged(image):
    before = (image.title, image.description, image.topic_id, image.visibility)
    image.refresh_from_db()
    return (image.title, image.description, image.topic_id, image.visibility) == before


def test_the_owner_sees_the_form_with_the_current_values(owner, owner_client, make_image, topic):
    image = make_image(owner, title="Old title", description="Old words", topic=topic)
    page = owner_client.get(f"/images/{image.pk}/edit/")
    assert page.status_code == 200
    form = page.context["form"]
    assert form["title"].value() == "Old title" and form["description"].value() == "Old words"
    assert form["topic"].value() == "foxes" and form["visibility"].value() == "private"
    assert 'name="csrfmiddlewaretoken"' in page.text


def test_the_owner_changes_title_description_topic_and_visibility(
    owner, owner_client, make_image, topic
):
    image = make_image(owner)
    response = owner_client.post(f"/images/{image.pk}/edit/", GOOD)
    assert response.status_code == 302 and response.url == f"/images/{image.pk}/"
    image.refresh_from_db()
    assert image.title == "Fox at dawn" and image.description == "Shot in the <em>snow</em>."
    assert image.topic == topic and image.visibility == "public"


def test_user_text_is_escaped_on_the_edit_page(owner, owner_client, make_image):
    image = make_image(owner, title="<script>alert(1)</script>")
    html = owner_client.get(f"/images/{image.pk}/edit/").text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert " style=" not in html


def test_an_empty_title_and_no_topic_are_allowed(owner, owner_client, make_image, topic):
    image = make_image(owner, title="Old title", topic=topic)
    response = owner_client.post(
        f"/images/{image.pk}/edit/", {**GOOD, "title": "", "topic": "", "description": ""}
    )
    assert response.status_code == 302
    image.refresh_from_db()
    assert image.title == "" and image.topic is None and image.description == ""
    assert image.display_title == "a red square"


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("title", "x" * 10_000, "at most 200 characters (it has 10000)"),
        ("description", "x" * 5001, "at most 5000 characters (it has 5001)"),
        ("topic", "no-such-topic", "There is no topic “no-such-topic”."),
        ("visibility", "everyone", "Select a valid choice"),
        ("visibility", "", "This field is required."),
        ("title", "nul\x00byte", "cannot be stored (U+0000 at position 4)"),
    ],
)
def test_bad_input_is_a_form_error_and_changes_nothing(
    owner, owner_client, make_image, topic, field, value, message
):
    image = make_image(owner, title="Kept")
    response = owner_client.post(f"/images/{image.pk}/edit/", {**GOOD, field: value})
    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    assert unchanged(image) and image.title == "Kept"


def test_staff_may_edit_anyones_image(owner, staff_client, make_image, topic):
    image = make_image(owner)
    assert staff_client.get(f"/images/{image.pk}/edit/").status_code == 200
    response = staff_client.post(f"/images/{image.pk}/edit/", GOOD)
    assert response.status_code == 302
    image.refresh_from_db()
    assert image.title == "Fox at dawn" and image.owner == owner


@pytest.mark.parametrize("visibility", ["private", "unlisted", "public"])
def test_another_person_gets_404_and_nothing_changes(
    owner, other_client, make_image, topic, visibility
):
    image = make_image(owner, visibility=visibility)
    assert other_client.get(f"/images/{image.pk}/edit/").status_code == 404
    assert other_client.post(f"/images/{image.pk}/edit/", GOOD).status_code == 404
    assert unchanged(image)


def test_a_visitor_is_sent_to_log_in_and_nothing_changes(owner, make_image, topic):
    image = make_image(owner, visibility="public")
    for response in (
        Client().get(f"/images/{image.pk}/edit/"),
        Client().post(f"/images/{image.pk}/edit/", GOOD),
    ):
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert unchanged(image)


def test_a_missing_image_is_404(owner_client):
    assert owner_client.get("/images/999999/edit/").status_code == 404


def test_edit_refuses_other_methods(owner, owner_client, make_image):
    image = make_image(owner)
    assert owner_client.delete(f"/images/{image.pk}/edit/").status_code == 405
    assert unchanged(image)
