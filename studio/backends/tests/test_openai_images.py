"""The OpenAI engine against a fake OpenAI Images API.

The fake speaks OpenAI's wire format: ``POST /v1/images/generations`` with
``{model, prompt, n, size[, response_format]}`` and ``Authorization: Bearer
<key>``; the answer is ``{"created", "data": [{"b64_json", "revised_prompt"}]}``,
or an error ``{"error": {"message", "type", "param", "code"}}``.
"""

import base64
import io
import json
import socket

import pytest
from PIL import Image
from werkzeug import Response

from studio.backends.base import BackendError, Cancelled, GenerationRequest, ModelUnavailable
from studio.backends.openai_images import (
    MODELS,
    OTHER_MODEL,
    OpenAIImagesBackend,
    batches,
    create_backend,
    parse_duration,
    pick_size,
    retry_after_seconds,
)
from studio.backends.retrying import RetryPolicy

from .progress_recorder import Recorder

KEY = "sk-proj-secretKEY0123456789abcdef"
PATH = "/v1/images/generations"


@pytest.fixture(scope="package", autouse=True)
def one_torch_thread():
    """This engine never imports torch: replace the package's torch fixture."""
    yield


@pytest.fixture
def api(server):
    server.clear()
    yield server
    server.check_handler_errors()


@pytest.fixture
def make_backend(api, sleeps):
    def make(**config):
        settings = {"api_key": KEY, "base_url": api.url_for("/v1"), "timeout": 5}
        policy = config.pop("policy", RetryPolicy(base_delay=0.5, max_total=100, max_attempts=4))
        return OpenAIImagesBackend({**settings, **config}, policy=policy, sleep=sleeps)

    return make


def make_request(**fields):
    defaults = {
        "prompt": "a red fox in the snow",
        "negative_prompt": "blurry",
        "model": "dall-e-3",
        "model_id": "dall-e-3",
        "width": 1024,
        "height": 1024,
        "seed": 5,
        "n": 1,
    }
    return GenerationRequest(**{**defaults, **fields})


def png_b64(size=(32, 32), color=(10, 120, 200)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def images_answer(count=1, size=(32, 32)):
    return {
        "created": 1713833628,
        "data": [{"b64_json": png_b64(size), "revised_prompt": "A red fox."}] * count,
    }


def openai_error(status, message, type_="invalid_request_error", code=None, param=None, **kw):
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return Response(
        json.dumps(body), status=status, content_type="application/json", headers=kw.get("headers")
    )


def answer_per_call(request):
    """A well-behaved fake: as many images as the call asks for."""
    body = json.loads(request.get_data())
    return Response(json.dumps(images_answer(body["n"])), content_type="application/json")


def sent(api):
    return [json.loads(request.get_data()) for request, _ in api.log]


# The request on the wire -----------------------------------------------------


def test_it_posts_what_dall_e_3_expects(api, make_backend):
    api.expect_request(
        PATH,
        method="POST",
        json={
            "model": "dall-e-3",
            "prompt": "a red fox in the snow",
            "n": 1,
            "size": "1024x1024",
            "response_format": "b64_json",
            "quality": "hd",
            "style": "natural",
        },
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
    ).respond_with_json(images_answer())

    request = make_request(options={"quality": "hd", "style": "natural"})
    results = make_backend().generate(request, Recorder(), lambda: False)

    assert [(r.seed, r.image.size) for r in results] == [(5, (32, 32))]
    assert results[0].image.getpixel((0, 0)) == (10, 120, 200)


def test_it_sends_no_negative_prompt_seed_or_steps(api, make_backend):
    api.expect_request(PATH, method="POST").respond_with_json(images_answer())

    make_backend().generate(make_request(), Recorder(), lambda: False)

    assert set(sent(api)[0]) == {"model", "prompt", "n", "size", "response_format"}


def test_it_does_not_ask_gpt_image_1_for_a_response_format(api, make_backend):
    api.expect_request(PATH, method="POST").respond_with_handler(answer_per_call)
    request = make_request(model_id="gpt-image-1", width=1216, height=832, n=3)
    recorder = Recorder()

    results = make_backend().generate(request, recorder, lambda: False)

    assert sent(api) == [
        {"model": "gpt-image-1", "prompt": "a red fox in the snow", "n": 3, "size": "1536x1024"}
    ]
    assert [r.seed for r in results] == [5, 6, 7]
    assert recorder.reports[0].message == (
        "gpt-image-1 makes 1536×1024 images, the nearest to the 1216×832 asked for."
    )


def test_dall_e_3_makes_one_image_per_call(api, make_backend):
    api.expect_request(PATH, method="POST").respond_with_handler(answer_per_call)
    recorder = Recorder()

    results = make_backend().generate(make_request(n=3), recorder, lambda: False)

    assert [body["n"] for body in sent(api)] == [1, 1, 1]
    assert len(results) == 3
    assert [(p.step, p.total) for p in recorder.sampling()] == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_dall_e_2_makes_all_images_in_one_call_at_its_nearest_size(api, make_backend):
    api.expect_request(PATH, method="POST").respond_with_handler(answer_per_call)

    request = make_request(model_id="dall-e-2", width=640, height=576, n=2)
    make_backend().generate(request, Recorder(), lambda: False)

    assert [(body["n"], body["size"]) for body in sent(api)] == [(2, "512x512")]


def test_a_preset_can_point_at_an_openai_compatible_server(api, make_backend):
    api.expect_request("/compat/v1/images/generations", method="POST").respond_with_json(
        images_answer()
    )
    backend = make_backend(base_url="http://unused.invalid/v1")
    request = make_request(
        model_id="sdxl", width=832, height=1216, options={"base_url": api.url_for("/compat/v1/")}
    )

    backend.generate(request, Recorder(), lambda: False)

    assert sent(api)[0]["size"] == "832x1216" and sent(api)[0]["response_format"] == "b64_json"


def test_organization_and_project_headers_are_sent_when_set(api, make_backend):
    api.expect_request(
        PATH, method="POST", headers={"OpenAI-Organization": "org-1", "OpenAI-Project": "proj_2"}
    ).respond_with_json(images_answer())

    backend = make_backend(organization="org-1", project="proj_2")
    assert len(backend.generate(make_request(), Recorder(), lambda: False)) == 1


# Sizes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "asked", "made"),
    [
        ("dall-e-3", (512, 512), (1024, 1024)),
        ("dall-e-3", (1344, 768), (1792, 1024)),
        ("dall-e-3", (768, 1344), (1024, 1792)),
        ("dall-e-3", (1024, 960), (1024, 1024)),
        ("dall-e-2", (256, 256), (256, 256)),
        ("dall-e-2", (768, 768), (1024, 1024)),
        ("dall-e-2", (1024, 576), (1024, 1024)),
        ("gpt-image-1", (1024, 768), (1536, 1024)),
        ("gpt-image-1", (512, 768), (1024, 1536)),
    ],
)
def test_it_picks_the_models_nearest_size(model, asked, made):
    assert pick_size(MODELS[model], *asked) == made


