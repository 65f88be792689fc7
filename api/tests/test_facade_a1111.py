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
from api.parsers import picture_body_limit
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
def sdapi_web(owner, token):
    """The API without the local engine: for what runs no job (lists, png-info)."""
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


# --- img2img ------------------------------------------------------------------------------


def png_base64(picture, data_url=False) -> str:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return "data:image/png;base64," + encoded if data_url else encoded


def noise_picture(size=64, seed=3):
    import random

    pixels = random.Random(seed).randbytes(size * size * 3)
    return PILImage.frombytes("RGB", (size, size), pixels)


def square_mask(size=64, box=(16, 16, 48, 48), background=0, square=255):
    mask = PILImage.new("L", (size, size), background)
    mask.paste(square, box)
    return mask


@pytest.fixture
def no_waiting(monkeypatch):
    """The request answers as soon as its job is queued (the job never runs)."""

    async def no_wait(job, seconds):
        return job

    monkeypatch.setattr(api.facades.waiting, "wait_for_job", no_wait)


def img2img_body(**extra):
    body = {
        "prompt": "a lighthouse",
        "init_images": [png_base64(noise_picture(), data_url=True)],
        "steps": 2,
        "width": 64,
        "height": 64,
        "seed": 5,
    }
    return body | extra


def test_img2img_with_a_mask_repaints_only_inside_it(sdapi, owner, worker_in_process):
    start = noise_picture()
    body = img2img_body(
        init_images=[png_base64(start, data_url=True)],
        mask=png_base64(square_mask()),
        inpainting_fill=1,
        denoising_strength=0.9,
        mask_blur=0,
        inpaint_full_res=False,
    )
    response = sdapi.post("/sdapi/v1/img2img", body, format="json")

    assert response.status_code == 200, response.content
    answer = response.json()
    [encoded] = answer["images"]
    result = PILImage.open(io.BytesIO(base64.b64decode(encoded))).convert("RGB")
    assert result.size == (64, 64)
    inside = (16, 16, 48, 48)
    outside = [(x, y) for x in range(64) for y in range(64) if not (16 <= x < 48 and 16 <= y < 48)]
    assert all(result.getpixel(point) == start.getpixel(point) for point in outside)
    assert result.crop(inside).tobytes() != start.crop(inside).tobytes()
    assert answer["parameters"]["init_images"] is None and answer["parameters"]["mask"] is None
    assert answer["parameters"]["inpainting_fill"] == 1
    info = json.loads(answer["info"])
    assert info["denoising_strength"] == 0.9 and info["all_seeds"] == [5]
    assert "Masked content: original" in info["infotexts"][0]
    # The starting image is kept as a private upload of its person, as the form keeps it.
    uploaded = Image.objects.get(owner=owner, source=Image.Source.UPLOADED)
    assert uploaded.visibility == Image.Visibility.PRIVATE
    assert GenerationJob.objects.get().request["init_image"] == uploaded.pk


@pytest.mark.parametrize(
    "a1111, atelier",
    [
        ({}, {"resize_mode": "stretch", "denoising_strength": 0.75}),
        ({"resize_mode": 1, "denoising_strength": 0.3}, {"resize_mode": "crop"}),
        ({"resize_mode": 2}, {"resize_mode": "fit"}),
        (
            {"mask": True},
            {"masked_content": "fill", "mask_blur": 4, "inpaint_area": "Only masked"},
        ),
        (
            {"mask": True, "inpainting_fill": 1, "inpaint_full_res": False, "mask_blur": 0},
            {"masked_content": "original", "mask_blur": 0, "inpaint_area": "whole"},
        ),
        (
            {"mask": True, "inpaint_full_res": 1, "inpaint_full_res_padding": 12},
            {"inpaint_area": "masked", "masked_area_padding": 12},
        ),
    ],
)
def test_img2img_maps_a1111_options_onto_the_generate_form(sdapi, no_waiting, a1111, atelier):
    if a1111.get("mask"):
        a1111["mask"] = png_base64(square_mask())
    response = sdapi.post("/sdapi/v1/img2img", img2img_body(**a1111), format="json")
    assert response.status_code == 200, response.content
    request = GenerationJob.objects.get().request
    if atelier.get("inpaint_area") == "Only masked":
        atelier["inpaint_area"] = "masked"
    assert {key: request[key] for key in atelier} == atelier


