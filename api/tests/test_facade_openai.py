"""The OpenAI Images-compatible API, through Django's test client: OpenAI's
request, response and error shapes. A generation runs in-process on the tiny
model (studio.runner.run_job) while the request waits for it."""

import base64
import io
import json

import numpy as np
import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image as PILImage
from PIL import ImageDraw, PngImagePlugin
from rest_framework.test import APIClient

import api.facades.waiting
import studio.runner
from accounts.tokens import create_token
from gallery.models import Image
from studio.models import GenerationJob
from studio.runner import run_job
from tests.fixtures import picture, served


@pytest.fixture
def openai(owner, tiny_settings):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer " + create_token(owner, "test")[1])
    return client


@pytest.fixture
def worker_in_process(monkeypatch):
    wait = api.facades.waiting.wait_for_job
    # No heartbeat thread writing meanwhile: the test's SQLite database is locked.
    monkeypatch.setattr(studio.runner, "heartbeat_every", lambda: 600)

    async def run_then_wait(job, seconds):
        await sync_to_async(run_job)(str(job.pk))
        return await wait(job, seconds)

    monkeypatch.setattr(api.facades.waiting, "wait_for_job", run_then_wait)


def generate(client, **body):
    return client.post("/v1/images/generations", body, format="json")


def test_it_answers_with_base64_images_and_the_prompt(openai, owner, worker_in_process):
    response = generate(
        openai,
        prompt="a fox",
        model="tiny",
        size="64x64",
        n=1,
        response_format="b64_json",
        user="someone",
        quality="hd",
    )
    assert response.status_code == 200, response.content
    answer = response.json()
    assert isinstance(answer["created"], int)
    [item] = answer["data"]
    assert item["revised_prompt"] == "a fox"
    picture = PILImage.open(io.BytesIO(base64.b64decode(item["b64_json"])))
    assert picture.format == "PNG" and picture.size == (64, 64)
    assert Image.objects.filter(owner=owner).count() == 1


def test_it_answers_with_urls_that_open_without_a_session(openai, owner, worker_in_process):
    response = generate(openai, prompt="a fox", model="tiny", size="64x64", response_format="url")
    assert response.status_code == 200, response.content
    [item] = response.json()["data"]
    image = Image.objects.get(owner=owner)
    assert image.visibility == "private"
    assert item["url"].startswith(f"http://testserver/images/{image.pk}/file?key=")
    opened = served(Client().get(item["url"]))
    assert opened.status_code == 200 and opened.headers["Content-Type"] == "image/png"
    assert Client().get(f"/images/{image.pk}/file").status_code == 302  # the key is what opens it


@pytest.mark.parametrize(
    "body, status, param, code",
    [
        ({"prompt": "a", "model": "dall-e-3"}, 404, "model", "model_not_found"),
        ({"model": "tiny"}, 400, "prompt", None),
        ({"prompt": 5}, 400, "prompt", None),
        ({"prompt": "\ud800 lone"}, 400, "prompt", None),
        ({"prompt": "a", "model": "\ud800"}, 400, "model", None),
        ({"prompt": "a", "size": "big"}, 400, "size", None),
        ({"prompt": "a", "size": "60x60"}, 400, "size", None),
        ({"prompt": "a", "size": "4096x4096"}, 400, "size", None),
        ({"prompt": "a", "n": 9}, 400, "n", None),
        ({"prompt": "a", "n": "two"}, 400, "n", None),
        ({"prompt": "a", "response_format": "jpeg"}, 400, "response_format", None),
    ],
)
def test_bad_input_is_an_openai_error_naming_the_parameter(openai, body, status, param, code):
    response = openai.post("/v1/images/generations", body, format="json")
    assert response.status_code == status
    error = response.json()["error"]
    assert error["message"] and error["type"] == "invalid_request_error"
    assert (error["param"], error["code"]) == (param, code)
    assert GenerationJob.objects.count() == 0


