"""Viewing, downloading and deleting an image: owner, other person, staff, visitor."""

import time

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from gallery.files import LINK_SECONDS, file_link
from gallery.models import Image
from tests.fixtures import served

PATHS = ["/images/{}/", "/images/{}/file", "/images/{}/download", "/images/{}/thumb.webp"]


@pytest.mark.parametrize("path", PATHS)
def test_the_owner_opens_a_private_image(owner, owner_client, make_image, path):
    image = make_image(owner)
    assert served(owner_client.get(path.format(image.pk))).status_code == 200


@pytest.mark.parametrize("path", PATHS)
def test_another_person_gets_404_for_a_private_image(owner, other_client, make_image, path):
    image = make_image(owner)
    assert other_client.get(path.format(image.pk)).status_code == 404


@pytest.mark.parametrize("path", PATHS)
def test_a_visitor_is_sent_to_log_in_for_a_private_image(owner, make_image, path):
    image = make_image(owner)
    response = Client().get(path.format(image.pk))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("path", PATHS)
def test_anyone_opens_a_public_image(owner, make_image, path):
    image = make_image(owner, visibility="public")
    assert served(Client().get(path.format(image.pk))).status_code == 200


@pytest.mark.parametrize(
    "path", ["/images/{}/file", "/images/{}/download", "/images/{}/thumb.webp"]
)
def test_a_public_images_files_stay_in_shared_caches_a_minute_at_most(owner, make_image, path):
    """Made private, it must not be served from a proxy or CDN for a day. (On
    S3 the answer is a redirect to a presigned URL, which no shared cache may
    keep at all.)"""
    image = make_image(owner, visibility="public")
    directives = dict(
        part.strip().partition("=")[::2]
        for part in Client().get(path.format(image.pk))["Cache-Control"].split(",")
    )
    assert "public" in directives or "private" in directives
    shared = (
        0 if "private" in directives else int(directives.get("s-maxage", directives["max-age"]))
    )
    assert shared <= 60 and int(directives["max-age"]) <= 3600


def test_a_signed_link_opens_a_private_images_file_for_an_hour(owner, make_image, monkeypatch):
    image, other_image = make_image(owner), make_image(owner)
    link = file_link(image)
    response = served(Client().get(link))
    assert response.status_code == 200
    assert response.content == default_storage.open(image.file.name).read()
    # Not another image's file, not a changed key, not the image page.
    key = link.split("key=")[1]
    assert Client().get(f"/images/{other_image.pk}/file?key={key}").status_code == 302
    assert Client().get(f"{link[:-2]}xx").status_code == 302
    assert Client().get(f"/images/{image.pk}/?key={key}").status_code == 302
    # An hour and a second later it is a plain link again.
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + LINK_SECONDS + 1)
    assert Client().get(link).status_code == 302


def test_download_is_the_original_png_as_an_attachment(owner, owner_client, make_image):
    image = make_image(owner, prompt="A Lighthouse, at dawn!")
    response = served(owner_client.get(f"/images/{image.pk}/download"))
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="atelier-{image.pk}-a-lighthouse-at-dawn.png"'
    )
    with image.file.open("rb") as f:
        assert response.content == f.read()


def test_the_detail_page_shows_the_whole_recipe(owner, owner_client, make_image):
    image = make_image(owner, prompt="a fox in snow")
    page = owner_client.get(f"/images/{image.pk}/").text
    for text in ("a fox in snow", "Euler a", "42", "64 × 48", "Remix", "Download"):
        assert text in page


def test_the_owner_deletes_an_image_and_its_files(
    owner, owner_client, make_image, django_capture_on_commit_callbacks
):
    image = make_image(owner)
    files = [image.file.name, image.thumbnail.name]
    assert owner_client.get(f"/images/{image.pk}/delete/").status_code == 200  # confirmation
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"/images/{image.pk}/delete/")
    assert response.status_code == 302
    assert not Image.objects.filter(pk=image.pk).exists()
    assert not any(default_storage.exists(name) for name in files)


def test_staff_can_delete_anyones_image(owner, staff_client, make_image):
    image = make_image(owner)
    assert staff_client.post(f"/images/{image.pk}/delete/").status_code == 302
    assert not Image.objects.filter(pk=image.pk).exists()


@pytest.mark.parametrize("visibility", ["private", "public"])
def test_another_person_cannot_delete(owner, other_client, make_image, visibility):
    image = make_image(owner, visibility=visibility)
    assert other_client.post(f"/images/{image.pk}/delete/").status_code == 404
    assert Image.objects.filter(pk=image.pk).exists()
    assert default_storage.exists(image.file.name)


def test_a_visitor_cannot_delete(owner, make_image):
    image = make_image(owner, visibility="public")
    response = Client().post(f"/images/{image.pk}/delete/")
    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert Image.objects.filter(pk=image.pk).exists()


def test_my_images_lists_only_mine_newest_first(owner, other, owner_client, make_image):
    first = make_image(owner, prompt="first")
    second = make_image(owner, prompt="second")
    make_image(other, prompt="someone else's", visibility="public")
    images = owner_client.get("/me/images/").context["images"]
    assert [image.pk for image in images] == [second.pk, first.pk]


def test_my_images_has_sizes_so_nothing_jumps(owner, owner_client, make_image):
    image = make_image(owner)
    page = owner_client.get("/me/images/").text
    assert f'width="{image.thumb_width}" height="{image.thumb_height}"' in page
