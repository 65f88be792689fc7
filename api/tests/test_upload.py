"""POST /api/v1/images/: upload one file (multipart ``file``) with optional
title, description, topic and visibility. Refusals store nothing."""

import pytest
from django.core.files.storage import default_storage

from gallery.models import Image, Topic
from gallery.tests.test_upload import (
    RECIPE,
    REFUSED,
    image_bytes,
    jpeg_with_gps_and_recipe,
    noise_png,
    png_with_json_recipe,
    upload,
)
from imaging.png_metadata import encode_png
from tests.fixtures import api_for, picture, stored_files

URL = "/api/v1/images/"


@pytest.fixture
def owner_api(owner):
    return api_for(owner)


@pytest.fixture
def topic(other):
    return Topic.objects.create(slug="foxes", name="Foxes", owner=other)


def post(client, **fields):
    return client.post(URL, fields, format="multipart")


def test_it_uploads_a_png_and_answers_201_with_the_image(owner, owner_api):
    response = post(owner_api, file=upload(image_bytes(), "lighthouse.png"))
    assert response.status_code == 201
    image = Image.objects.get()
    body = response.json()
    assert body["id"] == image.pk and body["owner"] == "owner"
    assert body["title"] == "lighthouse" and body["visibility"] == "private"
    assert body["topic"] is None and body["liked"] is False and body["like_count"] == 0
    assert (body["width"], body["height"]) == (64, 48) and body["thumbhash"]
    assert body["url"].startswith(f"http://testserver/images/{image.pk}/file?key=")
    assert response["Location"] == f"http://testserver/api/v1/images/{image.pk}/"
    assert image.owner == owner and image.source == "uploaded"
    assert default_storage.exists(image.file.name) and default_storage.exists(image.thumbnail.name)
    assert body.pop("upload") == {"duplicate": False, "looks_like": None, "notes": []}
    assert owner_api.get(response["Location"]).json() == body


def test_it_takes_title_description_topic_and_visibility(owner_api, topic):
    response = post(
        owner_api,
        file=upload(image_bytes("WEBP"), "x.webp"),
        title="Fox",
        description="In snow",
        topic="foxes",
        visibility="public",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["title"], body["description"], body["topic"], body["visibility"]) == (
        "Fox",
        "In snow",
        "foxes",
        "public",
    )
    assert Image.objects.get().content_type == "image/webp"


def test_the_recipe_in_the_file_is_kept(owner_api):
    response = post(owner_api, file=upload(encode_png(picture(), RECIPE)))
    assert response.status_code == 201
    assert response.json()["recipe"] == {**RECIPE, "source": "Atelier"}
    assert response.json()["title"] == ""


def test_the_recipe_is_cut_down_to_known_keys(owner_api):
    junk = {"prompt": "a fox", "steps": "x", "seed": 12, "script": "rm -rf /", "nested": {"a": 1}}
    response = post(owner_api, file=upload(png_with_json_recipe(junk)))
    assert response.json()["recipe"] == {"prompt": "a fox", "seed": 12, "source": "Atelier"}


def test_a_jpeg_keeps_its_recipe_and_loses_its_gps(owner_api):
    response = post(owner_api, file=upload(jpeg_with_gps_and_recipe(RECIPE), "photo.jpg"))
    assert response.status_code == 201
    with Image.objects.get().file.open("rb") as stored:
        assert b"SecretCameraMaker" not in stored.read()
    assert response.json()["recipe"]["prompt"] == "a fox in snow"


def test_anonymous_gets_401_and_nothing_is_stored(db, isolated_storage):
    response = post(api_for(), file=upload(image_bytes()))
    assert response.status_code == 401
    assert not Image.objects.exists() and stored_files() == []


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_file_is_a_400_with_the_reason(owner_api, isolated_storage, case):
    content, message = REFUSED[case]
    response = post(owner_api, file=upload(content))
    assert response.status_code == 400
    assert message in response.json()["file"][0]
    assert not Image.objects.exists() and stored_files() == []


def test_a_recipe_with_unstorable_text_is_dropped_and_the_image_kept(owner_api, isolated_storage):
    content = png_with_json_recipe({"prompt": "lone \ud800 surrogate"})
    response = post(owner_api, file=upload(content))
    assert response.status_code == 201
    image = Image.objects.get()
    assert image.recipe == {} and len(stored_files()) == 2


def test_a_file_over_the_size_limit_is_a_400(owner_api, settings, isolated_storage):
    settings.ATELIER_MAX_UPLOAD_BYTES = 1000
    response = post(owner_api, file=upload(noise_png()))
    assert response.status_code == 400
    assert response.json() == {"file": ["The image is larger than 1000 bytes."]}
    assert not Image.objects.exists() and stored_files() == []


def test_an_image_over_the_pixel_limit_is_a_400(owner_api, settings, isolated_storage):
    settings.ATELIER_MAX_UPLOAD_PIXELS = 1_000_000
    response = post(owner_api, file=upload(image_bytes(size=(1001, 1000))))
    assert response.status_code == 400
    assert response.json() == {"file": ["The image has too many pixels (max 1 megapixels)."]}
    assert not Image.objects.exists() and stored_files() == []


def test_a_request_larger_than_the_limit_is_413(owner_api, settings, isolated_storage):
    settings.ATELIER_MAX_UPLOAD_BYTES = 1000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(owner_api, file=upload(noise_png()))
    assert response.status_code == 413
    assert response.json() == {
        "detail": "The upload is too large: an image may be at most 1000 bytes."
    }
    assert not Image.objects.exists() and stored_files() == []


def test_text_fields_over_djangos_limit_are_413(owner_api, settings, isolated_storage):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(owner_api, file=upload(image_bytes()), description="x" * 2000)
    assert response.status_code == 413
    assert response.json() == {"detail": "The form's text fields are too large."}
    assert not Image.objects.exists() and stored_files() == []


def test_two_files_in_one_request_are_a_400(owner_api, isolated_storage):
    response = owner_api.post(
        URL, {"file": [upload(image_bytes()), upload(image_bytes())]}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json() == {"file": ["Send one file per request."]}
    assert not Image.objects.exists() and stored_files() == []


def test_no_file_is_a_400(owner_api):
    response = post(owner_api, title="nothing")
    assert response.status_code == 400
    assert response.json() == {"file": ["Choose at least one image to upload."]}


def test_json_is_not_an_upload(owner_api):
    response = owner_api.post(URL, {"title": "x"}, format="json")
    assert response.status_code == 415


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("title", "x" * 10_000, "at most 200 characters"),
        ("description", "x" * 5001, "at most 5000 characters"),
        ("topic", "no-such-topic", "There is no topic “no-such-topic”."),
        ("visibility", "everyone", "Select a valid choice"),
    ],
)
def test_bad_fields_are_a_400_and_store_nothing(owner_api, isolated_storage, field, value, message):
    response = post(owner_api, file=upload(image_bytes()), **{field: value})
    assert response.status_code == 400 and message in response.json()[field][0]
    assert not Image.objects.exists() and stored_files() == []
