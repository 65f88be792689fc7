"""Public profiles over the API, and editing one's own."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Profile
from gallery.likes import like
from gallery.topics import create_topic
from tests.fixtures import api_for


@pytest.fixture
def owner_api(owner):
    return api_for(owner)


def test_anyone_reads_a_public_profile_with_counts(owner, other, make_image):
    Profile.objects.filter(user=owner).update(display_name="Ada", bio="Lights.")
    create_topic(owner, name="Lighthouses")
    like(other, make_image(owner, visibility="public"))
    make_image(owner, visibility="private")
    body = APIClient().get("/api/v1/profiles/owner/").json()
    joined = body.pop("joined")
    assert body == {
        "username": "owner",
        "display_name": "Ada",
        "name": "Ada",
        "bio": "Lights.",
        "avatar_url": None,
        "url": "http://testserver/u/owner/",
        "image_count": 1,
        "topic_count": 1,
        "likes_received": 1,
        "subscriber_count": 0,
        "follower_count": 0,
        "following_count": 0,
    }
    assert joined


def test_the_avatar_url_is_given_when_there_is_one(owner):
    Profile.objects.filter(user=owner).update(avatar="avatars/1/a.webp")
    body = APIClient().get("/api/v1/profiles/owner/").json()
    assert body["avatar_url"] == "http://testserver/u/owner/avatar.webp"


def test_an_unknown_person_is_a_404(db):
    assert APIClient().get("/api/v1/profiles/nobody/").status_code == 404


def test_one_reads_and_edits_ones_own_profile(owner, owner_api):
    assert owner_api.get("/api/v1/profiles/me/").json()["username"] == "owner"
    response = owner_api.patch(
        "/api/v1/profiles/me/", {"display_name": "Ada L.", "bio": "Hi"}, format="json"
    )
    assert response.status_code == 200 and response.json()["display_name"] == "Ada L."
    profile = Profile.objects.get(user=owner)
    assert (profile.display_name, profile.bio) == ("Ada L.", "Hi")


def test_a_partial_edit_keeps_the_other_fields(owner, owner_api):
    Profile.objects.filter(user=owner).update(display_name="Ada", bio="Lights.")
    owner_api.patch("/api/v1/profiles/me/", {"bio": "Harbours."}, format="json")
    profile = Profile.objects.get(user=owner)
    assert (profile.display_name, profile.bio) == ("Ada", "Harbours.")


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"display_name": "x" * 61}, "display_name"),
        ({"display_name": "x" * 10_000}, "display_name"),
        ({"bio": "b" * 2001}, "bio"),
        ({"bio": 12}, "bio"),
        ({"display_name": ["a"]}, "display_name"),
    ],
)
def test_bad_input_is_a_400_and_changes_nothing(owner, owner_api, payload, field):
    Profile.objects.filter(user=owner).update(display_name="Ada", bio="Lights.")
    response = owner_api.patch("/api/v1/profiles/me/", payload, format="json")
    assert response.status_code == 400 and field in response.json()
    profile = Profile.objects.get(user=owner)
    assert (profile.display_name, profile.bio) == ("Ada", "Lights.")


def test_a_body_that_is_not_an_object_is_a_400(owner_api):
    assert owner_api.patch("/api/v1/profiles/me/", [1], format="json").status_code == 400


def test_an_anonymous_caller_cannot_edit(owner):
    client = APIClient()
    assert client.get("/api/v1/profiles/me/").status_code == 401
    assert client.patch("/api/v1/profiles/me/", {"bio": "x"}, format="json").status_code == 401
    assert Profile.objects.get(user=owner).bio == ""


def test_another_persons_profile_cannot_be_edited_through_its_username(owner, other):
    response = api_for(other).patch("/api/v1/profiles/owner/", {"bio": "hacked"}, format="json")
    assert response.status_code == 405 and Profile.objects.get(user=owner).bio == ""


# ---- Your data: the export ZIP and leaving -------------------------------------------


def test_the_api_exports_my_images_and_recipes_only(db, make_image, isolated_storage):
    import io
    import json
    import zipfile

    from tests.fixtures import make_user

    me, them = make_user("me"), make_user("them")
    mine = make_image(me, prompt="my harbour")
    make_image(them, prompt="their secret")
    response = api_for(me).post("/api/v1/profiles/me/export/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == [
        f"images/{mine.pk}-my-harbour.json",
        f"images/{mine.pk}-my-harbour.png",
        "profile.json",
    ]
    assert json.loads(archive.read(f"images/{mine.pk}-my-harbour.json"))["recipe"] == mine.recipe
    assert api_for().post("/api/v1/profiles/me/export/").status_code == 401


def test_the_api_deletes_my_account_with_my_password_only(
    db, make_image, django_capture_on_commit_callbacks
):
    from django.contrib.auth import get_user_model
    from django.core.files.storage import default_storage

    from tests.fixtures import PASSWORD, make_user

    me, them = make_user("me"), make_user("them")
    mine, theirs = make_image(me), make_image(them)
    client = api_for(me)
    wrong = client.post("/api/v1/profiles/me/delete/", {"password": "no"}, format="json")
    assert wrong.status_code == 400 and "password" in wrong.json()
    assert default_storage.exists(mine.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/api/v1/profiles/me/delete/", {"password": PASSWORD}, format="json")
    assert done.status_code == 204
    assert not get_user_model().objects.filter(pk=me.pk).exists()
    assert not default_storage.exists(mine.file.name)
    assert default_storage.exists(theirs.file.name)
    assert client.get("/api/v1/profiles/me/").status_code == 401  # its token went with it
