"""Inpainting through the Generate page, the API and the worker, on the tiny
model: the mask sent with the form, what the job keeps and the recipe says,
the result kept outside the mask, Remix, and the masks that are refused."""

import base64
import hashlib
import io

import numpy as np
import pytest
from django.contrib.messages import get_messages
from PIL import Image as PILImage
from PIL import ImageDraw

from imaging.png_metadata import read_recipe
from studio.backends.init_image import working_size
from studio.masks import EMPTY, FULL, NEEDS_START, NOT_AN_IMAGE, NOT_BASE64
from studio.models import GenerationJob
from studio.runner import run_job
from tests.fixtures import api_for, png_bytes

from .test_img2img import FORM, upload

pytestmark = pytest.mark.local_engine


def mask_png(size=(64, 48), box=(20, 14, 43, 33), fill=255, mode="L") -> bytes:
    mask = PILImage.new(mode, size, 0)
    if box:
        ImageDraw.Draw(mask).rectangle(box, fill=fill)
    return png_bytes(mask)


def read_file(image) -> PILImage.Image:
    with image.file.open("rb") as file:
        picture = PILImage.open(io.BytesIO(file.read()))
        picture.load()
    return picture


def finished(job) -> GenerationJob:
    run_job(str(job.pk))
    job.refresh_from_db()
    return job


def test_the_inpaint_link_opens_the_painter_over_the_image(owner_client, owner, make_image):
    source = make_image(owner)
    page = owner_client.get(f"/generate/?inpaint={source.pk}")
    assert page.context["starting_image"] == source and page.context["inpaint_open"]
    assert f'data-src="/images/{source.pk}/file"' in page.text
    assert 'data-width="64" data-height="48"' in page.text
    assert 'name="mask"' in page.text and "js/mask-painter.js" in page.text
    image_page = owner_client.get(f"/images/{source.pk}/")
    assert f'href="/generate/?inpaint={source.pk}"' in image_page.text


def test_inpaint_and_use_as_starting_image_work_at_the_pictures_size(
    owner_client, owner, make_image, tiny_settings
):
    """As A1111's "Send to inpaint": the tiny model's 64x64 default would
    crop the 64x48 picture, and the pixels outside the mask would not be kept."""
    source = make_image(owner)
    for link in (f"?inpaint={source.pk}", f"?init={source.pk}"):
        form = owner_client.get(f"/generate/{link}").context["form"]
        assert (form["width"].value(), form["height"].value()) == (64, 48)
        assert form["denoising_strength"].value() == 0.6  # shown, not left blank
    form = owner_client.get(f"/generate/?init={source.pk}&model=tiny&width=96&height=96").context[
        "form"
    ]
    assert (form["width"].value(), form["height"].value()) == ("96", "96")  # a Remix's own size


def test_a_starting_size_keeps_within_the_models_sides():
    assert working_size(64, 48, 32, 512) == (64, 48)
    assert working_size(4000, 3000, 256, 2048) == (2048, 1536)
    assert working_size(100, 60, 256, 1024) == (424, 256)
    assert working_size(1001, 603, 256, 2048) == (1000, 600)  # multiples of 8


def test_an_inpaint_job_repaints_only_the_mask_and_records_it(
    owner_client, owner, make_image, tiny_settings
):
    source = make_image(owner)
    content = mask_png()
    response = owner_client.post(
        "/generate/",
        {
            **FORM,
            "init_image": source.pk,
            "denoising_strength": "1",
            "mask": upload(content, "mask.png"),
            "masked_content": "fill",
            "mask_blur": "2",
            "inpaint_area": "masked",
            "masked_area_padding": "4",
        },
    )
    assert response.status_code == 302
    job = GenerationJob.objects.get()
    stored = base64.b64decode(job.request["mask"])
    assert job.request["mask_sha256"] == hashlib.sha256(stored).hexdigest()
    assert PILImage.open(io.BytesIO(stored)).size == (64, 48)
    assert job.request["inpaint_area"] == "masked" and job.request["masked_content"] == "fill"

    job = finished(job)
    assert job.status == "succeeded", job.error
    page = owner_client.get(f"/jobs/{job.pk}/")
    assert f"inpainting from image #{source.pk} at strength" in page.text
    result = job.images.get()
    after, before = np.asarray(read_file(result)), np.asarray(read_file(source).convert("RGB"))
    assert after.shape == before.shape  # pasted back into the 64x48 original
    grown = np.zeros((48, 64), bool)
    grown[14 - 8 : 34 + 8, 20 - 8 : 44 + 8] = True  # the mask and its blur's reach
    assert (after[~grown] == before[~grown]).all()
    assert (after[14:34, 20:44] != before[14:34, 20:44]).any()

    recipe = result.recipe
    assert recipe["mask_sha256"] == job.request["mask_sha256"]
    assert recipe["inpaint_area"] == "Only masked" and recipe["masked_area_padding"] == 4
    assert recipe["masked_content"] == "fill" and recipe["mask_blur"] == 2
    with result.file.open("rb") as file:
        data = file.read()
    text = PILImage.open(io.BytesIO(data)).text["parameters"]
    assert "Mask blur: 2" in text and "Inpaint area: Only masked" in text
    assert read_recipe(data)["mask_sha256"] == recipe["mask_sha256"]

    # Remix brings back the starting image and the options, and says the mask is not.
    detail = owner_client.get(f"/images/{result.pk}/")
    remix = next(
        line.split('href="')[1].split('"')[0].replace("&amp;", "&")
        for line in detail.text.splitlines()
        if "bi-shuffle" in line
    )
    page = owner_client.get(remix)
    form = page.context["form"]
    assert str(form["init_image"].value()) == str(source.pk)
    assert form["inpaint_area"].value() == "masked" and str(form["mask_blur"].value()) == "2"
    assert form["masked_content"].value() == "fill"
    assert page.context["inpaint_open"]
    # One's own inpainting: the mask comes back from the job, for the painter.
    assert page.context["initial_mask"] == f"data:image/png;base64,{job.request['mask']}"
    assert f'data-initial-mask="{page.context["initial_mask"]}"' in page.text
    assert "the mask (paint it again)" not in page.context["remix_missing"]


