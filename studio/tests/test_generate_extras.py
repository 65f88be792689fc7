"""The Generate page's extras: a batch count beside the number of images, a
recipe read from a dropped file, and the shape buttons' bounds."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from PIL.PngImagePlugin import PngInfo

from imaging.png_metadata import encode_png
from studio.backends.base import GeneratedImage, GenerationRequest, Progress
from studio.batches import generate_batches
from studio.models import GenerationJob
from studio.runner import run_job
from tests.fixtures import picture, png_bytes

FORM = {
    "prompt": "a lighthouse",
    "model": "tiny",
    "width": "64",
    "height": "64",
    "steps": "2",
    "seed": "100",
    "sampler": "Euler a",
    "n": "2",
    "visibility": "private",
}


@pytest.mark.local_engine
def test_batches_run_one_after_another_with_seeds_going_on(owner_client, tiny_settings):
    response = owner_client.post("/generate/", {**FORM, "batch_count": "2"})
    assert response.status_code == 302
    job = GenerationJob.objects.get()
    assert (job.request["n"], job.request["batch_count"]) == (2, 2)
    assert "2 batches of 2" in owner_client.get(f"/jobs/{job.pk}/").text

    run_job(str(job.pk))
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert sorted(image.recipe["seed"] for image in job.images.all()) == [100, 101, 102, 103]


def test_the_progress_of_batches_counts_every_batchs_steps():
    class Engine:
        def generate(self, request, report, should_cancel):
            for step in (1, 2):
                report(Progress("sampling", step, 2, message="Sampling"))
            report(Progress("decoding"))
            return [GeneratedImage(picture(), seed) for seed in request.seeds()]

    reports = []
    request = GenerationRequest(prompt="x", seed=10, n=2)
    results = generate_batches(Engine(), request, 3, reports.append, lambda: False)
    assert [r.seed for r in results] == [10, 11, 12, 13, 14, 15]
    sampling = [(r.step, r.total, r.message) for r in reports if r.phase == "sampling"]
    assert sampling[:3] == [(1, 6, "Batch 1 of 3 · Sampling"), (2, 6, "Batch 1 of 3 · Sampling"),
                            (3, 6, "Batch 2 of 3 · Sampling")]  # fmt: skip
    assert sampling[-1] == (6, 6, "Batch 3 of 3 · Sampling")
    assert [r.phase for r in reports].count("decoding") == 3


@pytest.mark.local_engine
@pytest.mark.parametrize(
    "fields, message",
    [
        ({"n": "4", "batch_count": "5"}, "At most 16 images a generation"),
        ({"batch_count": "9"}, "less than or equal to 8"),
        ({"batch_count": "0"}, "greater than or equal to 1"),
        ({"batch_count": "1e309"}, "Enter a whole number."),
    ],
)
def test_too_many_batches_are_a_form_error(owner_client, tiny_settings, fields, message):
    response = owner_client.post("/generate/", {**FORM, **fields})
    assert response.status_code == 200 and message in response.text
    assert not GenerationJob.objects.exists()


@pytest.mark.local_engine
def test_the_model_options_carry_their_size_bounds_for_the_shape_buttons(
    owner_client, tiny_settings
):
    page = owner_client.get("/generate/").text
    assert 'data-min-size="32" data-max-size="512"' in page
    for aspect in ("1:1", "16:9", "9:16"):
        assert f'data-aspect="{aspect}"' in page


def drop(client, content: bytes, name="dropped.png"):
    file = SimpleUploadedFile(name, content, content_type="image/png")
    return client.post("/generate/recipe/", {"file": file})


def test_a_dropped_file_with_an_a1111_recipe_gives_the_remix_query(owner_client):
    parameters = "a red fox\nNegative prompt: fog\nSteps: 3, Sampler: Euler, Seed: 42, Size: 64x48"
    image = PILImage.new("RGB", (64, 48))
    info = PngInfo()
    info.add_text("parameters", parameters)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", pnginfo=info)
    answer = drop(owner_client, buffer.getvalue())
    assert answer.status_code == 200
    query = answer.json()["query"]
    assert "prompt=a+red+fox" in query and "seed=42" in query and "negative_prompt=fog" in query
    assert answer.json()["source"] == "A1111"


def test_a_dropped_atelier_picture_keeps_its_style(owner_client):
    recipe = {"prompt": "photo of a cat", "seed": 3, "steps": 4, "style": "Photograph"}
    answer = drop(owner_client, encode_png(picture(), recipe))
    assert answer.status_code == 200 and "seed=3" in answer.json()["query"]


@pytest.mark.parametrize(
    "content, status, message",
    [
        (None, 404, "This file carries no recipe."),
        (b"not an image at all", 404, "This file carries no recipe."),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, 404, "This file carries no recipe."),
    ],
)
def test_a_dropped_file_without_a_recipe_says_so(owner_client, content, status, message):
    answer = drop(owner_client, png_bytes(picture()) if content is None else content)
    assert answer.status_code == status and answer.json()["error"] == message


def test_the_recipe_reader_needs_a_file_and_a_person(owner_client, client, settings):
    assert owner_client.post("/generate/recipe/").status_code == 400
    assert owner_client.get("/generate/recipe/").status_code == 405
    settings.ATELIER_MAX_UPLOAD_BYTES = 10
    too_big = drop(owner_client, png_bytes(picture()))
    assert (
        too_big.status_code == 400 and too_big.json()["error"] == "This file is too large to read."
    )
    assert drop(client, b"x").status_code == 302  # to the login page