def test_img2img_inverts_the_mask_when_asked(sdapi, no_waiting):
    body = img2img_body(mask=png_base64(square_mask()), inpainting_mask_invert=1)
    assert sdapi.post("/sdapi/v1/img2img", body, format="json").status_code == 200
    stored = PILImage.open(
        io.BytesIO(base64.b64decode(GenerationJob.objects.get().request["mask"]))
    )
    stored = stored.convert("L")
    assert stored.getpixel((32, 32)) == 0 and stored.getpixel((2, 2)) == 255


def test_img2img_stretches_a_mask_of_another_size_and_says_so(sdapi, worker_in_process):
    body = img2img_body(mask=png_base64(square_mask(32, (8, 8, 24, 24))))
    response = sdapi.post("/sdapi/v1/img2img", body, format="json")
    assert response.status_code == 200, response.content
    [note] = json.loads(response.json()["info"])["notes"]
    assert "stretched" in note


NOT_AN_IMAGE = base64.b64encode(b"hello, not a picture").decode()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"init_images": None}, "init_images"),
        ({"init_images": []}, "init_images"),
        ({"init_images": "abc"}, "init_images"),
        ({"init_images": [7]}, "init_images"),
        ({"init_images": ["not base64!"]}, "init_images"),
        ({"init_images": [NOT_AN_IMAGE]}, "init_images"),
        ({"init_images": [""]}, "init_images"),
        ({"mask": NOT_AN_IMAGE}, "mask"),
        ({"mask": "not base64!"}, "mask"),
        ({"mask": png_base64(square_mask(square=0))}, "mask"),  # all black: nothing to repaint
        ({"mask": png_base64(square_mask(background=255))}, "mask"),  # all white
        ({"mask": png_base64(square_mask(background=255)), "inpainting_mask_invert": 1}, "mask"),
        ({"denoising_strength": 1.5}, "denoising_strength"),
        ({"denoising_strength": -0.1}, "denoising_strength"),
        ({"denoising_strength": "much"}, "denoising_strength"),
        ({"resize_mode": 3}, "resize_mode"),
        ({"resize_mode": "crop"}, "resize_mode"),
        ({"mask": png_base64(square_mask()), "inpainting_fill": 2}, "inpainting_fill"),
        ({"mask": png_base64(square_mask()), "mask_blur": 1000}, "mask_blur"),
        ({"mask": png_base64(square_mask()), "inpaint_full_res": "maybe"}, "inpaint_full_res"),
        (
            {"mask": png_base64(square_mask()), "inpaint_full_res_padding": -1},
            "inpaint_full_res_padding",
        ),
        ({"width": 7}, "width"),
        ({"prompt": ""}, "prompt"),
    ],
)
def test_bad_img2img_input_is_a_422_naming_the_field_and_stores_nothing(sdapi, change, field):
    response = sdapi.post("/sdapi/v1/img2img", img2img_body(**change), format="json")
    assert response.status_code == 422, response.content
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", field] and error["msg"]
    assert GenerationJob.objects.count() == 0 and Image.objects.count() == 0


def test_inpainting_on_an_engine_that_cannot_is_refused_saying_so(sdapi, settings):
    settings.ATELIER_ENGINES = {
        **settings.ATELIER_ENGINES,
        "huggingface": {"token": "hf_x", "timeout": 5},
    }
    body = img2img_body(mask=png_base64(square_mask()), width=512, height=512)
    body["override_settings"] = {"sd_model_checkpoint": "sdxl-hf"}
    response = sdapi.post("/sdapi/v1/img2img", body, format="json")
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "mask"]
    assert error["msg"].startswith("Hugging Face cannot inpaint")
    assert GenerationJob.objects.count() == 0 and Image.objects.count() == 0


