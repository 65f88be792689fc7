"""The Hugging Face engine against a fake Hugging Face Inference server.

The fake speaks the hf-inference wire format that ``InferenceClient.text_to_image``
uses: ``POST {base}/models/{model_id}`` with ``{"inputs": prompt, "parameters":
{...}}``, ``Authorization: Bearer <token>``, ``Accept: image/png``; the answer is
the image's bytes, or an error body ``{"error": "...", "estimated_time": ...}``.
"""

import io
import json
import socket
import threading

import huggingface_hub.constants
import pytest
from PIL import Image
from werkzeug import Response

from studio.backends.base import BackendError, Cancelled, GenerationRequest, ModelUnavailable
from studio.backends.huggingface import (
    HuggingFaceBackend,
    create_backend,
    model_target,
    retry_after_seconds,
)
from studio.backends.retrying import RetryPolicy

from .progress_recorder import Recorder

TOKEN = "hf_secretTOKEN1234567890"
MODEL = "stabilityai/stable-diffusion-xl-base-1.0"
MODEL_PATH = f"/models/{MODEL}"
NEGATIVE = "blurry, low quality"


@pytest.fixture(scope="package", autouse=True)
def one_torch_thread():
    """This engine never imports torch: replace the package's torch fixture."""
    yield


@pytest.fixture(autouse=True)
def online(monkeypatch):
    """A developer's HF_HUB_OFFLINE=1 must not block the fake server."""
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)


@pytest.fixture
def hf(server):
    server.clear()
    yield server
    server.check_handler_errors()


@pytest.fixture
def make_backend(hf, sleeps):
    def make(**config):
        settings = {"token": TOKEN, "base_url": hf.url_for("").rstrip("/"), "timeout": 5}
        policy = config.pop("policy", RetryPolicy(base_delay=0.5, max_total=100, max_attempts=4))
        return HuggingFaceBackend({**settings, **config}, policy=policy, sleep=sleeps)

    return make


def make_request(**fields):
    defaults = {
        "prompt": "a lighthouse at dawn",
        "negative_prompt": NEGATIVE,
        "model": "sdxl-hf",
        "model_id": MODEL,
        "width": 1024,
        "height": 768,
        "steps": 30,
        "cfg_scale": 7.5,
        "seed": 42,
        "n": 1,
    }
    return GenerationRequest(**{**defaults, **fields})


