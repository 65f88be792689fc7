"""Image to image on the remote engines, from the Generate page through the
worker: each engine's fake server (its real wire format, as in
studio/backends/tests/) receives the starting picture and the strength, the job
succeeds and the recipe names the source. An engine (or model) that cannot
start from a picture is refused at the form, naming itself and the ones that can."""

import base64
import io
import json
from contextlib import ExitStack

import huggingface_hub.constants
import pytest
from PIL import Image as PILImage
from PIL import ImageChops
from pytest_httpserver import HTTPServer

from gallery.models import Image
from studio import backends
from studio.backends.init_image import fit_to_size
from studio.backends.tests import test_a1111, test_openai_images
from studio.backends.tests.fake_comfyui import FakeComfyUI
from studio.models import GenerationJob, ModelPreset
from studio.runner import run_job
from tests.fixtures import api_for, picture, png_bytes

CHECKPOINT = "v1-5-pruned-emaonly.safetensors"  # the a1111-sd15 preset's
A1111_MODELS = [
    {
        "title": f"{CHECKPOINT} [6ce0161689]",
        "model_name": "v1-5-pruned-emaonly",
        "hash": "6ce0161689",
        "sha256": None,
        "filename": f"/srv/webui/models/Stable-diffusion/{CHECKPOINT}",
        "config": None,
    }
]
HF_MODEL = "stabilityai/stable-diffusion-xl-base-1.0"  # the sdxl-hf preset's


def form(model: str, size: int, **extra) -> dict:
    return {
        "prompt": "a lighthouse at dawn",
        "model": model,
        "width": str(size),
        "height": str(size),
        "steps": "4",
        "seed": "7",
        "n": "1",
        "visibility": "private",
        "denoising_strength": "0.4",
        "resize_mode": "fit",
        **extra,
    }


@pytest.fixture(autouse=True)
def fresh_engines(monkeypatch):
    """Each test's engines are built from its own settings (the registry keeps one)."""
    monkeypatch.setattr(backends, "_instances", {})
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)


