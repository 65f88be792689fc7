"""'Share without the recipe': set on the edit page and by the API's PATCH;
anyone but the owner gets the file, the download, the page and the API
without the recipe, while the owner keeps all of it. Real PNG, JPEG and WebP
bytes, read back with Pillow."""

import io

import pytest
from django.test import Client
from PIL import Image as PILImage

from gallery.models import Image
from gallery.recipe_sharing import without_recipe
from gallery.storing import store_image
from imaging.validation import validate_image
from tests.fixtures import api_for, picture, served

EDIT = {"title": "", "description": "", "topic": "", "visibility": "public"}


def body(response) -> bytes:
    opened = served(response)
    assert opened.status_code == 200
    return opened.content


def text_chunks(content: bytes) -> dict:
    with PILImage.open(io.BytesIO(content)) as opened:
        return dict(opened.text)


@pytest.fixture
def shared(owner, owner_client, make_image):
    image = make_image(owner, visibility="public", prompt="a secret lighthouse")
    response = owner_client.post(
        f"/images/{image.pk}/edit/", {**EDIT, "share_without_recipe": "on"}
    )
    assert response.status_code == 302
    image.refresh_from_db()
    assert image.share_without_recipe
    return image


def test_the_edit_page_offers_the_checkbox_and_can_take_it_back(owner_client, shared):
    page = owner_client.get(f"/images/{shared.pk}/edit/").text
    assert 'name="share_without_recipe"' in page and "checked" in page
    owner_client.post(f"/images/{shared.pk}/edit/", EDIT)
    shared.refresh_from_db()
    assert not shared.share_without_recipe


@pytest.mark.parametrize("path", ["file", "download"])
def test_others_get_the_file_without_recipe_chunks(path, shared, other_client, owner_client):
    theirs = body(other_client.get(f"/images/{shared.pk}/{path}"))
    assert text_chunks(theirs) == {}
    assert b"lighthouse" not in theirs
    mine = body(owner_client.get(f"/images/{shared.pk}/{path}"))
    assert "a secret lighthouse" in text_chunks(mine)["parameters"]
    # The same pixels either way.
    with PILImage.open(io.BytesIO(theirs)) as a, PILImage.open(io.BytesIO(mine)) as b:
        assert a.tobytes() == b.tobytes()


def test_a_visitor_gets_no_recipe_and_no_prompt_in_the_download_name(shared):
    response = Client().get(f"/images/{shared.pk}/download")
    assert response.status_code == 200 and text_chunks(body(response)) == {}
    assert "lighthouse" not in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"] or "private" in response["Cache-Control"]


def test_an_image_shared_with_its_recipe_keeps_it_for_everyone(owner, make_image, other_client):
    image = make_image(owner, visibility="public", prompt="an open lighthouse")
    content = body(other_client.get(f"/images/{image.pk}/file"))
    assert "an open lighthouse" in text_chunks(content)["parameters"]


def test_the_recipe_panel_is_hidden_from_others_only(shared, other_client, owner_client):
    theirs = other_client.get(f"/images/{shared.pk}/").text
    assert "lighthouse" not in theirs and "Remix" not in theirs
    mine = owner_client.get(f"/images/{shared.pk}/").text
    assert "a secret lighthouse" in mine and "Remix" in mine


def test_feeds_and_the_api_hide_the_recipe_from_others(shared, owner, other):
    detail = api_for(other).get(f"/api/v1/images/{shared.pk}/").json()
    assert detail["recipe"] == {} and detail["share_without_recipe"] is True
    listed = api_for(other).get("/api/v1/images/").json()["results"]
    assert [row["recipe"] for row in listed if row["id"] == shared.pk] == [{}]
    anonymous = api_for().get(f"/api/v1/images/{shared.pk}/").json()
    assert anonymous["recipe"] == {}
    mine = api_for(owner).get(f"/api/v1/images/{shared.pk}/").json()
    assert mine["recipe"]["prompt"] == "a secret lighthouse"
    assert "lighthouse" not in Client().get("/").text


def test_the_api_patch_sets_and_clears_it(owner, other, make_image):
    image = make_image(owner, visibility="public")
    response = api_for(owner).patch(
        f"/api/v1/images/{image.pk}/", {"share_without_recipe": True}, format="json"
    )
    assert response.status_code == 200 and response.json()["share_without_recipe"] is True
    assert api_for(other).get(f"/api/v1/images/{image.pk}/").json()["recipe"] == {}
    refused = api_for(owner).patch(
        f"/api/v1/images/{image.pk}/", {"share_without_recipe": [1]}, format="json"
    )
    assert refused.status_code == 400 and "share_without_recipe" in refused.json()
    other_try = api_for(other).patch(
        f"/api/v1/images/{image.pk}/", {"share_without_recipe": False}, format="json"
    )
    assert other_try.status_code in (403, 404)
    image.refresh_from_db()
    assert image.share_without_recipe


@pytest.mark.parametrize("image_format", ["JPEG", "WEBP"])
def test_jpeg_and_webp_lose_their_exif_recipe(image_format, owner, other_client):
    recipe = {"prompt": "a secret harbour", "steps": 4, "seed": 1}
    source = io.BytesIO()
    picture().save(source, format=image_format)
    validated = validate_image(source.getvalue(), max_bytes=10**7, max_pixels=10**7)
    content = validated.encode(recipe)
    assert b"harbour" in content.replace(b"\0", b"")
    image = store_image(
        owner=owner,
        content=content,
        picture=validated.image,
        extension=validated.extension,
        recipe=recipe,
        visibility=Image.Visibility.PUBLIC,
    )
    Image.objects.filter(pk=image.pk).update(share_without_recipe=True)
    theirs = body(other_client.get(f"/images/{image.pk}/file"))
    assert b"harbour" not in theirs.replace(b"\0", b"")
    with PILImage.open(io.BytesIO(theirs)) as opened:
        opened.load()
        assert opened.size == (64, 48) and not opened.getexif()


def test_unknown_bytes_pass_unchanged():
    assert without_recipe(b"not an image") == b"not an image"
