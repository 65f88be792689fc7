"""NSFW over the API (gallery.nsfw): every image says ``nsfw``; the lists take
``?nsfw=include|exclude|only`` and otherwise follow the person's preference;
the owner and staff set the flag (PATCH, upload, generation); one's own
profile says and changes the preference."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Profile
from gallery.models import Image
from gallery.pagination import PAGE_SIZE
from studio.models import GenerationJob
from tests.fixtures import api_for, picture, png_bytes

LIST = "/api/v1/images/"


@pytest.fixture
def flagged(owner, make_image):
    return make_image(owner, visibility="public", prompt="a flagged lighthouse", nsfw=True)


@pytest.fixture
def plain(owner, make_image):
    return make_image(owner, visibility="public", prompt="a plain lighthouse")


def listed(client, query: str = "") -> dict[int, bool]:
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200, response.content
    return {item["id"]: item["nsfw"] for item in response.json()["results"]}


def people(owner, other, staff):
    return {"visitor": None, "owner": owner, "other": other, "staff": staff}


@pytest.mark.parametrize("who", ["visitor", "owner", "other", "staff"])
def test_everyone_gets_the_flag_and_the_filter(who, owner, other, staff, flagged, plain):
    client = api_for(people(owner, other, staff)[who])
    assert listed(client) == {flagged.pk: True, plain.pk: False}
    assert listed(client, "nsfw=include") == {flagged.pk: True, plain.pk: False}
    assert listed(client, "nsfw=exclude") == {plain.pk: False}
    assert listed(client, "nsfw=only") == {flagged.pk: True}
    assert client.get(f"/api/v1/images/{flagged.pk}/").json()["nsfw"] is True


@pytest.mark.parametrize("value", ["maybe", "INCLUDE", "%ED%A0%80", "1" * 10_000])
def test_an_unknown_filter_is_a_400_naming_it(value, client, flagged):
    response = api_for(None).get(f"{LIST}?nsfw={value}")
    assert response.status_code == 400
    assert "nsfw" in response.json()["detail"] and len(response.json()["detail"]) < 200


def test_a_person_who_hides_them_gets_lists_without_them_unless_asking(other, flagged, plain):
    Profile.objects.update_or_create(user=other, defaults={"nsfw_preference": "hide"})
    client = api_for(other)
    assert listed(client) == {plain.pk: False}
    assert listed(client, "nsfw=include") == {flagged.pk: True, plain.pk: False}
    assert listed(client, "nsfw=only") == {flagged.pk: True}


def test_next_carries_the_filter_and_pages_stay_full(owner, make_image):
    plain = {make_image(owner, visibility="public").pk for _ in range(PAGE_SIZE + 1)}
    for _ in range(3):
        make_image(owner, visibility="public", nsfw=True)
    client = api_for(None)
    first = client.get(LIST, {"nsfw": "exclude"}).json()
    assert len(first["results"]) == PAGE_SIZE and "nsfw=exclude" in first["next"]
    second = client.get(first["next"]).json()
    assert {item["id"] for item in first["results"] + second["results"]} == plain
    assert second["next"] is None


# ---- Setting the flag -----------------------------------------------------------------


@pytest.mark.parametrize(
    "who, status, flagged_after",
    [("visitor", 401, False), ("other", 403, False), ("owner", 200, True), ("staff", 200, True)],
)
def test_who_may_flag_an_image(who, status, flagged_after, owner, other, staff, plain):
    client = api_for(people(owner, other, staff)[who])
    response = client.patch(f"/api/v1/images/{plain.pk}/", {"nsfw": True}, format="json")
    assert response.status_code == status
    plain.refresh_from_db()
    assert plain.nsfw is flagged_after
    if status == 200:
        assert response.json()["nsfw"] is True


@pytest.mark.parametrize("value", ["maybe", 3, [], {"a": 1}])
def test_a_flag_that_is_not_a_boolean_is_a_400(value, owner, plain):
    response = api_for(owner).patch(f"/api/v1/images/{plain.pk}/", {"nsfw": value}, format="json")
    assert response.status_code == 400 and "nsfw" in response.json()
    plain.refresh_from_db()
    assert not plain.nsfw


def test_a_patch_without_the_flag_leaves_it(owner, flagged):
    api_for(owner).patch(f"/api/v1/images/{flagged.pk}/", {"title": "New"}, format="json")
    flagged.refresh_from_db()
    assert flagged.nsfw and flagged.title == "New"


def test_an_upload_can_be_flagged(owner):
    upload = SimpleUploadedFile("red.png", png_bytes(picture()), content_type="image/png")
    response = api_for(owner).post(LIST, {"file": upload, "nsfw": "true"}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["nsfw"] is True and Image.objects.get().nsfw


def test_a_generation_can_be_flagged(owner, tiny_settings):
    client = api_for(owner)
    response = client.post("/api/v1/generations/", {"prompt": "a fox", "nsfw": True}, format="json")
    assert response.status_code == 202
    assert GenerationJob.objects.get().request["nsfw"] is True
    assert (
        client.post(
            "/api/v1/generations/", {"prompt": "a fox", "nsfw": "maybe"}, format="json"
        ).status_code
        == 400
    )


# ---- The preference -------------------------------------------------------------------


def test_my_profile_says_and_changes_the_preference(owner):
    client = api_for(owner)
    assert client.get("/api/v1/profiles/me/").json()["nsfw_preference"] == "blur"
    response = client.patch("/api/v1/profiles/me/", {"nsfw_preference": "hide"}, format="json")
    assert response.status_code == 200 and response.json()["nsfw_preference"] == "hide"
    assert Profile.objects.get(user=owner).nsfw_preference == "hide"
    # Another field alone leaves it.
    client.patch("/api/v1/profiles/me/", {"display_name": "Ada"}, format="json")
    assert Profile.objects.get(user=owner).nsfw_preference == "hide"


@pytest.mark.parametrize("value", ["peek", "\ud800", 3, ["hide"]])
def test_an_unknown_preference_is_a_400(value, owner):
    client = api_for(owner)
    response = client.patch("/api/v1/profiles/me/", {"nsfw_preference": value}, format="json")
    assert response.status_code == 400 and "nsfw_preference" in response.json()
    assert Profile.objects.get(user=owner).nsfw_preference == "blur"


def test_nobody_else_sees_the_preference(owner, other):
    Profile.objects.update_or_create(user=owner, defaults={"nsfw_preference": "hide"})
    assert "nsfw_preference" not in api_for(other).get("/api/v1/profiles/owner/").json()


def test_the_schema_documents_the_field_the_filter_and_the_preference(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    image = schema["components"]["schemas"]["Image"]["properties"]
    assert image["nsfw"]["type"] == "boolean"
    listing = schema["paths"]["/api/v1/images/"]["get"]["parameters"]
    [nsfw] = [p for p in listing if p["name"] == "nsfw"]
    assert sorted(nsfw["schema"]["enum"]) == ["", "exclude", "include", "only"]
    assert "MyProfile" in schema["components"]["schemas"]
    assert "nsfw_preference" in schema["components"]["schemas"]["MyProfile"]["properties"]
    assert "nsfw" in schema["components"]["schemas"]["PatchedImageChangeRequest"]["properties"]


def test_bulk_marks_many_at_once(owner, other, make_image):
    images = [make_image(owner, visibility="public") for _ in range(2)]
    ids = [image.pk for image in images]
    refused = api_for(other).post(
        "/api/v1/images/bulk/", {"action": "mark_nsfw", "ids": ids}, format="json"
    )
    assert refused.status_code == 403 and not Image.objects.filter(nsfw=True).exists()
    done = api_for(owner).post(
        "/api/v1/images/bulk/", {"action": "mark_nsfw", "ids": ids}, format="json"
    )
    assert done.status_code == 200 and done.json()["count"] == 2
    assert Image.objects.filter(nsfw=True).count() == 2


def test_a_null_preference_leaves_it(owner):
    Profile.objects.update_or_create(user=owner, defaults={"nsfw_preference": "show"})
    response = api_for(owner).patch(
        "/api/v1/profiles/me/", {"nsfw_preference": None}, format="json"
    )
    assert response.status_code == 200 and response.json()["nsfw_preference"] == "show"
