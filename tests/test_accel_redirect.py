"""Behind nginx (ATELIER_ACCEL_REDIRECT): the permission check stays Django's,
and the file itself is named to nginx in X-Accel-Redirect, never streamed."""

from pathlib import Path
from urllib.parse import unquote

import pytest
from django.conf import settings as django_settings
from django.test import Client

PREFIX = "/protected-media/"


@pytest.fixture
def behind_nginx(settings, local_storage):
    """nginx sends files from the media folder: a local one, even in the S3 pass."""
    settings.ATELIER_ACCEL_REDIRECT = PREFIX


def stored_file(response) -> Path:
    """The file nginx would send: the header's path under the media folder."""
    location = response["X-Accel-Redirect"]
    assert location.startswith(PREFIX)
    return Path(django_settings.MEDIA_ROOT) / unquote(location.removeprefix(PREFIX))


@pytest.mark.parametrize(
    "path, field",
    [("/images/{}/file", "file"), ("/images/{}/thumb.webp", "thumbnail")],
)
def test_a_public_images_files_are_handed_to_nginx(owner, make_image, behind_nginx, path, field):
    image = make_image(owner, visibility="public")
    response = Client().get(path.format(image.pk))
    assert response.status_code == 200
    assert response.content == b""
    assert stored_file(response) == Path(getattr(image, field).path)
    assert response["Cache-Control"].startswith("public")


def test_a_download_keeps_its_name(owner, owner_client, make_image, behind_nginx):
    image = make_image(owner)
    response = owner_client.get(f"/images/{image.pk}/download")
    assert response.status_code == 200
    assert stored_file(response) == Path(image.file.path)
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"].startswith("private")


def test_nobody_else_gets_a_private_file_named_to_nginx(
    owner, other_client, make_image, behind_nginx
):
    image = make_image(owner)
    response = other_client.get(f"/images/{image.pk}/file")
    assert response.status_code == 404
    assert "X-Accel-Redirect" not in response


def test_without_nginx_the_file_is_streamed(owner, make_image, local_storage):
    """Streamed from the local folder (on S3 the answer is a redirect)."""
    image = make_image(owner, visibility="public")
    response = Client().get(f"/images/{image.pk}/file")
    assert "X-Accel-Redirect" not in response
    with image.file.open("rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()


def test_an_image_shared_without_its_recipe_is_sent_by_django_to_others_only(
    owner, owner_client, other_client, make_image, behind_nginx
):
    """nginx would send the stored file, recipe and all: others get the
    stripped bytes from Django; the owner's file is still nginx's."""
    image = make_image(owner, visibility="public", prompt="a secret lighthouse")
    image.share_without_recipe = True
    image.save(update_fields=["share_without_recipe"])
    theirs = other_client.get(f"/images/{image.pk}/file")
    assert "X-Accel-Redirect" not in theirs
    assert theirs.content and b"lighthouse" not in theirs.content
    assert theirs["Cache-Control"].startswith("private")
    mine = owner_client.get(f"/images/{image.pk}/file")
    assert stored_file(mine) == Path(image.file.path)
    assert mine["Cache-Control"].startswith("private")