def test_a_remix_of_another_persons_inpainting_asks_for_the_mask(owner, other_client, make_image):
    source = make_image(owner, visibility="public")
    made = make_image(owner, visibility="public")
    job = GenerationJob.objects.create(
        owner=owner, model="tiny", request={"mask": "c2VjcmV0", "mask_sha256": "ab"}
    )
    job.images.add(made)
    query = f"init_image={source.pk}&mask_sha256=ab&inpaint_area=Only+masked&remix_of={made.pk}"
    page = other_client.get(f"/generate/?{query}")
    assert page.context["initial_mask"] == "" and "c2VjcmV0" not in page.text
    assert "the mask (paint it again)" in page.context["remix_missing"]
    assert page.context["form"]["inpaint_area"].value() == "masked"


def test_a_form_sent_back_with_an_error_keeps_the_mask(owner_client, owner, make_image):
    source = make_image(owner)
    page = owner_client.post(
        "/generate/",
        {**FORM, "prompt": "", "init_image": source.pk, "mask": upload(mask_png(), "m.png")},
    )
    assert page.status_code == 200 and page.context["form"].errors["prompt"]
    sent = page.context["initial_mask"].removeprefix("data:image/png;base64,")
    mask = np.asarray(PILImage.open(io.BytesIO(base64.b64decode(sent))).convert("L"))
    assert mask[20, 30] == 255 and mask[2, 2] == 0
    assert "data-initial-mask=" in page.text


def test_a_mask_of_another_size_is_stretched_with_a_note(
    owner_client, owner, make_image, tiny_settings
):
    source = make_image(owner)
    small = mask_png(size=(32, 24), box=(8, 6, 20, 16))
    response = owner_client.post(
        "/generate/", {**FORM, "init_image": source.pk, "mask": upload(small, "m.png")}
    )
    assert response.status_code == 302
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("stretched to fit" in note and "32×24" in note for note in notes), notes
    stored = base64.b64decode(GenerationJob.objects.get().request["mask"])
    stored = PILImage.open(io.BytesIO(stored))
    assert stored.size == (64, 48)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (mask_png(box=None), EMPTY),
        (mask_png(box=(0, 0, 63, 47)), FULL),
        (b"\x89PNG\r\n\x1a\n broken", NOT_AN_IMAGE),
        (b"", None),  # an empty file: Django's own "The submitted file is empty."
    ],
)
def test_a_mask_that_cannot_be_used_is_a_form_error(
    owner_client, owner, make_image, tiny_settings, content, message
):
    source = make_image(owner)
    page = owner_client.post(
        "/generate/", {**FORM, "init_image": source.pk, "mask": upload(content, "m.png")}
    )
    assert page.status_code == 200
    errors = page.context["form"].errors["mask"]
    assert errors and (message is None or errors == [message])
    assert not GenerationJob.objects.exists()


def test_a_mask_without_a_starting_image_is_a_form_error(owner_client, tiny_settings):
    page = owner_client.post("/generate/", {**FORM, "mask": upload(mask_png(), "m.png")})
    assert page.context["form"].errors["mask"] == [NEEDS_START]
    assert not GenerationJob.objects.exists()