def test_another_servers_model_gets_the_size_asked_for():
    assert pick_size(OTHER_MODEL, 832, 1216) == (832, 1216)


def test_images_are_split_into_calls():
    assert batches(5, 2) == [2, 2, 1]
    assert batches(3, 1) == [1, 1, 1]
    assert batches(8, 10) == [8]


# Waiting and retrying ----------------------------------------------------------


def test_it_honours_retry_after_on_a_rate_limit(api, make_backend, sleeps):
    api.expect_ordered_request(PATH, method="POST").respond_with_response(
        openai_error(
            429,
            "Rate limit reached for images per minute.",
            type_="requests",
            code="rate_limit_exceeded",
            headers={"Retry-After": "7"},
        )
    )
    api.expect_ordered_request(PATH, method="POST").respond_with_json(images_answer())
    recorder = Recorder()

    make_backend().generate(make_request(), recorder, lambda: False)

    assert sleeps.total == 7.0
    assert [p.message for p in recorder.reports if p.phase == "waiting"] == [
        "OpenAI is rate-limiting this key (429). Trying again in 7 s…"
    ]


def test_it_honours_the_rate_limit_reset_header(api, make_backend, sleeps):
    api.expect_ordered_request(PATH, method="POST").respond_with_response(
        openai_error(
            429,
            "Rate limit reached.",
            type_="requests",
            code="rate_limit_exceeded",
            headers={"x-ratelimit-reset-requests": "1m2.5s"},
        )
    )
    api.expect_ordered_request(PATH, method="POST").respond_with_json(images_answer())
    backend = make_backend(policy=RetryPolicy(max_delay=120, max_total=300))

    backend.generate(make_request(), Recorder(), lambda: False)

    assert sleeps.total == 62.5


def test_a_server_error_is_tried_again(api, make_backend, sleeps):
    api.expect_ordered_request(PATH, method="POST").respond_with_response(
        openai_error(500, "The server had an error while processing your request.", "server_error")
    )
    api.expect_ordered_request(PATH, method="POST").respond_with_json(images_answer())

    results = make_backend().generate(make_request(), Recorder(), lambda: False)

    assert len(results) == 1 and len(api.log) == 2 and len(sleeps) > 0


