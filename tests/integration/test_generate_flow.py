"""The walking skeleton end to end, through real processes: a person signs
up, generates with the tiny model, gets a PNG with its recipe, downloads it
and deletes it — on the embedded broker and on Redis."""

import io
import re

import pytest
from PIL import Image as PILImage

from imaging.png_metadata import read_recipe
from tests.stack import Browser, Stack, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=["sqlite", "redis"], ids=["embedded-broker", "redis-broker"])
def stack(request, tiny_model_path, django_db_blocker):
    import os

    database = "postgres" if "postgres" in os.environ.get("DATABASE_URL", "") else "sqlite"
    with django_db_blocker.unblock():
        running = Stack(database=database, broker=request.param, tiny_model=tiny_model_path)
    try:
        running.start()
        yield running
    finally:
        running.stop()


def finished_job(person: Browser, job_url: str) -> dict:
    def check():
        job = person.http.get(job_url).json()
        return job if job["status"] in ("succeeded", "failed", "cancelled") else None

    return wait_for(check, timeout=180, what="the generation to finish", interval=0.1)


def test_a_person_generates_downloads_and_deletes_an_image(stack):
    person = Browser(stack)
    person.signup("ada")

    response = person.post_form(
        "/generate/",
        {
            "prompt": "a lighthouse at dawn",
            "negative_prompt": "blurry",
            "model": "tiny",
            "width": 64,
            "height": 48,
            "steps": 3,
            "cfg_scale": 7,
            "seed": 1234,
            "sampler": "Euler a",
            "n": 1,
            "visibility": "private",
        },
    )
    assert response.status_code == 302, stack.log("web")
    job_id = re.search(r"/jobs/([0-9a-f-]+)/", response.headers["location"]).group(1)

    job = finished_job(person, f"/api/v1/generations/{job_id}/")
    assert job["status"] == "succeeded", (job["error"], stack.log("worker"))
    assert job["progress"] == 1.0
    [image] = job["images"]
    assert (image["width"], image["height"]) == (64, 48)

    page = person.http.get(f"/jobs/{job_id}/")
    assert "100%" in page.text

    download = person.http.get(f"/images/{image['id']}/download")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    assert download.headers["content-disposition"].endswith('.png"')
    picture = PILImage.open(io.BytesIO(download.content))
    assert picture.format == "PNG" and picture.size == (64, 48)
    assert picture.text["parameters"].startswith("a lighthouse at dawn\nNegative prompt: blurry")
    assert "Seed: 1234" in picture.text["parameters"]
    assert read_recipe(download.content)["seed"] == 1234

    thumb = person.http.get(f"/images/{image['id']}/thumb.webp")
    assert thumb.status_code == 200 and PILImage.open(io.BytesIO(thumb.content)).format == "WEBP"
    stored = {p.suffix for p in stack.media_files() if "previews" not in p.parts}
    assert stored == {".png", ".webp"}

    mine = person.http.get("/me/images/")
    assert f"/images/{image['id']}/" in mine.text

    deleted = person.post_form(f"/images/{image['id']}/delete/", {})
    assert deleted.status_code == 302
    assert person.http.get(f"/images/{image['id']}/").status_code == 404
    assert [p for p in stack.media_files() if "previews" not in p.parts] == []


def test_another_person_cannot_see_or_delete_a_private_image(stack):
    owner, stranger, visitor = Browser(stack), Browser(stack), Browser(stack)
    owner.signup("owner")
    stranger.signup("stranger")
    response = owner.post_form(
        "/generate/",
        {
            "prompt": "mine only",
            "model": "tiny",
            "width": 32,
            "height": 32,
            "steps": 2,
            "cfg_scale": 5,
            "seed": 1,
            "sampler": "Euler",
            "n": 1,
            "visibility": "private",
        },
    )
    job_id = re.search(r"/jobs/([0-9a-f-]+)/", response.headers["location"]).group(1)
    job = finished_job(owner, f"/api/v1/generations/{job_id}/")
    image_id = job["images"][0]["id"]

    for path in (
        f"/images/{image_id}/",
        f"/images/{image_id}/download",
        f"/images/{image_id}/file",
        f"/images/{image_id}/thumb.webp",
    ):
        assert stranger.http.get(path).status_code == 404, path
        assert visitor.http.get(path).status_code == 302, path
        assert "/accounts/login/" in visitor.http.get(path).headers["location"]
    refused = stranger.http.post(f"/images/{image_id}/delete/")  # no CSRF token even
    assert refused.status_code in (403, 404)
    assert stranger.http.get(f"/jobs/{job_id}/").status_code == 404
    assert owner.http.get(f"/images/{image_id}/download").status_code == 200