@pytest.mark.parametrize(
    "param, value",
    [("n", "1e309"), ("n", "-1e309"), ("n", "1" + "0" * 400), ("size", "1e309")],
)
def test_numbers_too_large_for_a_float_are_an_openai_error(openai, param, value):
    body = f'{{"prompt": "a", "{param}": {value}}}'
    response = openai.post("/v1/images/generations", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param
    assert GenerationJob.objects.count() == 0


def test_a_body_that_is_not_an_object_is_a_400(openai):
    assert openai.post("/v1/images/generations", [1], format="json").status_code == 400
    unreadable = openai.post("/v1/images/generations", "{no", content_type="application/json")
    assert unreadable.status_code == 400 and "error" in unreadable.json()


def test_a_deeply_nested_body_is_a_400_without_a_traceback(openai, caplog):
    deep = "[" * 3000 + "]" * 3000
    response = openai.generic(
        "POST", "/v1/images/generations", deep, content_type="application/json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and "nested deeper" in error["message"]
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


def test_it_wants_a_bearer_token(owner, tiny_settings):
    anonymous = APIClient().post("/v1/images/generations", {"prompt": "a"}, format="json")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "invalid_api_key"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    refused = client.get("/v1/models")
    assert refused.status_code == 401 and refused.json()["error"]["type"] == "invalid_request_error"


def test_too_many_waiting_jobs_is_a_429(openai, settings):
    settings.ATELIER_MAX_QUEUED_JOBS = 0
    response = generate(openai, prompt="a")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limit_exceeded"


def test_it_lists_the_models(openai):
    answer = openai.get("/v1/models").json()
    assert answer["object"] == "list"
    tiny = next(model for model in answer["data"] if model["id"] == "tiny")
    assert tiny["object"] == "model" and isinstance(tiny["created"], int) and tiny["owned_by"]


# Image edits and variations: multipart, as the official SDK sends them.

BOX = (16, 16, 40, 40)  # the part of the 64x64 picture an edit repaints


def png_file(image, name="image.png", **info):
    chunks = PngImagePlugin.PngInfo()
    for key, value in info.items():
        chunks.add_text(key, value)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", pnginfo=chunks)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def openai_mask(size=(64, 64), box=BOX, mode="RGBA"):
    """OpenAI's convention: opaque where the picture is kept, transparent (alpha 0) in ``box``."""
    mask = PILImage.new(mode, size, (0, 0, 0, 255) if mode == "RGBA" else 0)
    if box:
        ImageDraw.Draw(mask).rectangle(box, fill=(0, 0, 0, 0) if mode == "RGBA" else 255)
    return png_file(mask, "mask.png")


def decoded(item) -> np.ndarray:
    return np.asarray(PILImage.open(io.BytesIO(base64.b64decode(item["b64_json"]))).convert("RGB"))


def test_an_edit_with_a_mask_repaints_only_the_transparent_part(openai, owner, worker_in_process):
    source = picture(64, 64)
    response = openai.post(
        "/v1/images/edits",
        {
            "image": png_file(source),
            "mask": openai_mask(),
            "prompt": "a lighthouse",
            "model": "tiny",
            "response_format": "b64_json",
        },
        format="multipart",
    )
    assert response.status_code == 200, response.content
    [item] = response.json()["data"]
    assert item["revised_prompt"] == "a lighthouse"
    after, before = decoded(item), np.asarray(source)
    assert after.shape == before.shape
    edited = np.zeros((64, 64), bool)
    edited[BOX[1] : BOX[3] + 1, BOX[0] : BOX[2] + 1] = True
    assert (after[~edited] == before[~edited]).all()  # every opaque pixel kept
    assert (after[edited] != before[edited]).any()
    job = GenerationJob.objects.get()
    assert job.request["denoising_strength"] == 1.0 and job.request["mask_blur"] == 0
    assert job.request["init_image"]  # the picture is kept, private, as its source
    assert Image.objects.filter(owner=owner, visibility="private").count() == 2


def test_an_edit_without_a_mask_starts_from_the_picture_at_its_size(
    openai, owner, worker_in_process
):
    response = openai.post(
        "/v1/images/edits",
        {"image[]": png_file(picture(48, 40)), "prompt": "at night", "n": "2"},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    answer = response.json()
    assert len(answer["data"]) == 2
    opened = served(Client().get(answer["data"][0]["url"]))  # url is the default
    assert PILImage.open(io.BytesIO(opened.content)).size == (48, 40)
    request = GenerationJob.objects.get().request
    assert (request["width"], request["height"]) == (48, 40)
    assert request["denoising_strength"] == 0.75 and "mask" not in request


def test_a_variation_takes_its_prompt_from_the_pictures_recipe(openai, owner, worker_in_process):
    parameters = (
        "a lighthouse at dawn\nNegative prompt: fog\n"
        "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 5, Size: 64x64"
    )
    response = openai.post(
        "/v1/images/variations",
        {
            "image": png_file(picture(64, 64), parameters=parameters),
            "n": "2",
            "response_format": "b64_json",
        },
        format="multipart",
    )
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert [item["revised_prompt"] for item in data] == ["a lighthouse at dawn"] * 2
    job = GenerationJob.objects.get()
    assert job.request["negative_prompt"] == "fog" and job.request["seed"] != 5
    assert job.request["denoising_strength"] == 0.6
    seeds = {image.recipe["seed"] for image in job.images.all()}
    assert len(seeds) == 2


def test_a_variation_of_a_picture_without_a_recipe_has_no_prompt(openai, worker_in_process):
    response = openai.post(
        "/v1/images/variations",
        {"image": png_file(picture(64, 64)), "response_format": "b64_json"},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    [item] = response.json()["data"]
    assert "revised_prompt" not in item and decoded(item).shape == (64, 64, 3)
    assert GenerationJob.objects.get().request["prompt"] == ""


def not_a_picture():
    return SimpleUploadedFile("image.png", b"not a picture", content_type="image/png")


def edit(**fields):
    return {"image": png_file(picture(64, 64)), "prompt": "a lighthouse", **fields}


@pytest.mark.parametrize(
    "path, body, status, param, message",
    [
        ("edits", lambda: edit(image=not_a_picture()), 400, "image", ""),
        ("edits", lambda: {"prompt": "a lighthouse"}, 400, "image", "Missing"),
        ("edits", lambda: edit(prompt=""), 400, "prompt", "Missing"),
        ("edits", lambda: edit(mask=not_a_picture()), 400, "mask", ""),
        ("edits", lambda: edit(mask=openai_mask(mode="L")), 400, "mask", "alpha channel"),
        ("edits", lambda: edit(mask=openai_mask(size=(32, 32))), 400, "mask", "same dimensions"),
        ("edits", lambda: edit(mask=openai_mask(box=None)), 400, "mask", "no transparent"),
        ("edits", lambda: edit(mask=openai_mask(box=(0, 0, 64, 64))), 400, "mask", "everywhere"),
        ("edits", lambda: edit(size="big"), 400, "size", ""),
        ("edits", lambda: edit(size="4096x4096"), 400, "size", ""),
        ("edits", lambda: edit(n="9"), 400, "n", ""),
        ("edits", lambda: edit(n="two"), 400, "n", ""),
        ("edits", lambda: edit(response_format="jpeg"), 400, "response_format", ""),
        ("edits", lambda: edit(stream="true"), 400, "stream", ""),
        ("edits", lambda: edit(model="no-such-model"), 404, "model", "does not exist"),
        ("variations", lambda: {"image": not_a_picture()}, 400, "image", ""),
        ("variations", lambda: {}, 400, "image", "Missing"),
        ("variations", lambda: edit(n="0"), 400, "n", ""),
    ],
)
def test_a_bad_edit_or_variation_is_an_openai_error_and_queues_nothing(
    openai, path, body, status, param, message
):
    response = openai.post(f"/v1/images/{path}", body(), format="multipart")
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param
    assert message in error["message"] and error["message"]
    assert GenerationJob.objects.count() == 0
    assert Image.objects.count() == 0  # nor is the picture kept


def test_a_model_that_cannot_start_from_a_picture_is_refused(openai, settings):
    settings.ATELIER_ENGINES = {**settings.ATELIER_ENGINES, "openai": {"api_key": "sk-test"}}
    for path in ("edits", "variations"):
        body = edit(model="dall-e-3")
        response = openai.post(f"/v1/images/{path}", body, format="multipart")
        assert response.status_code == 400, response.content
        error = response.json()["error"]
        assert error["param"] == "model" and "cannot start from an image" in error["message"]
    assert GenerationJob.objects.count() == 0 and Image.objects.count() == 0


def test_a_picture_over_the_upload_limit_is_a_413(openai, settings):
    settings.ATELIER_MAX_UPLOAD_BYTES = 1000
    noise = PILImage.frombytes("RGB", (64, 64), np.random.default_rng(1).bytes(64 * 64 * 3))
    for path in ("edits", "variations"):
        response = openai.post(
            f"/v1/images/{path}", edit(image=png_file(noise)), format="multipart"
        )
        assert response.status_code == 413
        error = response.json()["error"]
        assert error["param"] == "image" and "larger than" in error["message"]
    assert GenerationJob.objects.count() == 0 and Image.objects.count() == 0


def test_too_many_waiting_jobs_keeps_no_picture(openai, settings):
    settings.ATELIER_MAX_QUEUED_JOBS = 0
    response = openai.post("/v1/images/edits", edit(), format="multipart")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limit_exceeded"
    assert Image.objects.count() == 0


def test_a_body_over_the_upload_limit_is_a_413_before_it_is_parsed(openai, settings):
    settings.ATELIER_MAX_UPLOAD_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    noise = PILImage.frombytes("RGB", (64, 64), np.random.default_rng(2).bytes(64 * 64 * 3))
    response = openai.post("/v1/images/edits", edit(image=png_file(noise)), format="multipart")
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and "too large" in error["message"]
    assert GenerationJob.objects.count() == 0 and Image.objects.count() == 0


def test_a_body_too_large_to_read_is_an_openai_413(openai, tiny_settings):
    body = json.dumps({"prompt": "a fox " * (1024 * 1024)})
    response = openai.post("/v1/images/generations", body, content_type="application/json")
    assert response.status_code == 413
    assert "larger than" in response.json()["error"]["message"]
    assert not GenerationJob.objects.exists()
