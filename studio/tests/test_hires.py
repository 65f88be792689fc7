"""Hires fix and the Upscale action through the Generate page, the API and
the worker, on the tiny model: the size made, the recipe (A1111's names in
the PNG), Remix, who may upscale what, and the values that are refused."""

import io

import pytest
from PIL import Image as PILImage

from imaging.png_metadata import read_recipe
from studio.models import GenerationJob
from studio.runner import run_job
from tests.fixtures import api_for

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


def finished(job) -> GenerationJob:
    run_job(str(job.pk))
    job.refresh_from_db()
    return job


def file_of(image) -> bytes:
    with image.file.open("rb") as file:
        return file.read()


def remix_link(client, image) -> str:
    page = client.get(f"/images/{image.pk}/")
    return next(
        line.split('href="')[1].split('"')[0].replace("&amp;", "&")
        for line in page.text.splitlines()
        if "bi-shuffle" in line
    )


def test_a_hires_fix_makes_the_scaled_size_and_records_it(owner_client, tiny_settings):
    response = owner_client.post(
        "/generate/",
        {**FORM, "hires_upscale": "2", "hires_upscaler": "lanczos", "hires_steps": "6"},
    )
    assert response.status_code == 302
    job = GenerationJob.objects.get()
    assert job.request["hires_upscale"] == 2.0 and job.request["hires_upscaler"] == "lanczos"
    assert job.request["denoising_strength"] == 0.5  # the hires default

    job = finished(job)
    assert job.status == "succeeded", job.error
    result = job.images.get()
    data = file_of(result)
    assert PILImage.open(io.BytesIO(data)).size == (128, 128)
    assert (result.width, result.height) == (128, 128)
    assert result.recipe["width"] == 64 and result.recipe["height"] == 64  # A1111's "Size"
    assert result.recipe["hires_upscale"] == 2.0
    assert result.recipe["hires_upscaler"] == "Lanczos"
    assert result.recipe["hires_steps"] == 6
    assert result.recipe["denoising_strength"] == 0.5
    text = PILImage.open(io.BytesIO(data)).text["parameters"]
    for part in ("Size: 64x64", "Hires upscale: 2", "Hires upscaler: Lanczos", "Hires steps: 6"):
        assert part in text
    assert "Denoising strength: 0.5" in text
    assert read_recipe(data)["hires_upscaler"] == "Lanczos"

    # Remix brings the hires fix back, at the base size.
    form = owner_client.get(remix_link(owner_client, result)).context["form"]
    assert float(form["hires_upscale"].value()) == 2.0
    assert form["hires_upscaler"].value() == "lanczos"
    assert int(form["hires_steps"].value()) == 6
    assert int(form["width"].value()) == 64 and float(form["denoising_strength"].value()) == 0.5


def test_upscaling_someone_elses_public_image(
    owner_client, owner, other, make_image, tiny_settings
):
    shared = make_image(other, visibility="public", prompt="a red square")
    response = owner_client.post(f"/generate/upscale/{shared.pk}/")
    assert response.status_code == 302
    job = GenerationJob.objects.get()
    assert job.owner == owner
    assert job.request["init_image"] == shared.pk
    assert job.request["init_image_sha256"] == shared.sha256
    assert job.request["prompt"] == "a red square"  # from its recipe
    assert (job.request["width"], job.request["height"]) == (64, 48)  # the image's own size

    job = finished(job)
    assert job.status == "succeeded", job.error
    result = job.images.get()
    assert result.owner == owner and result.visibility == "private"
    assert PILImage.open(io.BytesIO(file_of(result))).size == (128, 96)
    recipe = result.recipe
    assert recipe["init_image"] == shared.pk and recipe["init_image_sha256"] == shared.sha256
    assert recipe["hires_upscale"] == 2.0 and recipe["hires_upscaler"] == "Lanczos"
    assert recipe["denoising_strength"] == 0.35

    # Remix brings the source and the upscale back.
    form = owner_client.get(remix_link(owner_client, result)).context["form"]
    assert str(form["init_image"].value()) == str(shared.pk)
    assert float(form["hires_upscale"].value()) == 2.0
    assert float(form["denoising_strength"].value()) == 0.35


def test_the_upscale_action_takes_the_persons_choices(
    owner_client, owner, make_image, tiny_settings
):
    mine = make_image(owner)
    body = {"hires_upscale": "1.5", "hires_upscaler": "latent", "denoising_strength": "0.2"}
    assert owner_client.post(f"/generate/upscale/{mine.pk}/", body).status_code == 302
    request = GenerationJob.objects.get().request
    assert request["hires_upscale"] == 1.5 and request["hires_upscaler"] == "latent"
    assert request["denoising_strength"] == 0.2


def test_upscaling_a_private_image_of_someone_else_is_a_404(
    owner_client, other, make_image, tiny_settings
):
    hidden = make_image(other, visibility="private")
    assert owner_client.post(f"/generate/upscale/{hidden.pk}/").status_code == 404
    assert owner_client.post("/generate/upscale/999999/").status_code == 404
    assert not GenerationJob.objects.exists()

    page = owner_client.get(f"/generate/?upscale={hidden.pk}")
    assert page.context["form"]["init_image"].value() is None
    assert "the image to upscale" in page.text


