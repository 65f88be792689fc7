"""The AUTOMATIC1111-compatible API, through Django's test client: A1111's
request and response shapes, its errors, progress and interruption. A
generation runs in-process on the tiny model (studio.runner.run_job) while
the request waits for it."""

import base64
import io
import json

import pytest
from asgiref.sync import sync_to_async
from PIL import Image as PILImage
from rest_framework.test import APIClient

import api.facades.waiting
import studio.runner
from accounts.tokens import create_token
from gallery.models import Image
from studio.models import GenerationJob
from studio.runner import run_job
from tests.fixtures import make_user


def basic(username, token):
    return "Basic " + base64.b64encode(f"{username}:{token}".encode()).decode()


@pytest.fixture
def token(owner):
    return create_token(owner, "test")[1]


@pytest.fixture
def sdapi(owner, token, tiny_settings):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic("owner", token))
    return client


@pytest.fixture
def worker_in_process(monkeypatch):
    """The job runs here, when the request starts waiting for it."""
    wait = api.facades.waiting.wait_for_job
    # No heartbeat thread writing meanwhile: the test's SQLite database is locked.
    monkeypatch.setattr(studio.runner, "heartbeat_every", lambda: 600)

    async def run_then_wait(job, seconds):
        await sync_to_async(run_job)(str(job.pk))
        return await wait(job, seconds)

    monkeypatch.setattr(api.facades.waiting, "wait_for_job", run_then_wait)


def test_txt2img_answers_with_base64_pngs_parameters_and_info(sdapi, owner, worker_in_process):
    body = {
        "prompt": "a lighthouse",
        "negative_prompt": "fog",
        "steps": 2,
        "cfg_scale": 6.5,
        "width": 64,
        "height": 64,
        "sampler_name": "Euler a",
        "scheduler": "automatic",
        "seed": 7,
        "batch_size": 2,
        "n_iter": 1,
        "styles": ["a style this server does not have"],  # left out, as A1111 does
        "enable_hr": False,
        "restore_faces": False,
        "override_settings": {},
        "alwayson_scripts": {"ADetailer": {"args": [True]}},
        "some_future_field": 1,
    }
    response = sdapi.post("/sdapi/v1/txt2img", body, format="json")

    assert response.status_code == 200, response.content
    answer = response.json()
    assert len(answer["images"]) == 2
    for encoded in answer["images"]:
        assert not encoded.startswith("data:")
        picture = PILImage.open(io.BytesIO(base64.b64decode(encoded)))
        assert picture.format == "PNG" and picture.size == (64, 64)
    assert answer["parameters"]["prompt"] == "a lighthouse"
    assert answer["parameters"]["alwayson_scripts"] == {"ADetailer": {"args": [True]}}
    info = json.loads(answer["info"])
    assert info["prompt"] == "a lighthouse" and info["all_prompts"] == ["a lighthouse"] * 2
    assert info["negative_prompt"] == "fog"
    assert info["seed"] == 7 and info["all_seeds"] == [7, 8]
    assert (info["width"], info["height"], info["steps"]) == (64, 64, 2)
    assert info["sampler_name"] == "Euler a" and info["cfg_scale"] == 6.5
    assert info["batch_size"] == 2 and info["sd_model_name"] == "tiny"
    assert info["infotexts"][0].startswith("a lighthouse\nNegative prompt: fog")
    assert "Seed: 7" in info["infotexts"][0]
    assert Image.objects.filter(owner=owner).count() == 2


