"""POST/DELETE /api/v1/images/{id}/like/: idempotent like and unlike with a
token; another person's private image is a 404 and nothing changes."""

import pytest
from rest_framework.test import APIClient

from gallery.likes import like
from gallery.models import Image, Like
from tests.fixtures import api_for


def like_count(image) -> int:
    return Image.objects.get(pk=image.pk).like_count


@pytest.fixture
def public(owner, make_image):
    return make_image(owner, visibility="public")


def test_a_like_is_created(other, public):
    response = api_for(other).post(f"/api/v1/images/{public.pk}/like/")
    assert response.status_code == 201
    assert response.json() == {"liked": True, "like_count": 1}
    assert Like.objects.filter(user=other, image=public).exists()


def test_liking_again_answers_200_and_changes_nothing(other, public):
    api = api_for(other)
    api.post(f"/api/v1/images/{public.pk}/like/")
    response = api.post(f"/api/v1/images/{public.pk}/like/")
    assert response.status_code == 200
    assert response.json() == {"liked": True, "like_count": 1}
    assert Like.objects.count() == 1 and like_count(public) == 1


def test_the_count_includes_other_peoples_likes(owner, other, public):
    like(owner, public)
    assert api_for(other).post(f"/api/v1/images/{public.pk}/like/").json()["like_count"] == 2


def test_a_like_is_taken_back_with_204_and_again_with_204(other, public):
    like(other, public)
    api = api_for(other)
    for _ in range(2):
        response = api.delete(f"/api/v1/images/{public.pk}/like/")
        assert response.status_code == 204 and response.content == b""
    assert not Like.objects.exists() and like_count(public) == 0


@pytest.mark.parametrize("method", ["post", "delete"])
def test_another_persons_private_image_is_404_and_nothing_changes(owner, other, make_image, method):
    private = make_image(owner, visibility="private")
    like(owner, private)
    response = getattr(api_for(other), method)(f"/api/v1/images/{private.pk}/like/")
    assert response.status_code == 404
    assert list(Like.objects.values_list("user__username", flat=True)) == ["owner"]
    assert like_count(private) == 1


def test_a_missing_image_is_404(other):
    assert api_for(other).post("/api/v1/images/999999/like/").status_code == 404


@pytest.mark.parametrize("person", ["owner", "staff"])
def test_the_owner_and_staff_like_a_private_image(request, owner, make_image, person):
    private = make_image(owner, visibility="private")
    response = api_for(request.getfixturevalue(person)).post(f"/api/v1/images/{private.pk}/like/")
    assert response.status_code == 201 and like_count(private) == 1


@pytest.mark.parametrize("method", ["post", "delete"])
def test_without_a_token_it_is_401_and_nothing_changes(public, method):
    response = getattr(APIClient(), method)(f"/api/v1/images/{public.pk}/like/")
    assert response.status_code == 401
    assert not Like.objects.exists()


def test_a_wrong_token_is_401(public):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.post(f"/api/v1/images/{public.pk}/like/").status_code == 401


def test_liking_is_never_a_get(other, public):
    assert api_for(other).get(f"/api/v1/images/{public.pk}/like/").status_code == 405


def test_the_schema_documents_both_answers(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operations = schema["paths"]["/api/v1/images/{image_id}/like/"]
    assert set(operations["post"]["responses"]) >= {"200", "201", "404"}
    assert set(operations["delete"]["responses"]) >= {"204", "404"}