def test_the_upscale_link_fills_the_form(owner_client, other, make_image, tiny_settings):
    shared = make_image(other, visibility="public", prompt="a blue circle")
    assert (
        f'href="/generate/?upscale={shared.pk}"' in owner_client.get(f"/images/{shared.pk}/").text
    )
    page = owner_client.get(f"/generate/?upscale={shared.pk}")
    form = page.context["form"]
    assert page.context["starting_image"] == shared
    assert str(form["init_image"].value()) == str(shared.pk)
    assert float(form["hires_upscale"].value()) == 2.0
    assert form["hires_upscaler"].value() == "lanczos"
    assert form["prompt"].value() == "a blue circle"
    assert '<details class="hires mb-3" open>' in page.text


def test_a_recipe_shared_without_it_is_not_copied(owner_client, other, make_image, tiny_settings):
    shared = make_image(other, visibility="public", prompt="secret words")
    shared.share_without_recipe = True
    shared.save(update_fields=["share_without_recipe"])
    assert owner_client.post(f"/generate/upscale/{shared.pk}/").status_code == 302
    assert GenerationJob.objects.get().request["prompt"] == ""  # an upscale needs none


@pytest.mark.parametrize("scale", ["1", "4.5", "-2", "nan", "inf", "twice", "1e400"])
def test_a_bad_scale_is_a_form_error_and_a_400(
    owner, owner_client, make_image, tiny_settings, scale
):
    page = owner_client.post("/generate/", {**FORM, "hires_upscale": scale})
    assert page.status_code == 200 and page.context["form"].errors["hires_upscale"]

    mine = make_image(owner)
    page = owner_client.post(f"/generate/upscale/{mine.pk}/", {"hires_upscale": scale})
    assert page.status_code == 200 and page.context["form"].errors["hires_upscale"]

    body = {"prompt": "a fox", "model": "tiny", "hires_upscale": scale}
    response = api_for(owner).post("/api/v1/generations/", body, format="json")
    assert response.status_code == 400 and "hires_upscale" in response.json()
    assert not GenerationJob.objects.exists()


@pytest.mark.parametrize("field,value", [("hires_upscaler", "ESRGAN"), ("hires_steps", "-1")])
def test_other_bad_hires_values_are_form_errors(owner_client, tiny_settings, field, value):
    page = owner_client.post("/generate/", {**FORM, "hires_upscale": "2", field: value})
    assert page.status_code == 200 and page.context["form"].errors[field]
    assert not GenerationJob.objects.exists()


def test_a_size_over_the_servers_limit_is_refused(owner, owner_client, tiny_settings):
    tiny_settings.ATELIER_MAX_OUTPUT_PIXELS = 100 * 100
    page = owner_client.post("/generate/", {**FORM, "hires_upscale": "2"})
    (error,) = page.context["form"].errors["hires_upscale"]
    assert "makes 128×128" in error and "10,000 pixels" in error

    body = {"prompt": "a fox", "model": "tiny", "width": 64, "height": 64, "hires_upscale": 2}
    response = api_for(owner).post("/api/v1/generations/", body, format="json")
    assert response.status_code == 400 and "10,000 pixels" in str(response.json())
    assert not GenerationJob.objects.exists()


def test_a_hires_fix_still_needs_a_prompt_without_a_starting_image(owner_client, tiny_settings):
    page = owner_client.post("/generate/", {**FORM, "prompt": "", "hires_upscale": "2"})
    assert page.context["form"].errors["prompt"]


def test_an_engine_without_hires_fix_refuses_it(owner_client, settings, tiny_settings):
    settings.ATELIER_ENGINES = {
        **settings.ATELIER_ENGINES,
        "huggingface": {"token": "hf_x", "timeout": 5},
    }
    page = owner_client.post("/generate/", {**FORM, "model": "sdxl-hf", "hires_upscale": "2"})
    (error,) = page.context["form"].errors["hires_upscale"]
    assert error.startswith("Hugging Face cannot run a hires fix or upscale.")
    assert "local engine" in error
    assert not GenerationJob.objects.exists()


def test_the_api_queues_a_hires_fix(owner, tiny_settings):
    body = {"prompt": "a fox", "model": "tiny", "width": 64, "height": 64, "hires_upscale": 1.5}
    response = api_for(owner).post("/api/v1/generations/", body, format="json")
    assert response.status_code == 202, response.json()
    request = GenerationJob.objects.get().request
    assert request["hires_upscale"] == 1.5 and request["hires_upscaler"] == "latent"


def test_the_api_takes_the_hires_object(owner, tiny_settings):
    body = {
        "prompt": "a fox",
        "model": "tiny",
        "hires": {"scale": 2, "upscaler": "Lanczos", "steps": 5, "denoising_strength": 0.4},
    }
    response = api_for(owner).post("/api/v1/generations/", body, format="json")
    assert response.status_code == 400  # "Lanczos" is A1111's name: the API takes the key
    assert "hires_upscaler" in response.json()
    body["hires"]["upscaler"] = "lanczos"
    response = api_for(owner).post("/api/v1/generations/", body, format="json")
    assert response.status_code == 202, response.json()
    request = GenerationJob.objects.get().request
    assert request["hires_upscale"] == 2.0 and request["hires_upscaler"] == "lanczos"
    assert request["hires_steps"] == 5 and request["denoising_strength"] == 0.4


def test_an_uploaded_file_is_upscaled_from_its_own_size(owner_client, tiny_settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.fixtures import picture, png_bytes

    file = SimpleUploadedFile("start.png", png_bytes(picture(101, 60)), content_type="image/png")
    body = {**FORM, "prompt": "", "width": "9999", "init_upload": file, "hires_upscale": "2"}
    assert owner_client.post("/generate/", body).status_code == 302
    request = GenerationJob.objects.get().request
    assert (request["width"], request["height"]) == (96, 56)  # its size, down to 8s
    assert request["prompt"] == "" and request["hires_upscale"] == 2.0
