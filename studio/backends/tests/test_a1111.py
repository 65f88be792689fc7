"""The AUTOMATIC1111 engine against a fake server speaking A1111's web API.

The shapes follow AUTOMATIC1111/stable-diffusion-webui modules/api/api.py and
models.py: txt2img answers ``{images: [base64 PNG], parameters, info: "<JSON>"}``,
errors are ``{"error", "detail", "body", "errors"}`` (FastAPI validation:
``{"detail": [{"loc", "msg", "type"}]}``), progress is ``{progress,
eta_relative, state: {..., sampling_step, sampling_steps}, current_image}``.
"""

import base64
import io
import json
import socket
import threading

import pytest
from PIL import Image
from pytest_httpserver import HTTPServer
from werkzeug import Response

from studio.backends.a1111 import A1111Backend
from studio.backends.base import BackendError, Cancelled, GenerationRequest, ModelUnavailable
from studio.backends.retrying import RetryPolicy

from .progress_recorder import Recorder

FAST_RETRIES = RetryPolicy(base_delay=0.001, max_delay=0.01, max_total=1.0, max_attempts=3)
TITLE = "sd_xl_base_1.0.safetensors [31e35c80fc]"
SD_MODELS = [
    {
        "title": TITLE,
        "model_name": "sd_xl_base_1.0",
        "hash": "31e35c80fc",
        "sha256": "31e35c80fc4829d14f90153f4c74cd59c90b779f6afe05a74cd6120b893f7e5b",
        "filename": "/srv/webui/models/Stable-diffusion/sd_xl_base_1.0.safetensors",
        "config": None,
    },
    {
        "title": "anime/cartoon_v2.safetensors [0123456789]",
        "model_name": "anime_cartoon_v2",
        "hash": "0123456789",
        "sha256": None,
        "filename": "/srv/webui/models/Stable-diffusion/anime/cartoon_v2.safetensors",
        "config": None,
    },
]
SCHEDULERS = [
    {"name": n, "label": label, "aliases": None, "default_rho": -1.0, "need_inner_model": False}
    for n, label in [
        ("automatic", "Automatic"),
        ("karras", "Karras"),
        ("exponential", "Exponential"),
    ]
]
SAMPLERS = [
    {"name": "DPM++ 2M", "aliases": ["k_dpmpp_2m"], "options": {"scheduler": "karras"}},
    {"name": "Euler a", "aliases": ["k_euler_a", "k_euler_ancestral"], "options": {}},
]


@pytest.fixture
def one_torch_thread():
    """These tests never import torch (the package conftest pins its threads)."""


@pytest.fixture(scope="module")
def a1111_server():
    server = HTTPServer(threaded=True)  # txt2img blocks while progress is polled
    server.start()
    yield server
    server.stop()


@pytest.fixture
def a1111(a1111_server):
    """The module's fake server, with no routes and an empty log."""
    yield a1111_server
    a1111_server.clear()


def make_config(server, **overrides):
    config = {
        "url": server.url_for("").rstrip("/"),
        "poll_interval": 0.02,
        "timeout": 2,
        "generation_timeout": 10,
    }
    return {**config, **overrides}


def make_request(**fields) -> GenerationRequest:
    defaults = {
        "prompt": "a lighthouse at dusk",
        "negative_prompt": "blurry",
        "model": "a1111-sdxl",
        "model_id": "sd_xl_base_1.0",
        "width": 64,
        "height": 48,
        "steps": 20,
        "cfg_scale": 6.5,
        "seed": 1234,
        "sampler": "Euler a",
        "n": 1,
    }
    return GenerationRequest(**{**defaults, **fields})


def png_base64(seed: int, size=(64, 48)) -> str:
    out = io.BytesIO()
    Image.new("RGB", size, color_for(seed)).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


