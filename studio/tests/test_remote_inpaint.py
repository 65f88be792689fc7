"""Inpainting on OpenAI from the Generate page through the worker: the fake
OpenAI server receives the picture and OpenAI's mask (transparent where it is
repainted), the stored picture keeps the original outside the mask, and
dall-e-2, which edits only under a mask, takes a starting image with one and
refuses it without."""

import io

import pytest
from PIL import Image as PILImage
from PIL import ImageDraw
from pytest_httpserver import HTTPServer

from studio.backends.init_image import fit_to_size
from studio.backends.tests import test_openai_images
from studio.models import GenerationJob, ModelPreset
from studio.runner import run_job
from tests.fixtures import picture, png_bytes

from .test_img2img import upload
from .test_remote_img2img import (
    configure,
    decoded,
    form,
    fresh_engines,  # noqa: F401 (its autouse fixture)
    same_pixels,
)

ANSWER_COLOUR = (10, 120, 200)  # test_openai_images.png_b64's


@pytest.fixture
def http_server():
    server = HTTPServer(threaded=True)
    server.start()
    yield server
    server.stop()


def left_half_mask() -> bytes:
    """White (repaint) over the left half of the 64 x 48 starting picture."""
    mask = PILImage.new("L", (64, 48), 0)
    ImageDraw.Draw(mask).rectangle((0, 0, 31, 47), fill=255)
    return png_bytes(mask)


def serve_openai(settings, http_server, size):
    http_server.expect_request("/v1/images/edits", method="POST").respond_with_json(
        test_openai_images.images_answer(1, size=size)
    )
    configure(
        settings,
        "openai",
        api_key=test_openai_images.KEY,
        base_url=http_server.url_for("/v1"),
        timeout=5,
    )


def stored_picture(job) -> PILImage.Image:
    with job.images.get().file.open("rb") as file:
        return decoded(file.read())


def test_gpt_image_inpaints_and_the_original_is_kept_outside_the_mask(
    owner_client, owner, make_image, settings, http_server
):
    serve_openai(settings, http_server, (1024, 1024))
    source = make_image(owner)
    response = owner_client.post(
        "/generate/",
        form(
            "gpt-image-1",
            1024,
            init_image=source.pk,
            mask=upload(left_half_mask(), "mask.png"),
            mask_blur="0",
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    job = GenerationJob.objects.get()
    run_job(str(job.pk))
    job.refresh_from_db()

    assert job.status == "succeeded", job.error
    ((call, _),) = http_server.log
    assert call.form["model"] == "gpt-image-1" and call.form["size"] == "1024x1024"
    fitted = fit_to_size(picture(), 1024, 1024, "fit")
    assert same_pixels(decoded(call.files["image"].read()), fitted)
    alpha = PILImage.open(io.BytesIO(call.files["mask"].read())).getchannel("A")
    assert alpha.crop((0, 0, 500, 1024)).getextrema() == (0, 0)
    assert alpha.crop((524, 0, 1024, 1024)).getextrema() == (255, 255)
    stored = stored_picture(job)
    assert stored.crop((0, 0, 450, 1024)).getcolors() == [(450 * 1024, ANSWER_COLOUR)]
    kept = (600, 0, 1024, 1024)
    assert same_pixels(stored.crop(kept), fitted.crop(kept))
    recipe = job.images.get().recipe
    assert recipe["backend"] == "openai" and recipe["mask_sha256"] == job.request["mask_sha256"]


def test_dall_e_2_takes_a_starting_image_with_a_mask_only(
    owner_client, owner, make_image, settings, http_server
):
    ModelPreset.objects.create(
        key="dall-e-2",
        label="DALL·E 2",
        backend="openai",
        model_id="dall-e-2",
        width=512,
        height=512,
    )
    serve_openai(settings, http_server, (512, 512))
    source = make_image(owner)

    page = owner_client.post("/generate/", form("dall-e-2", 512, init_image=source.pk))
    assert page.status_code == 200
    (error,) = page.context["form"].errors["model"]
    assert error.startswith("OpenAI's dall-e-2 cannot start from an image without a mask")
    assert not GenerationJob.objects.exists()

    with_mask = form("dall-e-2", 512, init_image=source.pk, mask=upload(left_half_mask()))
    response = owner_client.post("/generate/", with_mask)
    assert response.status_code == 302, response.context["form"].errors
    job = GenerationJob.objects.get()
    run_job(str(job.pk))
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    ((call, _),) = http_server.log
    assert call.form["model"] == "dall-e-2" and "mask" in call.files


def test_dall_e_3_refuses_a_mask_naming_the_models_that_can(
    owner_client, owner, make_image, settings
):
    configure(settings, "openai", api_key="sk-test")
    source = make_image(owner)
    data = form("dall-e-3", 1024, init_image=source.pk, mask=upload(left_half_mask()))
    page = owner_client.post("/generate/", data)
    assert page.status_code == 200
    (error,) = page.context["form"].errors["mask"]
    assert error.startswith("OpenAI's dall-e-3 cannot inpaint")
    assert "OpenAI's GPT Image and dall-e-2 models" in error
    assert not GenerationJob.objects.exists()