def test_a_lasting_rate_limit_ends_with_a_clear_message(api, make_backend):
    api.expect_request(PATH, method="POST").respond_with_response(
        openai_error(
            429,
            "Rate limit reached.",
            "requests",
            "rate_limit_exceeded",
            headers={"retry-after-ms": "2000"},
        )
    )
    backend = make_backend(policy=RetryPolicy(max_attempts=3))

    with pytest.raises(BackendError) as raised:
        backend.generate(make_request(), Recorder(), lambda: False)

    assert raised.value.message == (
        "OpenAI is rate-limiting this key (429). Tried 3 times over 4 s; "
        "try again later or pick another model."
    )
    assert not raised.value.retryable
    assert len(api.log) == 3  # Atelier's loop is the only one: the client's retries are off


def test_a_timeout_is_tried_again(api, make_backend, release):
    def too_slow(request):
        release.wait(10)
        return answer_per_call(request)

    api.expect_ordered_request(PATH, method="POST").respond_with_handler(too_slow)
    api.expect_ordered_request(PATH, method="POST").respond_with_json(images_answer())
    recorder = Recorder()

    results = make_backend(timeout=0.2).generate(make_request(), recorder, lambda: False)

    assert len(results) == 1
    assert (
        "did not answer in time" in [p for p in recorder.reports if p.phase == "waiting"][0].message
    )


def test_an_unreachable_server_is_retried_then_reported(make_backend):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    backend = make_backend(
        base_url=f"http://127.0.0.1:{port}/v1", policy=RetryPolicy(base_delay=0.01, max_attempts=2)
    )

    with pytest.raises(BackendError) as raised:
        backend.generate(make_request(), Recorder(), lambda: False)

    assert raised.value.message.startswith("Could not reach OpenAI (ConnectError). Tried 2 times")


# Failures that trying again would not fix ------------------------------------


def test_it_reports_a_rejected_key_without_revealing_it(api, make_backend):
    api.expect_request(PATH, method="POST").respond_with_response(
        openai_error(
            401,
            f"Incorrect API key provided: {KEY[:8]}***{KEY[-4:]}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            code="invalid_api_key",
        )
    )

    with pytest.raises(BackendError) as raised:
        make_backend().generate(make_request(), Recorder(), lambda: False)

    assert raised.value.message == "OpenAI rejected the API key (401). Check OPENAI_API_KEY."
    assert not raised.value.retryable and len(api.log) == 1
    assert KEY[:8] not in str(raised.value) and KEY[-4:] not in str(raised.value)


def test_a_refused_prompt_is_not_retried(api, make_backend):
    api.expect_request(PATH, method="POST").respond_with_response(
        openai_error(
            400,
            "Your request was rejected as a result of our safety system.",
            code="content_policy_violation",
        )
    )

    with pytest.raises(BackendError) as raised:
        make_backend().generate(make_request(), Recorder(), lambda: False)

    assert raised.value.message == (
        "OpenAI refused the prompt: Your request was rejected as a result of our safety system. "
        "Change the prompt and try again."
    )
    assert not raised.value.retryable and len(api.log) == 1


def test_an_exhausted_quota_is_not_retried(api, make_backend):
    api.expect_request(PATH, method="POST").respond_with_response(
        openai_error(
            429,
            "You exceeded your current quota, please check your plan and billing details.",
            type_="insufficient_quota",
            code="insufficient_quota",
        )
    )

    with pytest.raises(BackendError) as raised:
        make_backend().generate(make_request(), Recorder(), lambda: False)

    assert raised.value.message.startswith("The OpenAI account is out of credit (429)")
    assert not raised.value.retryable and len(api.log) == 1


def test_an_unknown_model_is_unavailable(api, make_backend):
    api.expect_request(PATH, method="POST").respond_with_response(
        openai_error(
            404,
            "The model `dall-e-9` does not exist or you do not have access to it.",
            code="model_not_found",
        )
    )

    with pytest.raises(ModelUnavailable) as raised:
        make_backend().generate(make_request(model_id="dall-e-9"), Recorder(), lambda: False)

    assert raised.value.message == (
        "OpenAI cannot run the model dall-e-9 (404): The model `dall-e-9` does not exist or you "
        "do not have access to it. Check the preset's model id."
    )


def test_a_bad_request_shows_openais_reason_without_the_key(api, make_backend):
    api.expect_request(PATH, method="POST").respond_with_response(
        openai_error(400, f"Invalid size for key {KEY}.", param="size", code="invalid_value")
    )

    with pytest.raises(BackendError) as raised:
        make_backend().generate(make_request(), Recorder(), lambda: False)

    assert raised.value.message == "OpenAI refused the request (400): Invalid size for key [key]."


