"""Inpainting, hires fix and the upscale of a finished picture on the
AUTOMATIC1111 engine, against a fake server in A1111 1.10's wire format
(modules/api/models.py builds the request models from
StableDiffusionProcessingTxt2Img / Img2Img in modules/processing.py): each
test checks the whole body sent, the pictures in it pixel for pixel, and the
size of what comes back."""

import base64
import io

import pytest
from PIL import Image, ImageChops, ImageDraw

from studio.backends import refusal
from studio.backends.a1111 import A1111Backend
from studio.backends.init_image import fit_to_size
from studio.backends.inpaint_mask import InpaintOptions
from studio.backends.retrying import RetryPolicy

from . import test_a1111
from .progress_recorder import Recorder

FAST = RetryPolicy(base_delay=0.001, max_delay=0.01, max_total=1.0, max_attempts=3)
CHECKPOINT = {"override_settings": {"sd_model_checkpoint": test_a1111.TITLE}}
COMMON = {  # what every body here has, from the request of test_a1111.make_request
    "prompt": "a lighthouse at dusk",
    "negative_prompt": "blurry",
    "steps": 20,
    "cfg_scale": 6.5,
    "width": 64,
    "height": 48,
    "sampler_name": "Euler a",
    "seed": 1234,
    "batch_size": 1,
    "n_iter": 1,
    "send_images": True,
    "save_images": False,
    **CHECKPOINT,
}


@pytest.fixture(scope="package", autouse=True)
def one_torch_thread():
    """This engine never imports torch: replace the package's torch fixture."""
    yield


@pytest.fixture
def a1111(server):
    server.clear()
    test_a1111.serve_basics(server)
    for path in ("/sdapi/v1/txt2img", "/sdapi/v1/img2img"):
        server.expect_request(path, method="POST").respond_with_handler(answer)
    yield server
    server.check_handler_errors()


def answer(request):
    """A1111's answer, at the size it makes: width x height; times hr_scale
    with a hires fix (A1111's ``int(width * hr_scale)``); the starting
    picture's own size when only the masked area was inpainted (A1111 pastes
    the result back into it)."""
    body = request.get_json()
    width, height = body["width"], body["height"]
    if body.get("enable_hr"):
        width, height = int(width * body["hr_scale"]), int(height * body["hr_scale"])
    if body.get("mask") and body.get("inpaint_full_res"):
        width, height = decoded(body["init_images"][0]).size
    made = {**body, "width": width, "height": height}
    return test_a1111.json_response(test_a1111.txt2img_answer(made))


def starting_picture(width=96, height=64) -> Image.Image:
    picture = Image.new("RGB", (width, height))
    picture.putdata(
        [(x * 2 % 256, y * 3 % 256, (x + y) % 256) for y in range(height) for x in range(width)]
    )
    return picture


def painted_mask(size=(96, 64), box=(30, 20, 59, 43)) -> Image.Image:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rectangle(box, fill=255)
    return mask


def decoded(encoded: str) -> Image.Image:
    picture = Image.open(io.BytesIO(base64.b64decode(encoded, validate=True)))
    assert picture.format == "PNG"
    picture.load()
    return picture


def same_pixels(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and ImageChops.difference(a, b).getbbox() is None


def generate(server, request):
    recorder = Recorder()
    backend = A1111Backend(test_a1111.make_config(server), policy=FAST)
    return backend.generate(request, recorder, recorder.should_cancel)


def sent(server, path):
    (call,) = test_a1111.calls_to(server, path)
    return call.get_json()


# Inpainting -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "fill", "area", "full_res", "size"),
    [("original", 1, "whole", False, (64, 48)), ("fill", 0, "masked", True, (96, 64))],
)
def test_an_inpaint_job_sends_the_mask_and_a1111s_inpaint_options(
    a1111, content, fill, area, full_res, size
):
    start, mask = starting_picture(), painted_mask()
    inpaint = InpaintOptions(
        mask=mask, masked_content=content, mask_blur=6, inpaint_area=area, padding=24
    )
    request = test_a1111.make_request(
        init_image=start, strength=0.75, resize_mode="fit", inpaint=inpaint
    )

    results = generate(a1111, request)

    body = sent(a1111, "/sdapi/v1/img2img")
    (picture,) = body.pop("init_images")
    assert same_pixels(decoded(picture).convert("RGB"), start)
    sent_mask = decoded(body.pop("mask"))
    assert sent_mask.mode == "L" and same_pixels(sent_mask, mask)  # white: repainted
    assert body == {
        **COMMON,
        "denoising_strength": 0.75,
        "resize_mode": 2,
        "inpainting_fill": fill,
        "mask_blur": 6,
        "inpaint_full_res": full_res,
        "inpaint_full_res_padding": 24,
        "inpainting_mask_invert": 0,
    }
    assert not test_a1111.calls_to(a1111, "/sdapi/v1/txt2img")
    assert [(r.seed, r.image.size) for r in results] == [(1234, size)]