def color_for(seed: int) -> tuple[int, int, int]:
    return (seed % 256, (seed // 256) % 256, 77)


def json_response(data, status=200, headers=None) -> Response:
    return Response(json.dumps(data), status=status, headers=headers, mimetype="application/json")


def txt2img_answer(body: dict, first: int = 0, extra: int = 0) -> dict:
    """What A1111 answers: one image per seed, the info as a JSON string."""
    seeds = [body["seed"] + i for i in range(body["batch_size"])]
    size = (body["width"], body["height"])
    images = [png_base64(seed, size) for seed in seeds]
    images = [png_base64(999, size)] * first + images + [png_base64(998, size)] * extra
    info = {
        "prompt": body["prompt"],
        "all_prompts": [body["prompt"]] * len(seeds),
        "negative_prompt": body["negative_prompt"],
        "seed": seeds[0],
        "all_seeds": seeds,
        "subseed": 42,
        "all_subseeds": [42 + i for i in range(len(seeds))],
        "width": body["width"],
        "height": body["height"],
        "sampler_name": body["sampler_name"],
        "cfg_scale": body["cfg_scale"],
        "steps": body["steps"],
        "batch_size": body["batch_size"],
        "sd_model_name": "sd_xl_base_1.0",
        "index_of_first_image": first,
        "infotexts": ["..."] * len(images),
    }
    return {"images": images, "parameters": body, "info": json.dumps(info)}


def progress_answer(step: int, steps: int = 20, image: str | None = None) -> dict:
    return {
        "progress": step / steps,
        "eta_relative": 1.5,
        "state": {
            "skipped": False,
            "interrupted": False,
            "stopping_generation": False,
            "job": "scripts_txt2img",
            "job_count": 1,
            "job_timestamp": "20250101120000",
            "job_no": 0,
            "sampling_step": step,
            "sampling_steps": steps,
        },
        "current_image": image,
        "textinfo": None,
    }


IDLE = {  # what /progress answers when nothing runs
    "progress": 0,
    "eta_relative": 0,
    "state": {
        "skipped": False,
        "interrupted": False,
        "stopping_generation": False,
        "job": "",
        "job_count": 0,
        "job_timestamp": "0",
        "job_no": 0,
        "sampling_step": 0,
        "sampling_steps": 0,
    },
    "current_image": None,
    "textinfo": None,
}


def serve_basics(server, models=SD_MODELS, schedulers=SCHEDULERS):
    server.expect_request("/sdapi/v1/sd-models").respond_with_json(models)
    if schedulers is None:
        server.expect_request("/sdapi/v1/schedulers").respond_with_json(
            {"detail": "Not Found"}, status=404
        )
    else:
        server.expect_request("/sdapi/v1/schedulers").respond_with_json(schedulers)
    server.expect_request("/sdapi/v1/progress").respond_with_json(IDLE)
    server.expect_request("/sdapi/v1/interrupt", method="POST").respond_with_json({})


def serve_txt2img(server, **answer):
    server.expect_request("/sdapi/v1/txt2img", method="POST").respond_with_handler(
        lambda request: json_response(txt2img_answer(request.get_json(), **answer))
    )


def calls_to(server, path):
    return [request for request, _ in server.log if request.path == path]


def sent_body(server):
    (request,) = calls_to(server, "/sdapi/v1/txt2img")
    return request.get_json()


def generate(config, request=None, recorder=None, **pacing):
    """``pacing``: the engine's ``policy`` and ``sleep``; fast retries unless given."""
    recorder = recorder or Recorder()
    return A1111Backend(config, **{"policy": FAST_RETRIES, **pacing}).generate(
        request or make_request(), recorder, recorder.should_cancel
    )


def test_it_sends_a1111s_txt2img_body_and_returns_the_images_with_their_seeds(a1111):
    serve_basics(a1111)
    serve_txt2img(a1111)
    results = generate(make_config(a1111), make_request(n=2))

    assert sent_body(a1111) == {
        "prompt": "a lighthouse at dusk",
        "negative_prompt": "blurry",
        "steps": 20,
        "cfg_scale": 6.5,
        "width": 64,
        "height": 48,
        "sampler_name": "Euler a",
        "seed": 1234,
        "batch_size": 2,
        "n_iter": 1,
        "send_images": True,
        "save_images": False,
        "override_settings": {"sd_model_checkpoint": TITLE},
    }
    assert [r.seed for r in results] == [1234, 1235]
    assert [r.image.size for r in results] == [(64, 48), (64, 48)]
    assert [r.image.getpixel((0, 0)) for r in results] == [color_for(1234), color_for(1235)]


def test_a_variation_seed_is_sent_as_a1111s_subseed(a1111):
    serve_basics(a1111)
    serve_txt2img(a1111)
    request = make_request(n=2, variation_seed=99, variation_strength=0.25)
    results = generate(make_config(a1111), request)
    body = sent_body(a1111)
    assert (body["subseed"], body["subseed_strength"]) == (99, 0.25)
    recipe = request.recipe(results[1].seed, "a1111")
    assert (recipe["variation_seed"], recipe["variation_seed_strength"]) == (100, 0.25)

    a1111.clear_log()
    generate(make_config(a1111), make_request(variation_seed=99, variation_strength=0))
    assert "subseed" not in sent_body(a1111) and "subseed_strength" not in sent_body(a1111)


def test_it_splits_a_combined_sampler_name_when_the_server_lists_schedulers(a1111):
    serve_basics(a1111)
    serve_txt2img(a1111)
    generate(make_config(a1111), make_request(sampler="DPM++ 2M Karras"))
    body = sent_body(a1111)
    assert (body["sampler_name"], body["scheduler"]) == ("DPM++ 2M", "Karras")


def test_it_sends_the_sampler_as_given_to_a_server_without_schedulers(a1111):
    serve_basics(a1111, schedulers=None)
    serve_txt2img(a1111)
    generate(make_config(a1111), make_request(sampler="DPM++ 2M Karras"))
    body = sent_body(a1111)
    assert body["sampler_name"] == "DPM++ 2M Karras" and "scheduler" not in body


def test_a_presets_scheduler_is_sent_as_is(a1111):
    serve_basics(a1111)
    serve_txt2img(a1111)
    request = make_request(sampler="DPM++ 2M", options={"scheduler": "Exponential"})
    generate(make_config(a1111), request)
    body = sent_body(a1111)
    assert (body["sampler_name"], body["scheduler"]) == ("DPM++ 2M", "Exponential")
    assert not calls_to(a1111, "/sdapi/v1/schedulers")


def test_it_leaves_out_a_grid_and_extensions_extra_images(a1111):
    serve_basics(a1111)
    serve_txt2img(a1111, first=1, extra=2)
    results = generate(make_config(a1111), make_request(n=2, seed=7))
    assert [r.image.getpixel((0, 0)) for r in results] == [color_for(7), color_for(8)]


@pytest.mark.parametrize(
    "model_id",
    ["sd_xl_base_1.0", TITLE, "sd_xl_base_1.0.safetensors", "31e35c80fc", "sd_xl_base_1.0 "],
)
def test_it_finds_the_checkpoint_by_any_name_a1111_accepts(a1111, model_id):
    serve_basics(a1111)
    serve_txt2img(a1111)
    generate(make_config(a1111), make_request(model_id=model_id))
    assert sent_body(a1111)["override_settings"] == {"sd_model_checkpoint": TITLE}


def test_a_checkpoint_in_a_subfolder_is_found_by_its_file_name(a1111):
    serve_basics(a1111)
    serve_txt2img(a1111)
    generate(make_config(a1111), make_request(model_id="cartoon_v2.safetensors"))
    expected = "anime/cartoon_v2.safetensors [0123456789]"
    assert sent_body(a1111)["override_settings"]["sd_model_checkpoint"] == expected


def test_a_preset_without_a_model_uses_the_servers_current_checkpoint(a1111):
    serve_basics(a1111)
    serve_txt2img(a1111)
    generate(make_config(a1111), make_request(model_id=""))
    assert "override_settings" not in sent_body(a1111)
    assert not calls_to(a1111, "/sdapi/v1/sd-models")


def test_an_unknown_checkpoint_fails_before_anything_runs(a1111):
    serve_basics(a1111)
    serve_txt2img(a1111)
    with pytest.raises(ModelUnavailable) as raised:
        generate(make_config(a1111), make_request(model_id="dreamshaper_8"))
    assert "'dreamshaper_8'" in raised.value.message and TITLE in raised.value.message
    assert not raised.value.retryable
    assert not calls_to(a1111, "/sdapi/v1/txt2img")


def test_it_sends_basic_auth_on_every_call_when_configured(a1111):
    serve_basics(a1111)
    serve_txt2img(a1111)
    generate(make_config(a1111, username="atelier", password="s3cret"))
    expected = "Basic " + base64.b64encode(b"atelier:s3cret").decode()
    assert a1111.log
    assert all(request.headers.get("Authorization") == expected for request, _ in a1111.log)


def test_credentials_in_the_url_are_used_and_kept_out_of_messages(a1111):
    a1111.expect_request("/sdapi/v1/sd-models").respond_with_json(
        {"error": "HTTPException", "detail": "Incorrect username or password"}, status=401
    )
    url = make_config(a1111)["url"].replace("http://", "http://atelier:s3cret@")
    with pytest.raises(BackendError) as raised:
        generate(make_config(a1111, url=url))
    expected = "Basic " + base64.b64encode(b"atelier:s3cret").decode()
    assert calls_to(a1111, "/sdapi/v1/sd-models")[0].headers["Authorization"] == expected
    assert "s3cret" not in raised.value.message and "atelier:" not in raised.value.message


def test_a_rejected_password_is_a_clear_error_that_does_not_show_it(a1111):
    a1111.expect_request("/sdapi/v1/sd-models").respond_with_json(
        {
            "error": "HTTPException",
            "detail": "Incorrect username or password",
            "body": "",
            "errors": "401: Incorrect username or password",
        },
        status=401,
        headers={"WWW-Authenticate": "Basic"},
    )
    recorder = Recorder()
    with pytest.raises(BackendError) as raised:
        generate(make_config(a1111, username="atelier", password="s3cret"), recorder=recorder)
    assert "rejected the user name or password" in raised.value.message
    assert "s3cret" not in raised.value.message
    assert "s3cret" not in " ".join(p.message for p in recorder.reports)
    assert not raised.value.retryable
    assert len(calls_to(a1111, "/sdapi/v1/sd-models")) == 1


def test_a_server_asking_for_a_password_says_what_to_set(a1111):
    a1111.expect_request("/sdapi/v1/sd-models").respond_with_json(
        {"error": "HTTPException", "detail": "Not authenticated", "body": "", "errors": ""},
        status=401,
    )
    with pytest.raises(BackendError, match="ATELIER_A1111_USERNAME"):
        generate(make_config(a1111))


def test_a_server_without_the_api_says_to_start_it_with_api(a1111):
    a1111.expect_request("/sdapi/v1/sd-models").respond_with_json(
        {"detail": "Not Found"}, status=404
    )
    with pytest.raises(BackendError) as raised:
        generate(make_config(a1111))
    assert "start it with --api" in raised.value.message
    assert len(calls_to(a1111, "/sdapi/v1/sd-models")) == 1


def test_a_validation_error_names_the_fields(a1111):
    serve_basics(a1111)
    a1111.expect_request("/sdapi/v1/txt2img", method="POST").respond_with_json(
        {
            "detail": [
                {
                    "type": "int_parsing",
                    "loc": ["body", "steps"],
                    "msg": "Input should be a valid integer",
                    "input": "many",
                }
            ]
        },
        status=422,
    )
    with pytest.raises(BackendError) as raised:
        generate(make_config(a1111))
    assert "rejected the request (422): steps: Input should be a valid integer" in str(raised.value)
    assert len(calls_to(a1111, "/sdapi/v1/txt2img")) == 1


def test_running_out_of_gpu_memory_gives_advice(a1111):
    serve_basics(a1111)
    a1111.expect_request("/sdapi/v1/txt2img", method="POST").respond_with_json(
        {
            "error": "OutOfMemoryError",
            "detail": "",
            "body": "",
            "errors": "CUDA out of memory. Tried to allocate 20.00 GiB",
        },
        status=500,
    )
    with pytest.raises(BackendError) as raised:
        generate(make_config(a1111))
    assert "ran out of GPU memory" in raised.value.message
    assert "--medvram" in raised.value.message and not raised.value.retryable


def test_another_server_error_is_reported_with_its_exception(a1111):
    serve_basics(a1111)
    a1111.expect_request("/sdapi/v1/txt2img", method="POST").respond_with_json(
        {"error": "RuntimeError", "detail": "", "body": "", "errors": "shape mismatch"},
        status=500,
    )
    with pytest.raises(BackendError, match=r"failed \(500\): RuntimeError: shape mismatch"):
        generate(make_config(a1111))


def test_a_busy_server_is_waited_for_then_used(a1111):
    serve_basics(a1111)
    a1111.expect_oneshot_request("/sdapi/v1/txt2img", method="POST").respond_with_json(
        {"detail": "Service Unavailable"}, status=503, headers={"Retry-After": "0"}
    )
    serve_txt2img(a1111)
    recorder = Recorder()
    results = generate(make_config(a1111), recorder=recorder)
    assert len(results) == 1
    assert len(calls_to(a1111, "/sdapi/v1/txt2img")) == 2
    waiting = [p for p in recorder.reports if p.phase == "waiting"]
    assert waiting and "busy or restarting (503)" in waiting[0].message


def test_it_waits_as_long_as_retry_after_says(a1111):
    serve_basics(a1111)
    a1111.expect_oneshot_request("/sdapi/v1/txt2img", method="POST").respond_with_json(
        {"detail": "Too Many Requests"}, status=429, headers={"Retry-After": "7"}
    )
    serve_txt2img(a1111)
    waits = []
    generate(make_config(a1111), policy=None, sleep=waits.append)
    assert sum(waits) == 7.0


def test_a_lasting_429_ends_with_a_clear_message(a1111):
    serve_basics(a1111)
    a1111.expect_request("/sdapi/v1/txt2img", method="POST").respond_with_json(
        {"detail": "Too Many Requests"}, status=429
    )
    with pytest.raises(BackendError) as raised:
        generate(make_config(a1111))
    assert "busy or restarting (429)" in raised.value.message
    assert "Tried 3 times" in raised.value.message and not raised.value.retryable
    assert len(calls_to(a1111, "/sdapi/v1/txt2img")) == 3


def test_an_unreachable_server_is_tried_a_few_times_then_fails_clearly():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = {"url": f"http://127.0.0.1:{port}"}
    with pytest.raises(BackendError) as raised:
        generate(config)
    message = raised.value.message
    assert f"The AUTOMATIC1111 server at http://127.0.0.1:{port} is not reachable" in message
    assert "connection refused. Is it running with --api?" in message
    assert "Tried 3 times" in message


def test_a_short_call_that_times_out_is_retried_then_fails(a1111, release):
    started = []

    def slow(request):
        started.append(1)
        release.wait(10)
        return json_response(SD_MODELS)

    a1111.expect_request("/sdapi/v1/sd-models").respond_with_handler(slow)
    with pytest.raises(BackendError) as raised:
        generate(make_config(a1111, timeout=0.2))
    assert "did not answer /sdapi/v1/sd-models within 0.2 s" in raised.value.message
    assert "Tried 3 times" in raised.value.message
    assert len(started) == 3


def test_a_generation_that_outlasts_its_timeout_is_interrupted_and_not_retried(a1111):
    interrupted = threading.Event()
    a1111.expect_request("/sdapi/v1/interrupt", method="POST").respond_with_handler(
        lambda request: interrupted.set() or json_response({})
    )

    def slow(request):
        interrupted.wait(10)
        return json_response(txt2img_answer(request.get_json()))

    a1111.expect_request("/sdapi/v1/txt2img", method="POST").respond_with_handler(slow)
    serve_basics(a1111)
    with pytest.raises(BackendError) as raised:
        generate(make_config(a1111, generation_timeout=0.3))
    assert "did not finish within 0.3 s; it was interrupted" in raised.value.message
    assert not raised.value.retryable
    assert interrupted.is_set()


def test_it_reports_progress_with_live_previews(a1111):
    polls = []
    enough = threading.Event()

    def progress(request):
        assert request.args["skip_current_image"] == "false"
        polls.append(1)
        if len(polls) >= 3:
            enough.set()
        return json_response(progress_answer(min(len(polls) * 5, 20), image=png_base64(3)))

    a1111.expect_request("/sdapi/v1/progress").respond_with_handler(progress)

    def txt2img(request):
        enough.wait(10)
        return json_response(txt2img_answer(request.get_json()))

    a1111.expect_request("/sdapi/v1/txt2img", method="POST").respond_with_handler(txt2img)
    serve_basics(a1111)
    recorder = Recorder()
    generate(make_config(a1111), recorder=recorder)

    sampling = recorder.sampling()
    assert len(sampling) >= 3
    assert [p.step for p in sampling] == sorted(p.step for p in sampling)
    assert {p.total for p in sampling} == {20}
    assert sampling[0].preview is not None and sampling[0].preview.size == (64, 48)


def test_a_cancel_interrupts_the_server_and_drops_the_partial_result(a1111):
    polls = []
    a1111.expect_request("/sdapi/v1/progress").respond_with_handler(
        lambda request: polls.append(1) or json_response(progress_answer(len(polls)))
    )
    interrupted = threading.Event()
    a1111.expect_request("/sdapi/v1/interrupt", method="POST").respond_with_handler(
        lambda request: interrupted.set() or json_response({})
    )

    def txt2img(request):
        interrupted.wait(10)  # then A1111 answers with what it has
        return json_response(txt2img_answer(request.get_json()))

    a1111.expect_request("/sdapi/v1/txt2img", method="POST").respond_with_handler(txt2img)
    serve_basics(a1111)
    recorder = Recorder(cancel_after_step=2)
    with pytest.raises(Cancelled):
        generate(make_config(a1111), recorder=recorder)
    assert interrupted.is_set()
    assert recorder.sampling()[-1].step == 2


def test_malformed_json_is_a_clear_error(a1111):
    serve_basics(a1111)
    a1111.expect_request("/sdapi/v1/txt2img", method="POST").respond_with_data(
        "<html>Internal proxy page</html>", content_type="text/html"
    )
    with pytest.raises(BackendError, match="not JSON") as raised:
        generate(make_config(a1111))
    assert not raised.value.retryable


def test_a_payload_that_is_not_an_image_is_a_clear_error(a1111):
    serve_basics(a1111)

    def txt2img(request):
        answer = txt2img_answer(request.get_json())
        answer["images"] = [base64.b64encode(b"this is not a PNG").decode()]
        return json_response(answer)

    a1111.expect_request("/sdapi/v1/txt2img", method="POST").respond_with_handler(txt2img)
    with pytest.raises(BackendError, match="not an image"):
        generate(make_config(a1111))


def test_an_answer_without_images_is_a_clear_error(a1111):
    serve_basics(a1111)
    a1111.expect_request("/sdapi/v1/txt2img", method="POST").respond_with_json(
        {"images": None, "parameters": {}, "info": "{}"}
    )
    with pytest.raises(BackendError, match="answered without images"):
        generate(make_config(a1111))


def test_models_lists_the_checkpoint_titles(a1111):
    serve_basics(a1111)
    assert A1111Backend(make_config(a1111)).models() == [m["title"] for m in SD_MODELS]


def test_samplers_lists_the_servers_names(a1111):
    a1111.expect_request("/sdapi/v1/samplers").respond_with_json(SAMPLERS)
    assert A1111Backend(make_config(a1111)).samplers() == ["DPM++ 2M", "Euler a"]


def test_samplers_fall_back_to_the_usual_names_when_the_server_cannot_be_asked(a1111):
    a1111.expect_request("/sdapi/v1/samplers").respond_with_json({"detail": "x"}, status=500)
    names = A1111Backend(make_config(a1111)).samplers()
    assert "Euler a" in names and "DPM++ 2M Karras" in names


def test_a_presets_base_url_overrides_the_configured_one(a1111):
    serve_basics(a1111)
    serve_txt2img(a1111)
    config = make_config(a1111, url="http://127.0.0.1:9")  # discard port: nothing there
    generate(config, make_request(options={"base_url": make_config(a1111)["url"]}))
    assert calls_to(a1111, "/sdapi/v1/txt2img")
