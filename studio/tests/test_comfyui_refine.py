"""Inpainting, hires fix and Upscale on ComfyUI, from the Generate page
through the worker to the fake ComfyUI (studio/backends/tests/fake_comfyui.py):
the job succeeds, the picture has the size asked for (the original kept
outside the mask) and the recipe records what was done."""

import io

import pytest
from PIL import Image as PILImage
from PIL import ImageChops, ImageDraw

from studio import backends
from studio.backends import refusal
from studio.backends.init_image import fit_to_size
from studio.backends.tests.fake_comfyui import FakeComfyUI, color_for
from studio.models import GenerationJob
from studio.runner import run_job
from tests.fixtures import picture, png_bytes

FORM = {
    "prompt": "a lighthouse at dawn",
    "model": "comfyui-sdxl",
    "width": "512",
    "height": "512",
    "steps": "4",
    "seed": "7",
    "n": "1",
    "visibility": "private",
}


@pytest.fixture(autouse=True)
def comfy(settings, monkeypatch):
    """The ComfyUI engine, built from this test's settings, on a fake server."""
    monkeypatch.setattr(backends, "_instances", {})
    with FakeComfyUI() as fake:
        settings.ATELIER_ENGINES = {
            **settings.ATELIER_ENGINES,
            "comfyui": {"url": fake.url, "timeout": 5},
        }
        yield fake


def finished() -> GenerationJob:
    job = GenerationJob.objects.get()
    run_job(str(job.pk))
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    return job


def read_file(image) -> PILImage.Image:
    with image.file.open("rb") as file:
        result = PILImage.open(io.BytesIO(file.read()))
        result.load()
    return result.convert("RGB")


def mask_upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    mask = PILImage.new("L", (64, 48), 0)
    ImageDraw.Draw(mask).rectangle((20, 14, 43, 33), fill=255)
    return SimpleUploadedFile("mask.png", png_bytes(mask), content_type="image/png")


def test_comfyui_is_among_the_engines_that_inpaint_and_upscale():
    for operation in ("inpainting", "hires_fix"):
        assert refusal("comfyui", operation, "sd_xl_base_1.0.safetensors") == ""
        assert "ComfyUI" in refusal("huggingface", operation, "some/model")


def test_an_inpaint_job_on_comfyui_keeps_the_original_outside_the_mask(
    owner_client, owner, make_image, comfy
):
    source = make_image(owner)
    response = owner_client.post(
        "/generate/",
        {
            **FORM,
            "init_image": source.pk,
            "denoising_strength": "0.8",
            "mask": mask_upload(),
            "masked_content": "original",
            "mask_blur": "0",
            "resize_mode": "stretch",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    job = finished()

    image = job.images.get()
    result = read_file(image)
    original = fit_to_size(picture(), 512, 512, "stretch")
    assert result.size == (512, 512)
    assert result.getpixel((256, 250)) == color_for(7)  # inside the mask: repainted
    assert result.getpixel((10, 10)) == original.getpixel((10, 10))
    outside = PILImage.new("L", (512, 512), 255)
    # The mask stretched ×8 and ×10.7, with its resampled edge (3 mask pixels).
    ImageDraw.Draw(outside).rectangle((136, 117, 376, 395), fill=0)
    changed = ImageChops.difference(result, original).convert("L").point(lambda v: 255 * bool(v))
    assert ImageChops.multiply(changed, outside).getbbox() is None
    (sampler,) = [n for n in comfy.prompts[0]["prompt"].values() if n["class_type"] == "KSampler"]
    assert sampler["inputs"]["denoise"] == 0.8
    recipe = image.recipe
    assert recipe["backend"] == "comfyui"
    assert (recipe["width"], recipe["height"]) == (512, 512)
    assert recipe["masked_content"] == "original" and recipe["mask_blur"] == 0
    assert recipe["init_image"] == source.pk and recipe["denoising_strength"] == 0.8
    assert recipe["mask_sha256"] == job.request["mask_sha256"]


def test_a_hires_fix_on_comfyui_makes_the_scaled_size_and_records_the_base(owner_client, comfy):
    response = owner_client.post(
        "/generate/", {**FORM, "hires_upscale": "2", "hires_upscaler": "lanczos"}
    )
    assert response.status_code == 302, response.context["form"].errors
    job = finished()

    image = job.images.get()
    assert read_file(image).size == (1024, 1024)
    recipe = image.recipe
    assert (recipe["width"], recipe["height"]) == (512, 512)  # A1111's "Size": the base
    assert recipe["hires_upscale"] == 2.0 and recipe["hires_upscaler"] == "Lanczos"
    assert recipe["denoising_strength"] == 0.5
    classes = {n["class_type"] for n in comfy.prompts[0]["prompt"].values()}
    assert {"ImageScale", "VAEEncode", "EmptyLatentImage"} <= classes


def test_upscaling_a_picture_on_comfyui_doubles_its_own_size(
    owner_client, owner, make_image, comfy
):
    source = make_image(owner)  # 64 x 48
    response = owner_client.post(
        "/generate/", {**FORM, "init_image": source.pk, "hires_upscale": "2"}
    )
    assert response.status_code == 302, response.context["form"].errors
    job = finished()

    image = job.images.get()
    assert read_file(image).size == (128, 96)
    assert image.recipe["hires_upscaler"] == "Latent"
    (upload,) = comfy.uploads.values()
    assert PILImage.open(io.BytesIO(upload)).size == (64, 48)