def test_the_api_takes_a_mask_as_base64_or_a_file(owner, make_image, tiny_settings):
    api = api_for(owner)
    source = make_image(owner)
    encoded = base64.b64encode(mask_png()).decode()
    body = {"prompt": "a fox", "init_image": source.pk, "inpaint_area": "masked"}

    response = api.post("/api/v1/generations/", {**body, "mask": encoded}, format="json")
    assert response.status_code == 202, response.json()
    data_url = f"data:image/png;base64,{encoded}"
    response = api.post("/api/v1/generations/", {**body, "mask": data_url}, format="json")
    assert response.status_code == 202, response.json()
    multipart = {**body, "mask": upload(mask_png(), "mask.png")}
    response = api.post("/api/v1/generations/", multipart, format="multipart")
    assert response.status_code == 202, response.json()
    jobs = GenerationJob.objects.all()
    assert {job.request["mask_sha256"] for job in jobs} == {jobs[0].request["mask_sha256"]}
    assert {job.request["inpaint_area"] for job in jobs} == {"masked"}


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        ("not base64 at all!", NOT_BASE64),
        (base64.b64encode(b"hello").decode(), NOT_AN_IMAGE),
        (base64.b64encode(mask_png(box=None)).decode(), EMPTY),
        ("\ud800", NOT_BASE64),
        ("A" * 20_000, "The mask is larger than"),
        (base64.b64encode(mask_png(size=(400, 400))).decode(), "The mask has too many pixels"),
        (12, NOT_BASE64),
    ],
)
def test_the_api_refuses_a_bad_mask(owner, make_image, tiny_settings, settings, mask, message):
    settings.ATELIER_MAX_UPLOAD_BYTES = 10_000
    settings.ATELIER_MAX_UPLOAD_PIXELS = 100_000
    source = make_image(owner)
    body = {"prompt": "a fox", "init_image": source.pk, "mask": mask}
    response = api_for(owner).post("/api/v1/generations/", body, format="json")
    assert response.status_code == 400
    assert message in str(response.json())
    assert not GenerationJob.objects.exists()


@pytest.fixture
def model_with_inpainting_variant(tiny_model_path, tmp_path):
    """A local model and, beside it, its ``-inpainting`` variant (a 9-channel UNet)."""
    torch = pytest.importorskip("torch", reason="needs the local engine (torch, diffusers)")
    from diffusers import StableDiffusionPipeline, UNet2DConditionModel

    from studio.models import ModelPreset

    base = tmp_path / "tiny-local"
    base.symlink_to(tiny_model_path, target_is_directory=True)
    pipe = StableDiffusionPipeline.from_pretrained(str(tiny_model_path))
    torch.manual_seed(0)
    pipe.unet = UNet2DConditionModel.from_config({**pipe.unet.config, "in_channels": 9})
    pipe.save_pretrained(tmp_path / "tiny-local-inpainting", safe_serialization=True)
    sizes = {"width": 64, "height": 64, "min_size": 64, "steps": 4}
    ModelPreset.objects.create(key="local", label="Local", model_id=str(base), **sizes)
    variant = ModelPreset.objects.create(
        key="local-inpainting",
        label="Local inpainting",
        model_id=str(tmp_path / "tiny-local-inpainting"),
        **sizes,
    )
    return variant


def test_a_mask_job_runs_on_the_models_inpainting_variant_when_installed(
    owner_client, owner, make_image, tiny_settings, model_with_inpainting_variant
):
    from studio.inpainting_models import inpainting_variant
    from studio.models import ModelPreset

    base = ModelPreset.objects.get(key="local")
    assert inpainting_variant(base) == model_with_inpainting_variant
    assert inpainting_variant(model_with_inpainting_variant) is None  # it is one already
    source = make_image(owner)
    owner_client.post(
        "/generate/",
        {**FORM, "model": "local", "init_image": source.pk, "mask": upload(mask_png(), "m.png")},
    )
    job = finished(GenerationJob.objects.get())
    assert job.status == "succeeded", job.error
    result = job.images.get()
    assert result.recipe["inpainting_model"] == "local-inpainting"
    assert result.recipe["model"] == "local"

    # The variant gone, the model inpaints by itself (from_pipe, a 4-channel UNet).
    model_with_inpainting_variant.delete()
    assert inpainting_variant(base) is None


def test_the_openapi_schema_describes_the_mask(db):
    from rest_framework.test import APIClient

    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    body = schema["components"]["schemas"]["GenerationCreateRequest"]["properties"]
    assert {"mask", "masked_content", "mask_blur", "inpaint_area"} <= set(body)
    assert "base64" in body["mask"]["description"]


def test_a_mask_for_an_engine_that_cannot_inpaint_is_refused_at_the_form(
    owner_client, owner, make_image, settings
):
    """Hugging Face takes a starting image but not a mask: the form says so
    rather than sending it a plain image to image."""
    settings.ATELIER_ENGINES = {
        **settings.ATELIER_ENGINES,
        "huggingface": {**settings.ATELIER_ENGINES.get("huggingface", {}), "token": "hf_x"},
    }
    source = make_image(owner)
    response = owner_client.post(
        "/generate/",
        {
            **FORM,
            "model": "sdxl-hf",
            "width": "512",
            "height": "512",
            "init_image": source.pk,
            "mask": upload(mask_png(), "mask.png"),
        },
    )
    assert response.status_code == 200
    assert "Hugging Face cannot inpaint" in response.text
    assert "local engine" in response.text
    assert not GenerationJob.objects.exists()
    # The mask comes back painted, for another model to take.
    sent = response.context["initial_mask"].removeprefix("data:image/png;base64,")
    mask = np.asarray(PILImage.open(io.BytesIO(base64.b64decode(sent))).convert("L"))
    assert mask[20, 30] == 255 and mask[2, 2] == 0
