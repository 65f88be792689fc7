"""Image to image on the remote engines, against each one's fake server in its
real wire format: AUTOMATIC1111's ``/sdapi/v1/img2img``, ComfyUI's
``/upload/image`` and a LoadImage → VAEEncode → KSampler workflow, OpenAI's
``/v1/images/edits`` (multipart, as the official client sends it) and Hugging
Face's image-to-image task. Each test checks the picture the server received,
pixel for pixel, and the parameters beside it."""

import base64
import io
import json

import huggingface_hub.constants
import pytest
from PIL import Image, ImageChops

from studio.backends import refusal
from studio.backends.a1111 import A1111Backend
from studio.backends.base import BackendError
from studio.backends.comfyui import ComfyUIBackend
from studio.backends.huggingface import HuggingFaceBackend
from studio.backends.init_image import fit_to_size
from studio.backends.openai_images import NO_STRENGTH, OpenAIImagesBackend
from studio.backends.retrying import RetryPolicy

from . import test_a1111, test_comfyui, test_huggingface, test_openai_images
from .fake_comfyui import FakeComfyUI
from .progress_recorder import Recorder

FAST = RetryPolicy(base_delay=0.001, max_delay=0.01, max_total=1.0, max_attempts=3)


@pytest.fixture(scope="package", autouse=True)
def one_torch_thread():
    """These engines never import torch: replace the package's torch fixture."""
    yield


def starting_picture(width=96, height=64) -> Image.Image:
    """A picture whose pixels differ everywhere, so a wrong crop or stretch shows."""
    picture = Image.new("RGB", (width, height))
    picture.putdata(
        [(x * 2 % 256, y * 3 % 256, (x + y) % 256) for y in range(height) for x in range(width)]
    )
    return picture


def same_pixels(a: Image.Image, b: Image.Image) -> bool:
    return (
        a.size == b.size
        and ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is None
    )


