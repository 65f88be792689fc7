"""Image to image through the Generate page, the API and the worker, on the
tiny model: the starting image picked in the gallery or uploaded, its recipe,
Remix, and the inputs that are refused."""

import io

import pytest

from gallery.models import Image
from imaging.png_metadata import read_recipe
from studio.init_images import GONE
from studio.models import GenerationJob
from studio.runner import run_job
from tests.fixtures import api_for, picture, png_bytes

pytestmark = pytest.mark.local_engine

FORM = {
    "prompt": "a lighthouse at dawn",
    "model": "tiny",
    "width": "64",
    "height": "64",
    "steps": "4",
    "seed": "7",
    "sampler": "Euler a",
    "n": "1",
    "visibility": "private",
}


def upload(content: bytes, name="start.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="image/png")


def finished(job) -> GenerationJob:
    run_job(str(job.pk))
    job.refresh_from_db()
    return job


def test_use_as_starting_image_links_on_the_image_page(owner_client, owner, make_image):
    image = make_image(owner)
    page = owner_client.get(f"/images/{image.pk}/")
    assert f'href="/generate/?init={image.pk}"' in page.text
    assert "Use as starting image" in page.text


def test_a_gallery_image_starts_the_job_and_is_in_its_recipe(
    owner_client, owner, make_image, tiny_settings
):
    source = make_image(owner)
    page = owner_client.get(f"/generate/?init={source.pk}")
    assert page.context["starting_image"] == source
    assert f'name="init_image" value="{source.pk}"' in page.text

    response = owner_client.post(
        "/generate/",
        {**FORM, "init_image": source.pk, "denoising_strength": "0.5", "resize_mode": "fit"},
    )
    assert response.status_code == 302
    job = GenerationJob.objects.get()
    assert job.request["init_image"] == source.pk
    assert job.request["init_image_sha256"] == source.sha256
    assert job.request["denoising_strength"] == 0.5 and job.request["resize_mode"] == "fit"

    job = finished(job)
    assert job.status == "succeeded", job.error
    result = job.images.get()
    assert result.recipe["init_image"] == source.pk
    assert result.recipe["init_image_sha256"] == source.sha256
    assert result.recipe["denoising_strength"] == 0.5
    assert result.recipe["resize_mode"] == "Resize and fill"
    with result.file.open("rb") as f:
        data = f.read()
    from PIL import Image as PILImage

    text = PILImage.open(io.BytesIO(data)).text["parameters"]
    assert "Denoising strength: 0.5" in text and "Resize mode: Resize and fill" in text
    assert read_recipe(data)["init_image_sha256"] == source.sha256

    # The finished job page offers its image as the next starting image.
    status = owner_client.get(f"/jobs/{job.pk}/status/")
    assert f"/generate/?init={result.pk}" in status.text

    # Remix brings the source, the strength and the resize mode back.
    detail = owner_client.get(f"/images/{result.pk}/")
    remix = next(
        line.split('href="')[1].split('"')[0].replace("&amp;", "&")
        for line in detail.text.splitlines()
        if "bi-shuffle" in line
    )
    form = owner_client.get(remix).context["form"]
    assert str(form["init_image"].value()) == str(source.pk)
    assert float(form["denoising_strength"].value()) == 0.5
    assert form["resize_mode"].value() == "fit"


def test_an_uploaded_starting_image_is_kept_as_a_private_image(owner_client, owner, tiny_settings):
    content = png_bytes(picture(96, 64))
    response = owner_client.post("/generate/", {**FORM, "init_upload": upload(content)})
    assert response.status_code == 302
    stored = Image.objects.get()
    assert stored.owner == owner and stored.visibility == "private"
    job = GenerationJob.objects.get()
    assert job.request["init_image"] == stored.pk
    assert job.request["denoising_strength"] == 0.6 and job.request["resize_mode"] == "crop"
    assert finished(job).status == "succeeded", job.error
    assert job.images.get().recipe["init_image_sha256"] == stored.sha256

    # The same file again is not stored twice.
    owner_client.post("/generate/", {**FORM, "init_upload": upload(content)})
    assert Image.objects.filter(source=Image.Source.UPLOADED).count() == 1


def test_a_file_that_is_not_an_image_is_a_form_error(owner_client, tiny_settings):
    page = owner_client.post("/generate/", {**FORM, "init_upload": upload(b"not a picture")})
    assert page.status_code == 200
    assert page.context["form"].errors["init_upload"]
    assert not GenerationJob.objects.exists() and not Image.objects.exists()


def test_a_too_large_upload_is_a_form_error(owner_client, settings, tiny_settings):
    settings.ATELIER_MAX_UPLOAD_PIXELS = 100
    page = owner_client.post("/generate/", {**FORM, "init_upload": upload(png_bytes(picture()))})
    assert page.context["form"].errors["init_upload"]
    assert not GenerationJob.objects.exists() and not Image.objects.exists()


@pytest.mark.parametrize("strength", ["1.5", "-0.1", "nan", "inf", "much"])
def test_strength_outside_0_to_1_is_a_form_error(
    owner_client, owner, make_image, tiny_settings, strength
):
    source = make_image(owner)
    page = owner_client.post(
        "/generate/", {**FORM, "init_image": source.pk, "denoising_strength": strength}
    )
    assert page.status_code == 200 and page.context["form"].errors["denoising_strength"]
    assert not GenerationJob.objects.exists()


def test_another_persons_private_image_is_refused(owner_client, other, make_image, tiny_settings):
    hidden = make_image(other, visibility="private")
    page = owner_client.get(f"/generate/?init={hidden.pk}")
    assert page.context["starting_image"] is None
    assert page.context["form"]["init_image"].value() is None
    assert "the starting image" in page.text

    page = owner_client.post("/generate/", {**FORM, "init_image": hidden.pk})
    assert page.status_code == 200
    assert page.context["form"].errors["init_image"] == [
        "That starting image does not exist or is not visible to you."
    ]
    assert not GenerationJob.objects.exists()


def test_another_persons_public_image_may_start_a_job(
    owner_client, other, make_image, tiny_settings
):
    shared = make_image(other, visibility="public")
    owner_client.post("/generate/", {**FORM, "init_image": shared.pk})
    assert GenerationJob.objects.get().request["init_image"] == shared.pk


def test_a_source_made_private_since_fails_the_job_clearly(
    owner_client, owner, other, make_image, tiny_settings
):
    shared = make_image(other, visibility="public")
    owner_client.post("/generate/", {**FORM, "init_image": shared.pk})
    Image.objects.filter(pk=shared.pk).update(visibility="private")
    job = finished(GenerationJob.objects.get())
    assert job.status == "failed" and job.error == GONE
    assert not job.images.exists()


def test_a_deleted_source_fails_the_job_clearly(owner_client, owner, make_image, tiny_settings):
    source = make_image(owner)
    owner_client.post("/generate/", {**FORM, "init_image": source.pk})
    source.delete()
    job = finished(GenerationJob.objects.get())
    assert job.status == "failed" and job.error == GONE


def test_the_api_takes_an_init_image_id(owner, other, make_image, tiny_settings):
    api = api_for(owner)
    source = make_image(owner)
    body = {"prompt": "a fox", "init_image": source.pk, "denoising_strength": 0.3}
    response = api.post("/api/v1/generations/", body, format="json")
    assert response.status_code == 202, response.json()
    job = GenerationJob.objects.get()
    assert job.request["init_image"] == source.pk and job.request["denoising_strength"] == 0.3

    hidden = make_image(other, visibility="private")
    refused = api.post("/api/v1/generations/", {**body, "init_image": hidden.pk}, format="json")
    assert refused.status_code == 400
    assert "not visible to you" in str(refused.json())
    assert GenerationJob.objects.count() == 1