def test_a_request_over_the_body_limit_is_a_413_and_stores_nothing(sdapi, settings):
    # The limit is the largest upload in base64 and 1 MB: 1.0 MB for an
    # upload limit of 30 kB (20 MB by default, about 27.7 MB of body).
    settings.ATELIER_MAX_UPLOAD_BYTES = 30_000
    over = picture_body_limit() + 1024
    body = img2img_body(init_images=["A" * over])
    response = sdapi.post("/sdapi/v1/img2img", body, format="json")
    assert response.status_code == 413
    [error] = response.json()["detail"]
    assert "larger than 1.0\xa0MB" in error["msg"]
    assert GenerationJob.objects.count() == 0 and Image.objects.count() == 0


def test_a_picture_as_large_as_an_upload_may_come_in_base64(sdapi, settings):
    """A picture the upload form takes is not refused for being sent as
    base64 in JSON, where other bodies stop at DATA_UPLOAD_MAX_MEMORY_SIZE
    (5 MB: a 4 MB PNG, 5.4 MB in base64, was a 413)."""
    settings.ATELIER_FACADE_TIMEOUT = 0.2  # no worker here: the request stops waiting soon
    body = img2img_body()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(json.dumps(body)) // 2
    response = sdapi.post("/sdapi/v1/img2img", body, format="json")
    assert response.status_code in (200, 504), response.content  # queued
    assert GenerationJob.objects.count() == 1
    info = sdapi.post("/sdapi/v1/png-info", {"image": body["init_images"][0]}, format="json")
    assert info.status_code == 200
    # Other endpoints keep the 5 MB (here half the body) of every form and JSON body.
    options = sdapi.post("/sdapi/v1/options", {"sd_model_checkpoint": "x" * 20_000}, format="json")
    assert options.status_code == 413


def test_a_refused_img2img_job_forgets_its_starting_image(sdapi, settings):
    settings.ATELIER_MAX_QUEUED_JOBS = 0
    response = sdapi.post("/sdapi/v1/img2img", img2img_body(), format="json")
    assert response.status_code == 429 and response.json()["detail"]
    assert Image.objects.count() == 0


# --- Hires fix ----------------------------------------------------------------------------


def test_txt2img_hires_fix_makes_the_upscaled_size(sdapi, worker_in_process):
    body = {"prompt": "a lighthouse", "steps": 2, "width": 64, "height": 64, "seed": 3}
    body |= {"enable_hr": True, "hr_scale": 2, "hr_upscaler": "Lanczos"}
    body |= {"hr_second_pass_steps": 1, "denoising_strength": 0.4}
    response = sdapi.post("/sdapi/v1/txt2img", body, format="json")
    assert response.status_code == 200, response.content
    [encoded] = response.json()["images"]
    assert PILImage.open(io.BytesIO(base64.b64decode(encoded))).size == (128, 128)
    request = GenerationJob.objects.get().request
    assert (request["hires_upscale"], request["hires_upscaler"]) == (2, "lanczos")
    assert (request["hires_steps"], request["denoising_strength"]) == (1, 0.4)
    assert "Hires upscaler: Lanczos" in json.loads(response.json()["info"])["infotexts"][0]


def test_txt2img_without_enable_hr_ignores_the_hires_fields(sdapi, no_waiting):
    body = {"prompt": "a", "enable_hr": False, "hr_scale": 9, "hr_upscaler": "nope"}
    assert sdapi.post("/sdapi/v1/txt2img", body, format="json").status_code == 200
    assert "hires_upscale" not in GenerationJob.objects.get().request


@pytest.mark.parametrize(
    "change, field",
    [
        ({"hr_upscaler": "ESRGAN_4x"}, "hr_upscaler"),
        ({"hr_scale": 8}, "hr_scale"),
        ({"hr_scale": 1}, "hr_scale"),
        ({"hr_resize_x": 1024, "hr_resize_y": 1024}, "hr_resize_x"),
        ({"denoising_strength": 2}, "denoising_strength"),
        ({"enable_hr": "perhaps"}, "enable_hr"),
    ],
)
def test_bad_hires_input_is_a_422_naming_the_field(sdapi, change, field):
    body = {"prompt": "a", "width": 64, "height": 64, "enable_hr": True} | change
    response = sdapi.post("/sdapi/v1/txt2img", body, format="json")
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"] == ["body", field]
    assert GenerationJob.objects.count() == 0