def test_a_compatible_servers_plain_error_string_is_shown(api, make_backend):
    api.expect_request(PATH, method="POST").respond_with_json(
        {"error": "Prompt is longer than 77 tokens."}, status=422
    )

    with pytest.raises(BackendError) as raised:
        make_backend().generate(make_request(model_id="sdxl"), Recorder(), lambda: False)

    assert raised.value.message == (
        "OpenAI refused the request (422): Prompt is longer than 77 tokens."
    )


def test_a_proxys_html_page_is_not_quoted(api, make_backend):
    api.expect_request(PATH, method="POST").respond_with_data(
        "<html><body><h1>403 Forbidden</h1></body></html>", status=403, content_type="text/html"
    )

    with pytest.raises(BackendError) as raised:
        make_backend().generate(make_request(), Recorder(), lambda: False)

    assert raised.value.message == "OpenAI refused access to dall-e-3 (403)."


def test_malformed_json_fails_clearly(api, make_backend):
    api.expect_request(PATH, method="POST").respond_with_data(
        '{"created": 1, "data": [', content_type="application/json"
    )

    with pytest.raises(BackendError) as raised:
        make_backend().generate(make_request(), Recorder(), lambda: False)

    assert raised.value.message == "OpenAI returned a malformed answer (not JSON)."
    assert not raised.value.retryable and len(api.log) == 1


def test_a_page_instead_of_json_fails_clearly(api, make_backend):
    api.expect_request(PATH, method="POST").respond_with_data(
        "<html><body>Sign in to the proxy</body></html>", content_type="text/html"
    )

    with pytest.raises(BackendError) as raised:
        make_backend().generate(make_request(), Recorder(), lambda: False)

    assert raised.value.message == "OpenAI returned a malformed answer (not JSON)."
    assert not raised.value.retryable


def test_a_payload_that_is_not_an_image_fails_clearly(api, make_backend):
    not_png = base64.b64encode(b"this is not a picture at all").decode()
    api.expect_request(PATH, method="POST").respond_with_json(
        {"created": 1, "data": [{"b64_json": not_png}]}
    )

    with pytest.raises(BackendError) as raised:
        make_backend().generate(make_request(), Recorder(), lambda: False)

    assert raised.value.message == "OpenAI returned something that is not an image."


def test_an_answer_with_links_instead_of_data_fails_clearly(api, make_backend):
    api.expect_request(PATH, method="POST").respond_with_json(
        {"created": 1, "data": [{"url": "https://example.invalid/img.png"}]}
    )

    with pytest.raises(BackendError) as raised:
        make_backend().generate(make_request(), Recorder(), lambda: False)

    assert "image links instead of image data" in raised.value.message


def test_fewer_images_than_asked_for_fail_clearly(api, make_backend):
    api.expect_request(PATH, method="POST").respond_with_json(images_answer(1))

    with pytest.raises(BackendError) as raised:
        make_backend().generate(make_request(model_id="dall-e-2", n=2), Recorder(), lambda: False)

    assert raised.value.message == "OpenAI returned 1 of the 2 images asked for."


# Cancelling --------------------------------------------------------------------


def test_a_cancel_between_calls_stops_before_the_next_one(api, make_backend):
    api.expect_request(PATH, method="POST").respond_with_handler(answer_per_call)
    recorder = Recorder(cancel_after_step=1)

    with pytest.raises(Cancelled):
        make_backend().generate(make_request(n=3), recorder, recorder.should_cancel)

    assert len(api.log) == 1


# Configuration -------------------------------------------------------------------


def test_without_a_base_url_it_says_what_to_set():
    backend = create_backend({"api_key": KEY})

    with pytest.raises(BackendError) as raised:
        backend.generate(make_request(), Recorder(), lambda: False)

    assert raised.value.message == "The OpenAI base URL is not set. Set OPENAI_BASE_URL."


def test_the_registry_builds_it_from_settings():
    from studio.backends import ENGINES

    assert ENGINES["openai"] == "studio.backends.openai_images"
    backend = create_backend({"api_key": KEY, "max_retry_seconds": 30})
    assert backend.name == "openai" and backend.policy.max_total == 30
    assert backend.samplers() == [] and "gpt-image-1" in backend.models()


def test_retry_hints_are_read_from_openais_headers():
    assert retry_after_seconds({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after_seconds({"retry-after": "9"}) == 9.0
    assert retry_after_seconds({"x-ratelimit-reset-requests": "6m0s"}) == 360.0
    assert retry_after_seconds({}) is None
    assert parse_duration("20ms") == 0.02
    assert parse_duration("1h2m3.5s") == 3723.5
    assert parse_duration("soon") is None
