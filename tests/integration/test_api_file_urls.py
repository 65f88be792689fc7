"""A script's private image, over real HTTP against a running server: the
URLs the API answers give its bytes to the script (with its token, or by the
signed key alone), and nothing to another person."""

import io
import os
from pathlib import Path

import httpx2
import pytest
from PIL import Image as PILImage

from tests.fixtures import picture, png_bytes
from tests.stack import Stack, api_client

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(django_db_blocker, tmp_path_factory):
    database = "postgres" if "postgres" in os.environ.get("DATABASE_URL", "") else "sqlite"
    # No worker: the image is uploaded, so no model is needed.
    with django_db_blocker.unblock():
        running = Stack(database=database, tiny_model=Path(tmp_path_factory.mktemp("no-model")))
    try:
        running.start(worker=False)
        yield running
    finally:
        running.stop()


def test_a_scripts_private_image_opens_from_the_urls_the_api_answers(stack):
    script = api_client(stack, "ada")
    upload = script.post(
        "/api/v1/images/",
        files={"file": ("sea.png", png_bytes(picture(64, 48)), "image/png")},
        data={"visibility": "private"},
    )
    assert upload.status_code == 201, upload.text
    image = script.get(f"/api/v1/images/{upload.json()['id']}/").json()

    for url, kind in ((image["url"], "PNG"), (image["thumbnail_url"], "WEBP")):
        plain = url.split("?")[0]
        with_token = script.get(plain)  # the header the script sends anyway
        assert with_token.status_code == 200, (url, with_token.status_code)
        assert PILImage.open(io.BytesIO(with_token.content)).format == kind
        signed = httpx2.get(url)  # no credentials at all: the key opens it
        assert signed.status_code == 200 and signed.content == with_token.content

    stranger = api_client(stack, "grace")
    assert stranger.get(image["url"].split("?")[0]).status_code == 404
    assert stranger.get(image["thumbnail_url"].split("?")[0]).status_code == 404
    visitor = httpx2.get(image["url"].split("?")[0])
    assert visitor.status_code == 302 and "/accounts/login/" in visitor.headers["location"]
