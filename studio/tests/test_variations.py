"""Variations through the Generate page, the API and the worker, on the tiny
model: A1111's variation seed and strength in the job, in each image's recipe
and PNG ("Variation seed", "Variation seed strength"), brought back by Remix,
and refused where they cannot apply."""

import dataclasses
import io

import pytest
from PIL import Image as PILImage

from studio.backends.base import GenerationRequest
from studio.forms import VARIATION_TEXT_ONLY
from studio.models import GenerationJob
from studio.runner import run_job
from tests.fixtures import api_for

pytestmark = pytest.mark.local_engine

FORM = {
    "prompt": "a lighthouse at dawn",
    "model": "tiny",
    "width": "64",
    "height": "64",
    "steps": "2",
    "seed": "7",
    "sampler": "Euler a",
    "n": "2",
    "visibility": "private",
}


def finished(job) -> GenerationJob:
    run_job(str(job.pk))
    job.refresh_from_db()
    return job


def test_the_recipe_records_the_variation_and_remix_restores_it(owner_client, owner, tiny_settings):
    response = owner_client.post(
        "/generate/", {**FORM, "variation_seed": "99", "variation_seed_strength": "0.25"}
    )
    assert response.status_code == 302
    job = GenerationJob.objects.get()
    assert job.request["variation_seed"] == 99 and job.request["variation_seed_strength"] == 0.25
    job = finished(job)
    assert job.status == "succeeded", job.error
    first, second = job.images.order_by("id")
    # A1111's numbering: image i has seed + i and variation seed + i.
    assert (first.recipe["seed"], first.recipe["variation_seed"]) == (7, 99)
    assert (second.recipe["seed"], second.recipe["variation_seed"]) == (8, 100)
    assert first.recipe["variation_seed_strength"] == 0.25
    with first.file.open("rb") as f:
        text = PILImage.open(io.BytesIO(f.read())).text["parameters"]
    assert "Variation seed: 99, Variation seed strength: 0.25" in text

    # Remix brings back the seed, variation seed and strength.
    detail = owner_client.get(f"/images/{second.pk}/")
    link = next(
        line.split('href="')[1].split('"')[0].replace("&amp;", "&")
        for line in detail.text.splitlines()
        if "bi-shuffle" in line
    )
    form = owner_client.get(link).context["form"]
    assert str(form["seed"].value()) == "8"
    assert str(form["variation_seed"].value()) == "100"
    assert float(form["variation_seed_strength"].value()) == 0.25


def test_a_random_variation_seed_is_made_concrete(owner_client, tiny_settings):
    owner_client.post(
        "/generate/", {**FORM, "variation_seed": "-1", "variation_seed_strength": "1"}
    )
    request = GenerationJob.objects.get().request
    assert 0 <= request["variation_seed"] < 2**32 and request["variation_seed_strength"] == 1.0


def test_strength_zero_records_nothing(owner_client, tiny_settings):
    owner_client.post(
        "/generate/", {**FORM, "variation_seed": "99", "variation_seed_strength": "0"}
    )
    assert "variation_seed" not in GenerationJob.objects.get().request
    plain = GenerationRequest(prompt="p", seed=7, variation_seed=99, variation_strength=0.0)
    assert "variation_seed" not in plain.recipe(7, "diffusers")
    varied = dataclasses.replace(plain, variation_strength=0.5, n=2)
    assert varied.recipe(8, "diffusers")["variation_seed"] == 100


def test_bad_variation_input_is_refused(owner_client, owner, make_image, settings, tiny_settings):
    for strength, message in (
        ("1.5", "Ensure this value is less than or equal to 1.0."),
        ("-0.1", "Ensure this value is greater than or equal to 0.0."),
        ("1e309", "Enter a number."),
    ):
        page = owner_client.post("/generate/", {**FORM, "variation_seed_strength": strength})
        assert page.status_code == 200
        assert message in page.context["form"].errors["variation_seed_strength"]
    page = owner_client.post("/generate/", {**FORM, "variation_seed": str(2**32)})
    assert "variation_seed" in page.context["form"].errors

    source = make_image(owner)
    varied = {**FORM, "variation_seed_strength": "0.5"}
    page = owner_client.post("/generate/", {**varied, "init_image": source.pk})
    assert VARIATION_TEXT_ONLY in page.context["form"].errors["variation_seed_strength"]

    settings.ATELIER_ENGINES = {
        **settings.ATELIER_ENGINES,
        "comfyui": {"url": "http://127.0.0.1:9", "timeout": 5},
    }
    page = owner_client.post("/generate/", {**varied, "model": "comfyui-sdxl"})
    (error,) = page.context["form"].errors["variation_seed_strength"]
    assert error == (
        "ComfyUI cannot use a variation seed. "
        "The local engine and AUTOMATIC1111 can: pick one of their models."
    )
    assert not GenerationJob.objects.exists()


def test_the_api_takes_a_variation_seed(owner, tiny_settings):
    api = api_for(owner)
    body = {"prompt": "a fox", "variation_seed": 5, "variation_seed_strength": 0.4}
    response = api.post("/api/v1/generations/", body, format="json")
    assert response.status_code == 202, response.json()
    job = GenerationJob.objects.get()
    assert job.request["variation_seed"] == 5 and job.request["variation_seed_strength"] == 0.4
    refused = api.post(
        "/api/v1/generations/", {**body, "variation_seed_strength": 2}, format="json"
    )
    assert refused.status_code == 400 and "variation_seed_strength" in refused.json()
    assert GenerationJob.objects.count() == 1
    schema = api.get("/api/schema/?format=json").json()
    fields = schema["components"]["schemas"]["GenerationCreateRequest"]["properties"]
    assert {"variation_seed", "variation_seed_strength"} <= set(fields)
