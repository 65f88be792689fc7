"""Inpainting, hires fix and the Upscale action on AUTOMATIC1111, from the
Generate page (or the image's Upscale button) through the worker to the
gallery: a fake A1111 server (its 1.10 wire format, as in
studio/backends/tests/test_a1111_refine.py) receives the request, and the
stored image has the size A1111 answered and the recipe of the local engine."""

import base64
import io

import pytest
from PIL import Image as PILImage
from PIL import ImageDraw
from pytest_httpserver import HTTPServer

from studio import backends
from studio.backends.hires_fix import lanczos
from studio.backends.tests import test_a1111, test_a1111_refine
from studio.models import GenerationJob
from studio.runner import run_job
from tests.fixtures import picture, png_bytes

from .test_remote_img2img import A1111_MODELS, configure, form, same_pixels

MASK_BOX = (20, 14, 43, 33)


@pytest.fixture(autouse=True)
def fresh_engines(monkeypatch):
    """Each test's engine is built from its own settings (the registry keeps one)."""
    monkeypatch.setattr(backends, "_instances", {})


@pytest.fixture
def a1111(settings):
    server = HTTPServer(threaded=True)
    server.start()
    test_a1111.serve_basics(server, models=A1111_MODELS)
    for path in ("/sdapi/v1/txt2img", "/sdapi/v1/img2img"):
        server.expect_request(path, method="POST").respond_with_handler(test_a1111_refine.answer)
    configure(settings, "a1111", url=server.url_for("").rstrip("/"), timeout=5, poll_interval=0.02)
    yield server
    server.check_handler_errors()
    server.clear()
    server.stop()


def upload(content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="image/png")


def painted_mask() -> PILImage.Image:
    mask = PILImage.new("L", (64, 48), 0)
    ImageDraw.Draw(mask).rectangle(MASK_BOX, fill=255)
    return mask


def sent(server, path) -> dict:
    (call,) = test_a1111.calls_to(server, path)
    return call.get_json()


def decoded(encoded: str) -> PILImage.Image:
    picture = PILImage.open(io.BytesIO(base64.b64decode(encoded, validate=True)))
    picture.load()
    return picture


def finished(job) -> GenerationJob:
    run_job(str(job.pk))
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    return job


def stored_size(image) -> tuple[int, int]:
    with image.file.open("rb") as file:
        return PILImage.open(io.BytesIO(file.read())).size