def png(width=64, height=48, color=(200, 30, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def png_response(**kwargs):
    return Response(png(**kwargs), content_type="image/png")


def json_response(body, status, headers=None):
    return Response(
        json.dumps(body), status=status, headers=headers, content_type="application/json"
    )


def sent(hf):
    return [json.loads(request.get_data()) for request, _ in hf.log]


# The request on the wire -----------------------------------------------------


def test_it_posts_the_prompt_and_parameters_as_hf_inference_expects(hf, make_backend):
    hf.expect_request(
        MODEL_PATH,
        method="POST",
        json={
            "inputs": "a lighthouse at dawn",
            "parameters": {
                "negative_prompt": NEGATIVE,
                "height": 768,
                "width": 1024,
                "num_inference_steps": 30,
                "guidance_scale": 7.5,
                "seed": 42,
            },
        },
        headers={"Authorization": f"Bearer {TOKEN}", "Accept": "image/png"},
    ).respond_with_response(png_response())

    results = make_backend().generate(make_request(), Recorder(), lambda: False)

    assert [(r.seed, r.image.size) for r in results] == [(42, (64, 48))]
    assert results[0].image.getpixel((0, 0)) == (200, 30, 30)
    request = hf.log[0][0]
    assert request.headers["Content-Type"] == "application/json"


def test_it_leaves_an_empty_negative_prompt_out(hf, make_backend):
    hf.expect_request(MODEL_PATH, method="POST").respond_with_response(png_response())

    make_backend().generate(make_request(negative_prompt=""), Recorder(), lambda: False)

    assert "negative_prompt" not in sent(hf)[0]["parameters"]


def test_it_makes_one_call_per_image_with_consecutive_seeds(hf, make_backend):
    hf.expect_request(MODEL_PATH, method="POST").respond_with_response(png_response())
    recorder = Recorder()

    results = make_backend().generate(make_request(n=3, seed=7), recorder, lambda: False)

    assert [body["parameters"]["seed"] for body in sent(hf)] == [7, 8, 9]
    assert [r.seed for r in results] == [7, 8, 9]
    assert [(p.step, p.total) for p in recorder.sampling()] == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_a_preset_can_point_at_another_base_url(hf, make_backend):
    hf.expect_request(f"/mirror/models/{MODEL}", method="POST").respond_with_response(
        png_response()
    )
    backend = make_backend(base_url="http://unused.invalid")
    request = make_request(options={"base_url": hf.url_for("/mirror")})

    assert len(backend.generate(request, Recorder(), lambda: False)) == 1


def test_an_inference_endpoint_url_as_model_id_is_posted_to_as_is(hf, make_backend):
    hf.expect_request("/endpoint", method="POST").respond_with_response(png_response())

    request = make_request(model_id=hf.url_for("/endpoint"))
    make_backend().generate(request, Recorder(), lambda: False)

    assert sent(hf)[0]["inputs"] == "a lighthouse at dawn"


def test_without_a_base_url_huggingface_hub_routes_the_hub_id():
    request = make_request()
    assert model_target(request, {}, "hf-inference") == MODEL
    assert model_target(request, {"base_url": "http://h/x/"}, "hf-inference") == (
        f"http://h/x/models/{MODEL}"
    )
    # Another provider has its own URLs: huggingface_hub maps the hub id to them.
    assert model_target(request, {"base_url": "http://h/x"}, "fal-ai") == MODEL


# Waiting and retrying ----------------------------------------------------------


def test_it_waits_for_a_loading_model_as_long_as_hugging_face_estimates(hf, make_backend, sleeps):
    loading = {"error": f"Model {MODEL} is currently loading", "estimated_time": 20.0}
    hf.expect_ordered_request(MODEL_PATH, method="POST").respond_with_response(
        json_response(loading, 503)
    )
    hf.expect_ordered_request(MODEL_PATH, method="POST").respond_with_response(png_response())
    recorder = Recorder()

    results = make_backend().generate(make_request(), recorder, lambda: False)

    assert len(results) == 1 and len(hf.log) == 2
    assert sleeps.total == 20.0
    waiting = [p for p in recorder.reports if p.phase == "waiting"]
    assert [p.message for p in waiting] == [
        f"Hugging Face is loading the model {MODEL} (about 20 s). Trying again in 20 s…"
    ]


def test_it_honours_retry_after_on_a_rate_limit(hf, make_backend, sleeps):
    hf.expect_ordered_request(MODEL_PATH, method="POST").respond_with_response(
        json_response({"error": "Rate limit reached"}, 429, headers={"Retry-After": "3"})
    )
    hf.expect_ordered_request(MODEL_PATH, method="POST").respond_with_response(png_response())
    recorder = Recorder()

    make_backend().generate(make_request(), recorder, lambda: False)

    assert sleeps.total == 3.0
    assert "rate-limiting" in [p for p in recorder.reports if p.phase == "waiting"][0].message


def test_it_gives_up_on_a_model_that_keeps_loading(hf, make_backend, sleeps):
    loading = {"error": f"Model {MODEL} is currently loading", "estimated_time": 20.0}
    hf.expect_request(MODEL_PATH, method="POST").respond_with_response(json_response(loading, 503))
    backend = make_backend(policy=RetryPolicy(max_total=50, max_attempts=10))

    with pytest.raises(BackendError) as raised:
        backend.generate(make_request(), Recorder(), lambda: False)

    assert not raised.value.retryable
    assert raised.value.message.startswith(f"Hugging Face is loading the model {MODEL}")
    assert "Tried 3 times over 40 s" in raised.value.message
    assert len(hf.log) == 3


def test_a_timeout_is_tried_again(hf, make_backend, release, sleeps):
    def too_slow(request):
        release.wait(10)
        return png_response()

    hf.expect_ordered_request(MODEL_PATH, method="POST").respond_with_handler(too_slow)
    hf.expect_ordered_request(MODEL_PATH, method="POST").respond_with_response(png_response())
    backend = make_backend(timeout=0.2)
    recorder = Recorder()

    results = backend.generate(make_request(), recorder, lambda: False)

    assert len(results) == 1
    assert (
        "did not answer in time" in [p for p in recorder.reports if p.phase == "waiting"][0].message
    )


def test_a_lasting_timeout_fails_with_a_clear_message(hf, make_backend, release):
    hf.expect_request(MODEL_PATH, method="POST").respond_with_handler(
        lambda request: release.wait(10) and png_response()
    )
    backend = make_backend(timeout=0.2, policy=RetryPolicy(base_delay=0.01, max_attempts=2))

    with pytest.raises(BackendError) as raised:
        backend.generate(make_request(), Recorder(), lambda: False)

    assert raised.value.message.startswith("Hugging Face did not answer in time. Tried 2 times")


def test_an_unreachable_server_is_retried_then_reported(make_backend):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    backend = make_backend(
        base_url=f"http://127.0.0.1:{port}", policy=RetryPolicy(base_delay=0.01, max_attempts=2)
    )

    with pytest.raises(BackendError) as raised:
        backend.generate(make_request(), Recorder(), lambda: False)

    assert raised.value.message.startswith("Could not reach Hugging Face (ConnectError).")
    assert "Tried 2 times" in raised.value.message


# Failures that trying again would not fix ------------------------------------


def test_it_reports_a_rejected_token_without_revealing_it(hf, make_backend):
    hf.expect_request(MODEL_PATH, method="POST").respond_with_response(
        json_response({"error": f"Invalid credentials in Authorization header: {TOKEN}"}, 401)
    )

    with pytest.raises(BackendError) as raised:
        make_backend().generate(make_request(), Recorder(), lambda: False)

    assert raised.value.message == "Hugging Face rejected the token (401). Check HF_TOKEN."
    assert not raised.value.retryable and len(hf.log) == 1
    assert TOKEN not in str(raised.value)


def test_a_forbidden_model_says_what_to_check_without_the_token(hf, make_backend):
    hf.expect_request(MODEL_PATH, method="POST").respond_with_response(
        json_response({"error": f"Token {TOKEN} lacks the inference permission"}, 403)
    )

    with pytest.raises(BackendError) as raised:
        make_backend().generate(make_request(), Recorder(), lambda: False)

    message = raised.value.message
    assert "refused access" in message and "(403)" in message and "HF_TOKEN" in message
    assert TOKEN not in message and "[token]" in message


def test_an_unknown_model_is_unavailable(hf, make_backend):
    hf.expect_request("/models/nobody/nothing", method="POST").respond_with_response(
        json_response({"error": "Model nobody/nothing does not exist"}, 404)
    )

    with pytest.raises(ModelUnavailable) as raised:
        make_backend().generate(make_request(model_id="nobody/nothing"), Recorder(), lambda: False)

    assert "no model nobody/nothing (404)" in raised.value.message
    assert not raised.value.retryable and len(hf.log) == 1


def test_a_bad_request_shows_hugging_faces_reason(hf, make_backend):
    hf.expect_request(MODEL_PATH, method="POST").respond_with_response(
        json_response({"error": ["Input validation error: `width` must be a multiple of 8"]}, 400)
    )

    with pytest.raises(BackendError) as raised:
        make_backend().generate(make_request(), Recorder(), lambda: False)

    assert raised.value.message == (
        "Hugging Face refused the request (400): "
        "Input validation error: `width` must be a multiple of 8."
    )
    assert len(hf.log) == 1


def test_a_server_error_with_an_html_page_is_reported_plainly(hf, make_backend):
    hf.expect_request(MODEL_PATH, method="POST").respond_with_data(
        "<html><body>Internal error</body></html>", status=500, content_type="text/html"
    )

    with pytest.raises(BackendError) as raised:
        make_backend().generate(make_request(), Recorder(), lambda: False)

    assert raised.value.message == "Hugging Face failed to make the image (500)."
    assert len(hf.log) == 1


def test_a_payload_that_is_not_an_image_fails_clearly(hf, make_backend):
    hf.expect_request(MODEL_PATH, method="POST").respond_with_json({"generated_text": "hello"})

    with pytest.raises(BackendError) as raised:
        make_backend().generate(make_request(), Recorder(), lambda: False)

    assert raised.value.message == "Hugging Face returned something that is not an image."
    assert not raised.value.retryable


def test_a_truncated_image_fails_clearly(hf, make_backend):
    hf.expect_request(MODEL_PATH, method="POST").respond_with_data(
        png(256, 256)[:120], content_type="image/png"
    )

    with pytest.raises(BackendError) as raised:
        make_backend().generate(make_request(), Recorder(), lambda: False)

    assert raised.value.message == "Hugging Face returned something that is not an image."


# Cancelling --------------------------------------------------------------------


def test_a_cancel_between_images_stops_before_the_next_call(hf, make_backend):
    hf.expect_request(MODEL_PATH, method="POST").respond_with_response(png_response())
    recorder = Recorder(cancel_after_step=1)

    with pytest.raises(Cancelled):
        make_backend().generate(make_request(n=3), recorder, recorder.should_cancel)

    assert len(hf.log) == 1


def test_a_cancel_while_waiting_for_a_loading_model_stops_the_wait(hf, make_backend, sleeps):
    loading = {"error": f"Model {MODEL} is currently loading", "estimated_time": 20.0}
    hf.expect_request(MODEL_PATH, method="POST").respond_with_response(json_response(loading, 503))
    cancelled = threading.Event()
    sleeps_then_cancel = lambda seconds: (sleeps(seconds), cancelled.set())  # noqa: E731
    backend = make_backend()
    backend.sleep = sleeps_then_cancel

    with pytest.raises(Cancelled):
        backend.generate(make_request(), Recorder(), cancelled.is_set)

    assert len(hf.log) == 1 and sleeps.total == 0.25


# Configuration -------------------------------------------------------------------


def test_the_registry_builds_it_from_settings():
    from studio.backends import ENGINES

    assert ENGINES["huggingface"] == "studio.backends.huggingface"
    backend = create_backend({"token": TOKEN, "max_retry_seconds": 60})
    assert backend.name == "huggingface" and backend.policy.max_total == 60
    assert backend.samplers() == [] and backend.models() == [MODEL]


def test_retry_after_reads_seconds_dates_and_the_ratelimit_header():
    assert retry_after_seconds({"retry-after": "12"}) == 12.0
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after_seconds({"ratelimit": '"api";r=0;t=55'}) == 55.0
    assert retry_after_seconds({}) is None
