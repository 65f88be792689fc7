"""The file URLs in API answers (url, thumbnail_url) open for the caller who
received them: with the API token they sent, or, for a private image, by the
signed key in the URL itself. Another person: 404."""

import time

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from gallery.files import LINK_SECONDS
from studio.models import GenerationJob
from tests.fixtures import api_for, served

FILES = ["/images/{}/file", "/images/{}/thumb.webp", "/images/{}/download"]


def token_of(user) -> str:
    from accounts.tokens import create_token

    return create_token(user, "script")[1]


@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
@pytest.mark.parametrize("path", FILES)
def test_the_owner_fetches_a_private_images_files_with_the_api_token(
    owner, make_image, path, scheme
):
    image = make_image(owner)
    script = Client(headers={"authorization": f"{scheme} {token_of(owner)}"})
    response = script.get(path.format(image.pk))
    assert response["Cache-Control"].startswith("private")
    opened = served(response)
    assert opened.status_code == 200
    name = image.thumbnail.name if "thumb" in path else image.file.name
    assert opened.content == default_storage.open(name).read()


@pytest.mark.parametrize("path", FILES)
def test_another_persons_token_gets_404_for_a_private_images_files(owner, other, make_image, path):
    image = make_image(owner)
    stranger = Client(headers={"authorization": f"Token {token_of(other)}"})
    assert stranger.get(path.format(image.pk)).status_code == 404


def test_a_bad_token_is_refused_with_401_not_sent_to_the_login_page(owner, make_image):
    image = make_image(owner, visibility="public")
    response = Client(headers={"authorization": "Token not-a-token"}).get(
        f"/images/{image.pk}/file"
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Invalid token."}


def test_a_private_images_urls_from_the_api_open_without_credentials_for_an_hour(
    owner, other, make_image, monkeypatch
):
    image, other_image = make_image(owner), make_image(owner)
    answer = api_for(owner).get(f"/api/v1/images/{image.pk}/").json()
    assert "key=" in answer["url"] and "key=" in answer["thumbnail_url"]
    original = served(Client().get(answer["url"]))
    assert original.status_code == 200
    assert original.content == default_storage.open(image.file.name).read()
    thumbnail = served(Client().get(answer["thumbnail_url"]))
    assert thumbnail.status_code == 200
    assert thumbnail.content == default_storage.open(image.thumbnail.name).read()
    # The key opens this image only, and only for an hour.
    key = answer["url"].split("key=")[1]
    assert Client().get(f"/images/{other_image.pk}/file?key={key}").status_code == 302
    stranger = Client(headers={"authorization": f"Token {token_of(other)}"})
    assert stranger.get(f"/images/{other_image.pk}/file?key={key}").status_code == 404
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + LINK_SECONDS + 1)
    assert Client().get(answer["url"]).status_code == 302


def test_a_public_images_urls_carry_no_key(owner, make_image):
    image = make_image(owner, visibility="public")
    answer = api_for().get(f"/api/v1/images/{image.pk}/").json()
    assert answer["url"] == f"http://testserver/images/{image.pk}/file"
    assert answer["thumbnail_url"] == f"http://testserver/images/{image.pk}/thumb.webp"
    assert served(Client().get(answer["url"])).status_code == 200


def test_a_generations_images_open_from_the_urls_it_answers(owner, make_image):
    image = make_image(owner)
    job = GenerationJob.objects.create(
        owner=owner, request={"prompt": "a red square"}, status=GenerationJob.Status.SUCCEEDED
    )
    job.images.add(image)
    answer = api_for(owner).get(f"/api/v1/generations/{job.pk}/").json()
    [item] = answer["images"]
    assert served(Client().get(item["url"])).status_code == 200
    assert served(Client().get(item["thumbnail_url"])).status_code == 200


def test_a_jobs_preview_opens_with_the_owners_token_only(owner, other, make_image):
    from django.core.files.base import ContentFile

    job = GenerationJob.objects.create(owner=owner, request={"prompt": "a red square"})
    job.preview.save("preview.webp", ContentFile(b"RIFF....WEBP"))
    path = f"/jobs/{job.pk}/preview.webp"
    script = Client(headers={"authorization": f"Bearer {token_of(owner)}"})
    assert served(script.get(path)).status_code == 200
    stranger = Client(headers={"authorization": f"Bearer {token_of(other)}"})
    assert stranger.get(path).status_code == 404


def test_the_schema_says_how_the_file_urls_open(db):
    schema = Client().get("/api/schema/", {"format": "json"}).json()
    image = schema["components"]["schemas"]["Image"]["properties"]
    for field in ("url", "thumbnail_url"):
        description = image[field]["description"]
        assert "Authorization: Token" in description and "`key`" in description
