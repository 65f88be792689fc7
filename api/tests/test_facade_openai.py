"""The OpenAI Images-compatible API, through Django's test client: OpenAI's
request, response and error shapes. A generation runs in-process on the tiny
model (studio.runner.run_job) while the request waits for it."""

import base64
import io

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from PIL import Image as PILImage
from rest_framework.test import APIClient

import api.facades.waiting
import studio.runner
from accounts.tokens import create_token
from gallery.models import Image
from studio.models import GenerationJob
from studio.runner import run_job
from tests.fixtures import served


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
