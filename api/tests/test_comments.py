"""Comments over the API: list (cursor pages, oldest first) and add on an
image, read, edit and delete one — author, image owner, another person, staff
and no token side by side; bad text is a 400 and changes nothing."""

import pytest
from rest_framework.test import APIClient

from gallery.comments import add
from gallery.models import Comment, Image
from tests.fixtures import api_for


def comment_count(image) -> int:
    return Image.objects.get(pk=image.pk).comment_count


@pytest.fixture
def public(owner, make_image):
    return make_image(owner, visibility="public")


@pytest.fixture
def others_comment(other, public):
    return add(other, public, "Nice light")


# ---- Listing ---------------------------------------------------------------------


def test_anyone_lists_the_comments_of_a_public_image_oldest_first(owner, other, public):
    other.profile.display_name = "Olga"
    other.profile.save()
    first = add(other, public, "first")
    add(owner, public, "second")
    response = APIClient().get(f"/api/v1/images/{public.pk}/comments/")
    body = response.json()
    assert response.status_code == 200
    assert [c["text"] for c in body["results"]] == ["first", "second"]
    assert body["next"] is None
    assert body["results"][0] == {
        "id": first.pk,
        "image": public.pk,
        "user": "other",
        "display_name": "Olga",
        "avatar_url": None,
        "text": "first",
        "created": body["results"][0]["created"],
        "edited": None,
    }


def test_long_discussions_come_in_cursor_pages(other, public):
    Comment.objects.bulk_create(
        [Comment(user=other, image=public, text=f"c{i:02}") for i in range(60)]
    )
    api = APIClient()
    page = api.get(f"/api/v1/images/{public.pk}/comments/").json()
    assert len(page["results"]) == 50 and page["next"]
    rest = api.get(page["next"]).json()
    texts = [c["text"] for c in page["results"] + rest["results"]]
    assert texts == [f"c{i:02}" for i in range(60)] and rest["next"] is None


@pytest.mark.parametrize("who", ["visitor", "other"])
def test_the_comments_of_another_persons_private_image_are_404(owner, make_image, who, other):
    private = make_image(owner, visibility="private")
    add(owner, private, "secret")
    client = APIClient() if who == "visitor" else api_for(other)
    assert client.get(f"/api/v1/images/{private.pk}/comments/").status_code == 404


# ---- Adding ------------------------------------------------------------------------


def test_a_comment_is_created_with_201(other, public):
    response = api_for(other).post(
        f"/api/v1/images/{public.pk}/comments/", {"text": "  Lovely \n"}, format="json"
    )
    comment = Comment.objects.get()
    assert response.status_code == 201
    assert response.json()["id"] == comment.pk and response.json()["text"] == "Lovely"
    assert comment.user == other and comment_count(public) == 1


def test_a_comment_of_5000_characters_is_accepted(other, public):
    response = api_for(other).post(
        f"/api/v1/images/{public.pk}/comments/", {"text": "x" * 5000}, format="json"
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    "payload",
    [{"text": ""}, {"text": "   "}, {"text": "x" * 5001}, {}, {"text": ["a"]}, {"text": None}],
    ids=["empty", "blank", "5001-characters", "missing", "a-list", "null"],
)
def test_it_rejects_bad_text_with_400_and_saves_nothing(other, public, payload):
    response = api_for(other).post(f"/api/v1/images/{public.pk}/comments/", payload, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"text"}
    assert not Comment.objects.exists() and comment_count(public) == 0


def test_a_body_that_is_not_an_object_is_400(other, public):
    response = api_for(other).post(f"/api/v1/images/{public.pk}/comments/", ["text"], format="json")
    assert response.status_code == 400 and not Comment.objects.exists()


def test_another_persons_private_image_cannot_be_commented_on(owner, other, make_image):
    private = make_image(owner, visibility="private")
    response = api_for(other).post(
        f"/api/v1/images/{private.pk}/comments/", {"text": "hi"}, format="json"
    )
    assert response.status_code == 404 and not Comment.objects.exists()