# --- png-info, upscalers, LoRAs -----------------------------------------------------------


def test_png_info_reads_atelier_s_recipe_as_a1111_s_infotext(sdapi_web):
    from imaging.png_metadata import encode_png

    recipe = {"prompt": "a cat", "negative_prompt": "dog", "steps": 20, "seed": 7}
    recipe |= {"sampler": "Euler a", "cfg_scale": 7.0, "width": 64, "height": 48}
    content = encode_png(PILImage.new("RGB", (64, 48)), recipe)
    image = "data:image/png;base64," + base64.b64encode(content).decode()

    answer = sdapi_web.post("/sdapi/v1/png-info", {"image": image}, format="json").json()

    assert answer["info"].startswith("a cat\nNegative prompt: dog\nSteps: 20, Sampler: Euler a")
    assert answer["parameters"]["Prompt"] == "a cat"
    assert answer["parameters"]["Seed"] == "7"
    assert (answer["parameters"]["Size-1"], answer["parameters"]["Size-2"]) == ("64", "48")
    assert json.loads(answer["items"]["atelier"])["seed"] == 7


def test_png_info_writes_another_tool_s_recipe_as_infotext(sdapi_web):
    from PIL import PngImagePlugin

    invoke = {"positive_prompt": "a fox", "seed": 11, "steps": 9, "width": 64, "height": 64}
    info = PngImagePlugin.PngInfo()
    info.add_text("invokeai_metadata", json.dumps(invoke))
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 64)).save(buffer, format="PNG", pnginfo=info)

    body = {"image": base64.b64encode(buffer.getvalue()).decode()}
    answer = sdapi_web.post("/sdapi/v1/png-info", body, format="json").json()
    assert answer["info"].startswith("a fox\n")
    assert answer["parameters"]["Seed"] == "11"


def test_png_info_of_a_picture_without_a_recipe_is_empty(sdapi_web):
    body = {"image": png_base64(noise_picture(8))}
    answer = sdapi_web.post("/sdapi/v1/png-info", body, format="json").json()
    assert answer == {"info": "", "items": {}, "parameters": {}}


@pytest.mark.parametrize("image", [None, 5, "not base64!", NOT_AN_IMAGE])
def test_png_info_of_something_that_is_not_a_picture_is_a_422(sdapi_web, image):
    response = sdapi_web.post("/sdapi/v1/png-info", {"image": image}, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "image"]


def test_it_lists_the_upscalers_and_latent_upscale_modes(sdapi_web):
    assert sdapi_web.get("/sdapi/v1/upscalers").json() == [
        {"name": "Lanczos", "model_name": None, "model_path": None, "model_url": None, "scale": 4.0}
    ]
    assert sdapi_web.get("/sdapi/v1/latent-upscale-modes").json() == [{"name": "Latent"}]


def test_it_lists_the_loras_of_the_models_folder(sdapi_web, settings, tmp_path):
    import struct

    settings.ATELIER_MODELS_DIR = tmp_path
    (tmp_path / "Lora" / "styles").mkdir(parents=True)
    metadata = {"ss_output_name": "ink", "ss_tag_frequency": '{"ink": {"sketch": 3}}'}
    header = json.dumps({"__metadata__": metadata}).encode()
    (tmp_path / "Lora" / "styles" / "ink.safetensors").write_bytes(
        struct.pack("<Q", len(header)) + header
    )
    (tmp_path / "Lora" / "broken.safetensors").write_bytes(b"\xff" * 4)

    assert sdapi_web.get("/sdapi/v1/loras").json() == [
        {"name": "broken", "alias": "broken", "path": "Lora/broken.safetensors", "metadata": {}},
        {
            "name": "ink",
            "alias": "ink",
            "path": "Lora/styles/ink.safetensors",
            "metadata": {"ss_output_name": "ink", "ss_tag_frequency": {"ink": {"sketch": 3}}},
        },
    ]