@pytest.fixture
def http_server():
    server = HTTPServer(threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


def configure(settings, engine: str, **config) -> None:
    settings.ATELIER_ENGINES = {
        **settings.ATELIER_ENGINES,
        engine: {**settings.ATELIER_ENGINES.get(engine, {}), **config},
    }


def decoded(data: bytes) -> PILImage.Image:
    image = PILImage.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def same_pixels(a: PILImage.Image, b: PILImage.Image) -> bool:
    return a.size == b.size and ImageChops.difference(a, b).getbbox() is None


# What each fake server received: (the picture, the strength it was given).


def a1111_engine(settings, http_server, stack):
    test_a1111.serve_basics(http_server, models=A1111_MODELS)
    http_server.expect_request("/sdapi/v1/img2img", method="POST").respond_with_handler(
        lambda request: test_a1111.json_response(test_a1111.txt2img_answer(request.get_json()))
    )
    url = http_server.url_for("").rstrip("/")
    configure(settings, "a1111", url=url, timeout=5, poll_interval=0.02)

    def received():
        (call,) = test_a1111.calls_to(http_server, "/sdapi/v1/img2img")
        body = call.get_json()
        assert body["resize_mode"] == 2  # A1111's "Resize and fill": A1111 resizes itself
        return decoded(base64.b64decode(body["init_images"][0])), body["denoising_strength"]

    return "a1111-sd15", 256, received, None


def comfyui_engine(settings, http_server, stack):
    fake = stack.enter_context(FakeComfyUI())
    configure(settings, "comfyui", url=fake.url, timeout=5)

    def received():
        (content,) = fake.uploads.values()
        (sampler,) = [
            n for n in fake.prompts[0]["prompt"].values() if n["class_type"] == "KSampler"
        ]
        return decoded(content), sampler["inputs"]["denoise"]

    return "comfyui-sdxl", 512, received, (512, 512)


def openai_engine(settings, http_server, stack):
    http_server.expect_request("/v1/images/edits", method="POST").respond_with_json(
        test_openai_images.images_answer(1, size=(1024, 1024))
    )
    configure(
        settings,
        "openai",
        api_key=test_openai_images.KEY,
        base_url=http_server.url_for("/v1"),
        timeout=5,
    )

    def received():
        ((call, _),) = http_server.log
        assert call.form["model"] == "gpt-image-1" and call.form["size"] == "1024x1024"
        return decoded(call.files["image"].read()), None  # OpenAI's edits take no strength

    return "gpt-image-1", 1024, received, (1024, 1024)


def huggingface_engine(settings, http_server, stack):
    buffer = io.BytesIO()
    PILImage.new("RGB", (512, 512), (9, 9, 9)).save(buffer, "PNG")
    http_server.expect_request(f"/models/{HF_MODEL}", method="POST").respond_with_data(
        buffer.getvalue(), content_type="image/png"
    )
    configure(
        settings, "huggingface", token="hf_test", base_url=http_server.url_for("").rstrip("/")
    )

    def received():
        ((call, _),) = http_server.log
        body = json.loads(call.get_data())
        return decoded(base64.b64decode(body["inputs"])), body["parameters"]["strength"]

    return "sdxl-hf", 512, received, (512, 512)


ENGINES = {
    "a1111": a1111_engine,
    "comfyui": comfyui_engine,
    "openai": openai_engine,
    "huggingface": huggingface_engine,
}


@pytest.mark.parametrize("engine", list(ENGINES))
def test_a_remote_engine_starts_from_the_picture_and_records_it(
    engine, owner_client, owner, make_image, settings, http_server
):
    with ExitStack() as stack:
        model, size, received, resized_to = ENGINES[engine](settings, http_server, stack)
        source = make_image(owner)

        response = owner_client.post("/generate/", form(model, size, init_image=source.pk))
        assert response.status_code == 302, response.context["form"].errors
        job = GenerationJob.objects.get()
        run_job(str(job.pk))
        job.refresh_from_db()

        assert job.status == "succeeded", job.error
        sent, strength = received()
        expected = picture() if resized_to is None else fit_to_size(picture(), *resized_to, "fit")
        assert same_pixels(sent, expected)
        assert strength == (None if engine == "openai" else 0.4)
        recipe = job.images.get().recipe
        assert recipe["backend"] == engine
        assert recipe["init_image"] == source.pk
        assert recipe["init_image_sha256"] == source.sha256
        assert recipe["denoising_strength"] == 0.4
        assert recipe["resize_mode"] == "Resize and fill"


def upload(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("start.png", content, content_type="image/png")


def test_a_model_that_cannot_start_from_a_picture_is_refused_at_the_form(
    owner_client, owner, make_image, settings
):
    configure(settings, "openai", api_key="sk-test")
    source = make_image(owner)
    images = Image.objects.count()
    for extra in ({"init_image": source.pk}, {"init_upload": upload(png_bytes(picture()))}):
        page = owner_client.post("/generate/", form("dall-e-3", 1024, **extra))
        assert page.status_code == 200
        (error,) = page.context["form"].errors["model"]
        assert error.startswith("OpenAI's dall-e-3 cannot start from an image")
        assert "Hugging Face, OpenAI's GPT Image models, AUTOMATIC1111 and ComfyUI can" in error
    assert not GenerationJob.objects.exists()
    assert Image.objects.count() == images  # the upload was not kept


def test_the_api_answers_400_naming_the_engines_that_can(owner, make_image, settings):
    configure(settings, "openai", api_key="sk-test")
    source = make_image(owner)
    body = {"prompt": "a fox", "model": "dall-e-3", "init_image": source.pk}
    response = api_for(owner).post("/api/v1/generations/", body, format="json")
    assert response.status_code == 400
    assert "OpenAI's dall-e-3 cannot start from an image" in str(response.json())
    assert "The local engine, Hugging Face" in str(response.json())
    assert not GenerationJob.objects.exists()


def test_a_preset_changed_to_a_refusing_model_fails_the_queued_job_clearly(
    owner_client, owner, make_image, settings
):
    configure(settings, "openai", api_key="sk-test", base_url="http://127.0.0.1:9/v1")
    source = make_image(owner)
    owner_client.post("/generate/", form("gpt-image-1", 1024, init_image=source.pk))
    job = GenerationJob.objects.get()
    ModelPreset.objects.filter(key="gpt-image-1").update(model_id="dall-e-3")
    run_job(str(job.pk))
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error.startswith("OpenAI's dall-e-3 cannot start from an image")
    assert not job.images.exists()