def test_a_mask_of_another_size_is_sent_at_the_pictures(a1111):
    """A1111 crops "only masked" from the mask and the picture alike."""
    small = painted_mask(size=(48, 32), box=(15, 10, 29, 21))
    request = test_a1111.make_request(
        init_image=starting_picture(), inpaint=InpaintOptions(mask=small)
    )
    generate(a1111, request)
    mask = decoded(sent(a1111, "/sdapi/v1/img2img")["mask"])
    assert mask.size == (96, 64)
    assert [value for value, count in enumerate(mask.histogram()) if count] == [0, 255]
    assert mask.getpixel((45, 31)) == 255 and mask.getpixel((5, 5)) == 0


# Hires fix --------------------------------------------------------------------


@pytest.mark.parametrize(("key", "name"), [("latent", "Latent"), ("lanczos", "Lanczos")])
def test_a_hires_fix_is_txt2imgs_enable_hr_and_a1111_answers_the_upscaled_size(a1111, key, name):
    request = test_a1111.make_request(
        n=2, hires_scale=1.5, hires_upscaler=key, hires_steps=7, strength=0.45
    )

    results = generate(a1111, request)

    assert sent(a1111, "/sdapi/v1/txt2img") == {
        **COMMON,
        "batch_size": 2,
        "enable_hr": True,
        "hr_scale": 1.5,
        "hr_upscaler": name,
        "hr_second_pass_steps": 7,
        "denoising_strength": 0.45,
    }
    assert [(r.seed, r.image.size) for r in results] == [(1234, (96, 72)), (1235, (96, 72))]


def test_hires_steps_0_is_a1111s_same_as_steps_and_variation_seeds_still_go(a1111):
    request = test_a1111.make_request(
        hires_scale=2.0, strength=0.5, variation_seed=77, variation_strength=0.3
    )
    generate(a1111, request)
    body = sent(a1111, "/sdapi/v1/txt2img")
    assert body["hr_second_pass_steps"] == 0 and body["hr_upscaler"] == "Latent"
    assert (body["subseed"], body["subseed_strength"]) == (77, 0.3)


# The Upscale action -----------------------------------------------------------


def test_an_upscale_with_lanczos_sends_the_picture_resized_here(a1111):
    start = starting_picture(100, 66)  # brought to its base size 96 x 64 as the local engine does
    request = test_a1111.make_request(
        width=96,
        height=64,
        init_image=start,
        hires_scale=2.0,
        hires_upscaler="lanczos",
        hires_steps=12,
        strength=0.35,
    )

    results = generate(a1111, request)

    body = sent(a1111, "/sdapi/v1/img2img")
    (picture,) = body.pop("init_images")
    base = fit_to_size(start, 96, 64, "crop")
    assert same_pixels(decoded(picture), base.resize((192, 128), Image.Resampling.LANCZOS))
    assert body == {
        **COMMON,
        "width": 192,
        "height": 128,
        "steps": 12,
        "denoising_strength": 0.35,
        "resize_mode": 0,
    }
    assert not test_a1111.calls_to(a1111, "/sdapi/v1/txt2img")
    assert [(r.seed, r.image.size) for r in results] == [(1234, (192, 128))]


def test_an_upscale_with_latent_lets_a1111_resize_the_base_picture(a1111):
    start = starting_picture()
    request = test_a1111.make_request(
        width=96, height=64, init_image=start, hires_scale=1.5, strength=0.5
    )

    results = generate(a1111, request)

    body = sent(a1111, "/sdapi/v1/img2img")
    assert same_pixels(decoded(body["init_images"][0]), start)
    assert (body["width"], body["height"], body["resize_mode"]) == (144, 96, 0)
    assert body["steps"] == 20 and "enable_hr" not in body
    assert results[0].image.size == (144, 96)


def test_an_upscale_with_nothing_to_repaint_is_the_lanczos_picture_without_a_run(a1111):
    start = starting_picture()
    request = test_a1111.make_request(
        n=2, width=96, height=64, init_image=start, hires_scale=2.0, strength=0.01
    )

    results = generate(a1111, request)

    assert not test_a1111.calls_to(a1111, "/sdapi/v1/img2img")
    expected = start.resize((192, 128), Image.Resampling.LANCZOS)
    assert [r.seed for r in results] == [1234, 1235]
    assert all(same_pixels(r.image, expected) for r in results)


# What the form asks -----------------------------------------------------------


def test_a1111_is_offered_for_inpainting_and_hires_fix():
    for operation in ("inpainting", "hires_fix"):
        assert refusal("a1111", operation, "v1-5-pruned-emaonly.safetensors") == ""
    refused = refusal("huggingface", "inpainting", "stabilityai/stable-diffusion-xl-base-1.0")
    assert "AUTOMATIC1111" in refused.split("cannot inpaint", 1)[1]
    refused = refusal("huggingface", "hires_fix", "stabilityai/stable-diffusion-xl-base-1.0")
    assert "AUTOMATIC1111" in refused.split("upscale.", 1)[1]