def test_an_inpaint_job_on_a1111_sends_the_mask_and_keeps_what_it_pasted_back(
    owner_client, owner, make_image, a1111
):
    source = make_image(owner)  # 64 x 48
    response = owner_client.post(
        "/generate/",
        form(
            "a1111-sd15",
            256,
            init_image=source.pk,
            denoising_strength="0.8",
            mask=upload(png_bytes(painted_mask()), "mask.png"),
            masked_content="fill",
            mask_blur="2",
            inpaint_area="masked",
            masked_area_padding="4",
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    job = finished(GenerationJob.objects.get())

    body = sent(a1111, "/sdapi/v1/img2img")
    assert same_pixels(decoded(body.pop("init_images")[0]).convert("RGB"), picture())
    assert same_pixels(decoded(body.pop("mask")).convert("L"), painted_mask())
    assert body == {
        "prompt": "a lighthouse at dawn",
        "negative_prompt": "",
        "steps": 4,
        "cfg_scale": body["cfg_scale"],  # the preset's
        "width": 256,
        "height": 256,
        "sampler_name": body["sampler_name"],  # the preset's
        "seed": 7,
        "batch_size": 1,
        "n_iter": 1,
        "send_images": True,
        "save_images": False,
        "override_settings": {"sd_model_checkpoint": A1111_MODELS[0]["title"]},
        "denoising_strength": 0.8,
        "resize_mode": 2,
        "inpainting_fill": 0,
        "mask_blur": 2,
        "inpaint_full_res": True,
        "inpaint_full_res_padding": 4,
        "inpainting_mask_invert": 0,
    }

    result = job.images.get()
    assert stored_size(result) == (64, 48)  # only masked: pasted back into the original
    recipe = result.recipe
    assert recipe["backend"] == "a1111" and recipe["model"] == "a1111-sd15"
    assert recipe["init_image"] == source.pk and recipe["denoising_strength"] == 0.8
    assert recipe["mask_sha256"] == job.request["mask_sha256"]
    assert recipe["masked_content"] == "fill" and recipe["mask_blur"] == 2
    assert recipe["inpaint_area"] == "Only masked" and recipe["masked_area_padding"] == 4


def test_a_hires_fix_on_a1111_stores_the_upscaled_picture_with_its_base_size(owner_client, a1111):
    response = owner_client.post(
        "/generate/",
        form("a1111-sd15", 256, hires_upscale="2", hires_upscaler="lanczos", hires_steps="6"),
    )
    assert response.status_code == 302, response.context["form"].errors
    job = finished(GenerationJob.objects.get())

    body = sent(a1111, "/sdapi/v1/txt2img")
    assert (body["width"], body["height"], body["seed"], body["steps"]) == (256, 256, 7, 4)
    fields = ("enable_hr", "hr_scale", "hr_upscaler", "hr_second_pass_steps", "denoising_strength")
    assert {key: body.get(key) for key in fields} == {
        "enable_hr": True,
        "hr_scale": 2.0,
        "hr_upscaler": "Lanczos",
        "hr_second_pass_steps": 6,
        "denoising_strength": 0.4,
    }
    result = job.images.get()
    assert stored_size(result) == (512, 512) == (result.width, result.height)
    recipe = result.recipe
    assert (recipe["width"], recipe["height"]) == (256, 256)  # A1111's "Size": the base
    assert recipe["hires_upscale"] == 2.0 and recipe["hires_upscaler"] == "Lanczos"
    assert recipe["hires_steps"] == 6 and recipe["denoising_strength"] == 0.4


def test_the_upscale_action_on_an_a1111_picture_runs_on_a1111(owner_client, a1111):
    owner_client.post("/generate/", form("a1111-sd15", 256))
    made = finished(GenerationJob.objects.get()).images.get()
    a1111.log.clear()

    response = owner_client.post(f"/generate/upscale/{made.pk}/")
    assert response.status_code == 302
    job = finished(GenerationJob.objects.exclude(images=made).get())

    body = sent(a1111, "/sdapi/v1/img2img")
    with made.file.open("rb") as file:
        original = PILImage.open(io.BytesIO(file.read())).convert("RGB")
    assert same_pixels(decoded(body["init_images"][0]), lanczos(original, (512, 512)))
    assert (body["width"], body["height"], body["resize_mode"]) == (512, 512, 0)
    assert body["denoising_strength"] == 0.35 and body["prompt"] == "a lighthouse at dawn"
    assert not test_a1111.calls_to(a1111, "/sdapi/v1/txt2img")
    result = job.images.get()
    assert stored_size(result) == (512, 512)
    recipe = result.recipe
    assert recipe["backend"] == "a1111" and recipe["init_image"] == made.pk
    assert recipe["hires_upscale"] == 2.0 and recipe["hires_upscaler"] == "Lanczos"
    assert (recipe["width"], recipe["height"]) == (256, 256)


def test_the_pixel_limit_bounds_a1111s_hires_fix_and_upscale(owner_client, a1111, settings):
    settings.ATELIER_MAX_OUTPUT_PIXELS = 400 * 400
    page = owner_client.post("/generate/", form("a1111-sd15", 256, hires_upscale="2"))
    assert page.status_code == 200
    (error,) = page.context["form"].errors["hires_upscale"]
    assert "makes 512×512" in error and "160,000 pixels" in error

    owner_client.post("/generate/", form("a1111-sd15", 256))
    made = finished(GenerationJob.objects.get()).images.get()
    page = owner_client.post(f"/generate/upscale/{made.pk}/")
    assert page.status_code == 200 and "makes 512×512" in page.text
    assert GenerationJob.objects.count() == 1
    assert not test_a1111.calls_to(a1111, "/sdapi/v1/img2img")