def test_without_a_token_commenting_is_401(public):
    response = APIClient().post(
        f"/api/v1/images/{public.pk}/comments/", {"text": "hi"}, format="json"
    )
    assert response.status_code == 401 and not Comment.objects.exists()


# ---- One comment: read, edit, delete ---------------------------------------------


def test_a_comment_is_read_by_anyone_who_sees_the_image(others_comment):
    response = APIClient().get(f"/api/v1/comments/{others_comment.pk}/")
    assert response.status_code == 200 and response.json()["text"] == "Nice light"


def test_the_author_edits_their_comment(other, others_comment):
    response = api_for(other).patch(
        f"/api/v1/comments/{others_comment.pk}/", {"text": " Nicer "}, format="json"
    )
    others_comment.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["text"] == "Nicer" and response.json()["edited"] is not None
    assert others_comment.text == "Nicer" and others_comment.edited is not None


@pytest.mark.parametrize("payload", [{"text": ""}, {"text": "y" * 5001}, {}])
def test_an_edit_with_bad_text_is_400_and_changes_nothing(other, others_comment, payload):
    response = api_for(other).patch(
        f"/api/v1/comments/{others_comment.pk}/", payload, format="json"
    )
    assert response.status_code == 400 and "text" in response.json()
    others_comment.refresh_from_db()
    assert others_comment.text == "Nice light" and others_comment.edited is None


@pytest.mark.parametrize("person", ["owner", "staff"])
def test_nobody_but_the_author_edits_a_visible_comment(request, others_comment, person):
    response = api_for(request.getfixturevalue(person)).patch(
        f"/api/v1/comments/{others_comment.pk}/", {"text": "mine now"}, format="json"
    )
    assert response.status_code == 403
    others_comment.refresh_from_db()
    assert others_comment.text == "Nice light"


def test_a_comment_on_another_persons_private_image_is_404(owner, other, make_image):
    private = make_image(owner, visibility="private")
    comment = add(owner, private, "secret")
    api = api_for(other)
    assert api.get(f"/api/v1/comments/{comment.pk}/").status_code == 404
    response = api.patch(f"/api/v1/comments/{comment.pk}/", {"text": "x"}, format="json")
    assert response.status_code == 404
    assert api.delete(f"/api/v1/comments/{comment.pk}/").status_code == 404
    assert Comment.objects.get().text == "secret" and comment_count(private) == 1


def test_the_author_deletes_their_comment_with_204(other, public, others_comment):
    response = api_for(other).delete(f"/api/v1/comments/{others_comment.pk}/")
    assert response.status_code == 204
    assert not Comment.objects.exists() and comment_count(public) == 0
    assert api_for(other).delete(f"/api/v1/comments/{others_comment.pk}/").status_code == 404


@pytest.mark.parametrize("person", ["owner", "staff"])
def test_the_images_owner_and_staff_delete_any_comment_on_it(
    request, public, others_comment, person
):
    response = api_for(request.getfixturevalue(person)).delete(
        f"/api/v1/comments/{others_comment.pk}/"
    )
    assert response.status_code == 204 and comment_count(public) == 0


def test_another_person_cannot_delete_a_visible_comment(owner, public):
    comment = add(owner, public, "owner's words")
    stranger = type(owner).objects.create(username="stranger")
    assert api_for(stranger).delete(f"/api/v1/comments/{comment.pk}/").status_code == 403
    assert Comment.objects.count() == 1 and comment_count(public) == 1


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_without_a_token_changing_is_401(others_comment, method):
    response = getattr(APIClient(), method)(
        f"/api/v1/comments/{others_comment.pk}/", {"text": "x"}, format="json"
    )
    assert response.status_code == 401
    assert Comment.objects.get().text == "Nice light"


def test_the_schema_documents_the_comment_endpoints(client, db):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/images/{image_id}/comments/"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/comments/{comment_id}/"])
    assert "403" in paths["/api/v1/comments/{comment_id}/"]["patch"]["responses"]