def test_txt2img_takes_a_variation_seed(sdapi, worker_in_process):
    body = {"prompt": "a lighthouse", "steps": 2, "width": 64, "height": 64, "seed": 7}
    body |= {"batch_size": 2, "subseed": 99, "subseed_strength": 0.3}
    response = sdapi.post("/sdapi/v1/txt2img", body, format="json")
    assert response.status_code == 200, response.content
    info = json.loads(response.json()["info"])
    assert info["subseed"] == 99 and info["all_subseeds"] == [99, 100]
    assert info["subseed_strength"] == 0.3
    assert "Variation seed: 99, Variation seed strength: 0.3" in info["infotexts"][0]
    request = GenerationJob.objects.get().request
    assert request["variation_seed"] == 99 and request["variation_seed_strength"] == 0.3


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "prompt"),
        ({"prompt": ""}, "prompt"),
        ({"prompt": "   "}, "prompt"),
        ({"prompt": None}, "prompt"),
        ({"prompt": "a", "width": 7}, "width"),
        ({"prompt": "a", "width": 4096}, "width"),
        ({"prompt": "a", "steps": 0}, "steps"),
        ({"prompt": "a", "steps": "many"}, "steps"),
        ({"prompt": "a", "batch_size": 3, "n_iter": 3}, "batch_size"),
        ({"prompt": "a", "batch_size": "two"}, "batch_size"),
        ({"prompt": "a", "sampler_name": "nope"}, "sampler_name"),
        ({"prompt": ["a"]}, "prompt"),
        ({"prompt": "\ud800 lone"}, "prompt"),
        ({"prompt": "a", "negative_prompt": "bad\x00"}, "negative_prompt"),
        (
            {"prompt": "a", "override_settings": {"sd_model_checkpoint": "nope"}},
            "override_settings",
        ),
        ({"prompt": "a", "subseed_strength": 2}, "subseed_strength"),
        ({"prompt": "a", "subseed_strength": 0.5, "subseed": 2**40}, "subseed"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_queues_nothing(sdapi, body, field):
    response = sdapi.post("/sdapi/v1/txt2img", body, format="json")
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", field] and error["msg"]
    assert GenerationJob.objects.count() == 0


HUGE_INT = "1" + "0" * 400


@pytest.mark.parametrize(
    "field, value",
    [
        ("batch_size", "1e309"),
        ("n_iter", "1e309"),
        ("batch_size", "-1e309"),
        ("n_iter", "1e300"),
        ("batch_size", HUGE_INT),
        ("steps", "1e309"),
        ("cfg_scale", "1e309"),
        ("cfg_scale", HUGE_INT),
        ("cfg_scale", "-" + HUGE_INT),
        ("width", HUGE_INT),
        ("seed", "1e309"),
        ("denoising_strength", "1e309"),  # ignored, but echoed in "parameters"
        ("override_settings", '{"CLIP_stop_at_last_layers": 1e309}'),
    ],
)
def test_numbers_too_large_for_a_float_are_a_422_naming_the_field(sdapi, settings, field, value):
    settings.ATELIER_FACADE_TIMEOUT = 0  # were one queued, no waiting for it
    body = f'{{"prompt": "a", "{field}": {value}}}'
    response = sdapi.post("/sdapi/v1/txt2img", body, content_type="application/json")
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"][0] == "body" and error["msg"]
    assert error["loc"][1] in (field, "batch_size")  # n_iter counts in batch_size's total
    assert GenerationJob.objects.count() == 0


def test_a_batch_too_large_to_print_is_a_422(sdapi):
    four_thousand_digits = "9" * 4000
    body = (
        f'{{"prompt": "a", "batch_size": {four_thousand_digits}, "n_iter": {four_thousand_digits}}}'
    )
    response = sdapi.post("/sdapi/v1/txt2img", body, content_type="application/json")
    assert response.status_code == 422
    assert "at most 8 images" in response.json()["detail"][0]["msg"]


def test_a_body_that_is_not_an_object_is_a_422(sdapi):
    assert sdapi.post("/sdapi/v1/txt2img", [1], format="json").status_code == 422
    unreadable = sdapi.post("/sdapi/v1/txt2img", "{no", content_type="application/json")
    assert unreadable.status_code == 422


def test_a_deeply_nested_body_is_a_422_without_a_traceback(sdapi, caplog):
    deep = "[" * 3000 + "]" * 3000
    response = sdapi.generic("POST", "/sdapi/v1/txt2img", deep, content_type="application/json")
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["type"] == "json_invalid" and "nested deeper" in error["msg"]
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


def test_it_asks_for_basic_credentials_made_of_username_and_api_token(owner, token, tiny_settings):
    anonymous = APIClient().get("/sdapi/v1/sd-models")
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic")
    client = APIClient()
    for credentials in (basic("owner", "wrong"), basic("someone", token), "Basic !!", "Basic eA=="):
        client.credentials(HTTP_AUTHORIZATION=credentials)
        assert client.get("/sdapi/v1/sd-models").status_code == 401, credentials
    client.credentials(HTTP_AUTHORIZATION=basic("owner", token))
    assert client.get("/sdapi/v1/sd-models").status_code == 200


def test_it_lists_models_samplers_and_scripts(sdapi):
    models = sdapi.get("/sdapi/v1/sd-models").json()
    tiny = next(model for model in models if model["model_name"] == "tiny")
    assert set(tiny) == {"title", "model_name", "hash", "sha256", "filename", "config"}
    samplers = sdapi.get("/sdapi/v1/samplers").json()
    assert {
        "name": "Euler a",
        "aliases": ["k_euler_a", "k_euler_ancestral"],
        "options": {},
    } in samplers
    assert sdapi.get("/sdapi/v1/scripts").json() == {"txt2img": [], "img2img": []}


def test_options_pick_the_checkpoint_for_this_person_only(sdapi, tiny_settings):
    from studio.models import ModelPreset

    ModelPreset.objects.filter(key="sd-turbo").update(enabled=True)
    assert sdapi.get("/sdapi/v1/options").json()["sd_model_checkpoint"] == "tiny"

    assert (
        sdapi.post(
            "/sdapi/v1/options", {"sd_model_checkpoint": "sd-turbo [abc123]"}, format="json"
        ).status_code
        == 200
    )
    assert sdapi.get("/sdapi/v1/options").json()["sd_model_checkpoint"] == "sd-turbo"

    other = APIClient()
    other.credentials(
        HTTP_AUTHORIZATION=basic("other", create_token(make_user("other"), "test")[1])
    )
    assert other.get("/sdapi/v1/options").json()["sd_model_checkpoint"] == "tiny"

    refused = sdapi.post("/sdapi/v1/options", {"sd_model_checkpoint": "nope"}, format="json")
    assert refused.status_code == 422
    assert sdapi.get("/sdapi/v1/options").json()["sd_model_checkpoint"] == "sd-turbo"


def test_txt2img_uses_the_chosen_checkpoint(sdapi, monkeypatch):
    async def no_wait(job, seconds):
        return job

    monkeypatch.setattr(api.facades.waiting, "wait_for_job", no_wait)
    sdapi.post("/sdapi/v1/options", {"sd_model_checkpoint": "sd-turbo"}, format="json")
    sdapi.post("/sdapi/v1/txt2img", {"prompt": "a"}, format="json")
    assert GenerationJob.objects.get().model == "sd-turbo"


def test_progress_is_idle_without_jobs(sdapi):
    answer = sdapi.get("/sdapi/v1/progress").json()
    assert answer["progress"] == 0 and answer["eta_relative"] == 0
    assert answer["state"]["job_count"] == 0 and answer["current_image"] is None
    assert {"sampling_step", "sampling_steps", "interrupted", "skipped", "job", "job_no"} <= set(
        answer["state"]
    )


def test_progress_reports_the_running_job_and_interrupt_stops_it(sdapi, owner):
    from django.utils import timezone

    running = GenerationJob.objects.create(
        owner=owner,
        model="tiny",
        request={"prompt": "a", "steps": 10},
        status="running",
        started=timezone.now(),
        step=3,
        total_steps=10,
        progress=0.3,
        message="Sampling",
    )
    queued = GenerationJob.objects.create(owner=owner, model="tiny", request={"prompt": "b"})

    answer = sdapi.get("/sdapi/v1/progress").json()
    assert answer["progress"] == 0.3 and answer["state"]["job_count"] == 2
    assert (answer["state"]["sampling_step"], answer["state"]["sampling_steps"]) == (3, 10)
    assert answer["textinfo"] == "Sampling"

    assert sdapi.post("/sdapi/v1/interrupt").json() == {}
    running.refresh_from_db()
    queued.refresh_from_db()
    assert running.cancel_requested and queued.status == "cancelled"
    assert sdapi.get("/sdapi/v1/progress").json()["state"]["interrupted"] is True


def test_a_generation_that_outlasts_the_deadline_is_cancelled(sdapi, settings):
    settings.ATELIER_FACADE_TIMEOUT = 0
    response = sdapi.post("/sdapi/v1/txt2img", {"prompt": "slow"}, format="json")
    assert response.status_code == 504 and response.json()["detail"]
    assert GenerationJob.objects.get().status == "cancelled"


def test_too_many_waiting_jobs_is_a_429(sdapi, settings):
    settings.ATELIER_MAX_QUEUED_JOBS = 0
    response = sdapi.post("/sdapi/v1/txt2img", {"prompt": "a"}, format="json")
    assert response.status_code == 429 and response.json()["detail"]