def png_of(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    assert picture.format == "PNG"
    picture.load()
    return picture


def run(backend, request):
    recorder = Recorder()
    return backend.generate(request, recorder, recorder.should_cancel), recorder


# AUTOMATIC1111 ----------------------------------------------------------------


@pytest.fixture
def a1111(server):
    server.clear()
    yield server
    server.check_handler_errors()


def serve_img2img(server):
    server.expect_request("/sdapi/v1/img2img", method="POST").respond_with_handler(
        lambda request: test_a1111.json_response(test_a1111.txt2img_answer(request.get_json()))
    )


@pytest.mark.parametrize(("mode", "number"), [("stretch", 0), ("crop", 1), ("fit", 2)])
def test_a1111_gets_its_img2img_body_with_the_picture_as_it_is(a1111, mode, number):
    test_a1111.serve_basics(a1111)
    serve_img2img(a1111)
    start = starting_picture()
    request = test_a1111.make_request(
        n=2, init_image=start, init_image_id=5, strength=0.35, resize_mode=mode
    )

    results, _ = run(A1111Backend(test_a1111.make_config(a1111), policy=FAST), request)

    (call,) = test_a1111.calls_to(a1111, "/sdapi/v1/img2img")
    body = call.get_json()
    (encoded,) = body.pop("init_images")
    assert same_pixels(png_of(base64.b64decode(encoded, validate=True)), start)
    assert body == {
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
        "override_settings": {"sd_model_checkpoint": test_a1111.TITLE},
        "denoising_strength": 0.35,
        "resize_mode": number,
    }
    assert not test_a1111.calls_to(a1111, "/sdapi/v1/txt2img")
    assert [(r.seed, r.image.size) for r in results] == [(1234, (64, 48)), (1235, (64, 48))]


def test_a1111s_refusal_of_the_picture_is_shown(a1111):
    test_a1111.serve_basics(a1111)
    a1111.expect_request("/sdapi/v1/img2img", method="POST").respond_with_json(
        {"detail": [{"loc": ["body", "init_images"], "msg": "field required", "type": "x"}]},
        status=422,
    )
    request = test_a1111.make_request(init_image=starting_picture())
    with pytest.raises(BackendError) as raised:
        run(A1111Backend(test_a1111.make_config(a1111), policy=FAST), request)
    assert "rejected the request (422): init_images: field required" in raised.value.message


# ComfyUI ----------------------------------------------------------------------


@pytest.fixture
def comfy():
    with FakeComfyUI(checkpoints=[test_comfyui.CHECKPOINT]) as fake:
        yield fake


@pytest.mark.parametrize("mode", ["crop", "fit", "stretch"])
def test_comfyui_gets_the_picture_uploaded_and_an_img2img_workflow(comfy, mode):
    start = starting_picture()
    request = test_comfyui.make_request(n=2, init_image=start, strength=0.45, resize_mode=mode)

    results, _ = run(ComfyUIBackend(test_comfyui.make_config(comfy), policy=FAST), request)

    ((name, content),) = comfy.uploads.items()
    assert same_pixels(png_of(content), fit_to_size(start, 64, 48, mode))
    assert comfy.upload_forms == [{"type": "input", "overwrite": "true"}]
    assert len(comfy.prompts) == 2
    for body, seed in zip(comfy.prompts, [1234, 1235], strict=True):
        (loader,) = test_comfyui.nodes_of(body, "LoadImage")
        (encoder,) = test_comfyui.nodes_of(body, "VAEEncode")
        (sampler,) = test_comfyui.nodes_of(body, "KSampler")
        assert not test_comfyui.nodes_of(body, "EmptyLatentImage")
        assert loader["inputs"] == {"image": name}
        loader_id = next(k for k, node in body["prompt"].items() if node is loader)
        encoder_id = next(k for k, node in body["prompt"].items() if node is encoder)
        assert encoder["inputs"]["pixels"] == [loader_id, 0]
        assert sampler["inputs"]["latent_image"] == [encoder_id, 0]
        assert (sampler["inputs"]["seed"], sampler["inputs"]["denoise"]) == (seed, 0.45)
    assert [(r.seed, r.image.size) for r in results] == [(1234, (64, 48)), (1235, (64, 48))]


def test_the_same_picture_is_uploaded_under_the_same_name(comfy):
    backend = ComfyUIBackend(test_comfyui.make_config(comfy), policy=FAST)
    run(backend, test_comfyui.make_request(init_image=starting_picture()))
    run(backend, test_comfyui.make_request(init_image=starting_picture(), seed=9))
    run(backend, test_comfyui.make_request(init_image=starting_picture(80, 80)))
    assert len(comfy.upload_forms) == 3 and len(comfy.uploads) == 2


def test_a_txt2img_workflow_given_a_picture_says_what_to_do(comfy, tmp_path):
    workflow = tmp_path / "mine.json"
    workflow.write_text(
        json.dumps({"1": {"class_type": "LoadImage", "inputs": {"image": "{{image}}"}}})
    )
    request = test_comfyui.make_request(options={"workflow": str(workflow)})
    with pytest.raises(BackendError) as raised:
        run(ComfyUIBackend(test_comfyui.make_config(comfy), policy=FAST), request)
    assert "img2img_workflow" in raised.value.message
    assert not comfy.prompts


def test_a_lost_upload_is_comfyuis_validation_error(comfy):
    comfy.routes[("POST", "/upload/image")] = lambda request: (
        200,
        json.dumps({"name": "elsewhere.png", "subfolder": "", "type": "input"}).encode(),
        "application/json",
    )
    request = test_comfyui.make_request(init_image=starting_picture())
    with pytest.raises(BackendError) as raised:
        run(ComfyUIBackend(test_comfyui.make_config(comfy), policy=FAST), request)
    assert "LoadImage (node 10)" in raised.value.message
    assert "Invalid image file: elsewhere.png" in raised.value.message


# OpenAI -----------------------------------------------------------------------


@pytest.fixture
def openai_api(server):
    server.clear()
    yield server
    server.check_handler_errors()


def openai_backend(api):
    config = {"api_key": test_openai_images.KEY, "base_url": api.url_for("/v1"), "timeout": 5}
    return OpenAIImagesBackend(config, policy=FAST)


def test_gpt_image_edits_the_picture_brought_to_its_size(openai_api):
    openai_api.expect_request(
        "/v1/images/edits",
        method="POST",
        headers={"Authorization": f"Bearer {test_openai_images.KEY}"},
    ).respond_with_json(test_openai_images.images_answer(2))
    start = starting_picture()
    request = test_openai_images.make_request(
        model_id="gpt-image-1",
        width=1216,
        height=832,
        n=2,
        init_image=start,
        strength=0.3,
        resize_mode="fit",
        options={"quality": "high", "style": "vivid", "moderation": "low"},
    )

    results, recorder = run(openai_backend(openai_api), request)

    ((call, _),) = openai_api.log
    assert call.content_type.startswith("multipart/form-data")
    assert call.form.to_dict() == {
        "model": "gpt-image-1",
        "prompt": "a red fox in the snow",
        "n": "2",
        "size": "1536x1024",
        "quality": "high",
    }
    upload = call.files["image"]
    assert upload.mimetype == "image/png"
    assert same_pixels(png_of(upload.read()), fit_to_size(start, 1536, 1024, "fit"))
    assert len(results) == 2
    assert NO_STRENGTH in recorder.reports[0].message


@pytest.mark.parametrize("model", ["dall-e-3", "dall-e-2", "my-local-model"])
def test_openai_models_without_whole_picture_edits_refuse_a_starting_image(openai_api, model):
    request = test_openai_images.make_request(model_id=model, init_image=starting_picture())
    with pytest.raises(BackendError) as raised:
        run(openai_backend(openai_api), request)
    assert raised.value.message.startswith(f"OpenAI's {model} cannot start from an image")
    assert not openai_api.log


# Hugging Face -----------------------------------------------------------------


@pytest.fixture
def hf(server, monkeypatch):
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    server.clear()
    yield server
    server.check_handler_errors()


def test_hugging_face_gets_the_image_to_image_task(hf):
    hf.expect_request(
        test_huggingface.MODEL_PATH,
        method="POST",
        headers={"Authorization": f"Bearer {test_huggingface.TOKEN}"},
    ).respond_with_response(test_huggingface.png_response(width=96, height=72))
    config = {"token": test_huggingface.TOKEN, "base_url": hf.url_for("").rstrip("/")}
    start = starting_picture()
    request = test_huggingface.make_request(
        width=96, height=72, n=2, init_image=start, strength=0.55, resize_mode="stretch"
    )

    results, _ = run(HuggingFaceBackend({**config, "timeout": 5}, policy=FAST), request)

    bodies = [json.loads(call.get_data()) for call, _ in hf.log]
    assert len(bodies) == 2
    for body, seed in zip(bodies, [42, 43], strict=True):
        sent = png_of(base64.b64decode(body["inputs"], validate=True))
        assert same_pixels(sent, fit_to_size(start, 96, 72, "stretch"))
        assert body["parameters"] == {
            "prompt": "a lighthouse at dawn",
            "negative_prompt": test_huggingface.NEGATIVE,
            "target_size": {"width": 96, "height": 72},
            "num_inference_steps": 30,
            "guidance_scale": 7.5,
            "strength": 0.55,
            "seed": seed,
        }
    assert [(r.seed, r.image.size) for r in results] == [(42, (96, 72)), (43, (96, 72))]


def test_a_model_without_the_task_is_hugging_faces_own_words(hf):
    hf.expect_request(test_huggingface.MODEL_PATH, method="POST").respond_with_response(
        test_huggingface.json_response({"error": "Task image-to-image not supported"}, 400)
    )
    config = {"token": test_huggingface.TOKEN, "base_url": hf.url_for("").rstrip("/")}
    request = test_huggingface.make_request(init_image=starting_picture())
    with pytest.raises(BackendError) as raised:
        run(HuggingFaceBackend(config, policy=FAST), request)
    assert "Task image-to-image not supported" in raised.value.message


# The capability the form asks -------------------------------------------------


def test_which_engines_start_from_a_picture():
    for engine, model_id in (
        ("diffusers", "stabilityai/sdxl-turbo"),
        ("a1111", "v1-5-pruned-emaonly.safetensors"),
        ("comfyui", "sd_xl_base_1.0.safetensors"),
        ("huggingface", "stabilityai/stable-diffusion-xl-base-1.0"),
        ("openai", "gpt-image-1"),
    ):
        assert refusal(engine, "image_to_image", model_id) == ""
    refused = refusal("openai", "image_to_image", "dall-e-3")
    assert refused.startswith("OpenAI's dall-e-3 cannot start from an image")
    assert refused.endswith(
        "The local engine, Hugging Face, OpenAI's GPT Image models, AUTOMATIC1111 "
        "and ComfyUI can: pick one of their models."
    )


def test_an_engine_that_cannot_names_the_ones_that_can():
    refused = refusal("huggingface", "variations", "stabilityai/stable-diffusion-xl-base-1.0")
    assert refused == (
        "Hugging Face cannot use a variation seed. "
        "The local engine and AUTOMATIC1111 can: pick one of their models."
    )
    assert refusal("a1111", "variations", "v1-5-pruned-emaonly.safetensors") == ""
