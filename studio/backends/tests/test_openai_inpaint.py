"""Inpainting on the OpenAI engine, against the fake OpenAI Images API:
``POST /v1/images/edits`` (multipart, as the official client sends it) with
the picture as ``image`` and OpenAI's mask as ``mask``: a PNG of the same
size, transparent (alpha 0) where it is repainted. The answer goes under the
original outside the mask, as on the local engine."""

import pytest
from PIL import Image, ImageChops, ImageDraw

from studio.backends import refusal
from studio.backends.base import BackendError
from studio.backends.init_image import fit_to_size
from studio.backends.inpaint_mask import InpaintOptions
from studio.backends.openai_images import NO_STRENGTH

from . import test_openai_images
from .test_remote_img2img import openai_backend, png_of, run, same_pixels, starting_picture

ANSWER_COLOUR = (10, 120, 200)  # test_openai_images.png_b64's


@pytest.fixture(scope="package", autouse=True)
def one_torch_thread():
    """This engine never imports torch: replace the package's torch fixture."""
    yield


@pytest.fixture
def openai_api(server):
    server.clear()
    yield server
    server.check_handler_errors()


def left_half_mask(width=96, height=64) -> Image.Image:
    """White (repaint) over the left half of the picture, black elsewhere."""
    mask = Image.new("L", (width, height), 0)
    ImageDraw.Draw(mask).rectangle((0, 0, width // 2 - 1, height - 1), fill=255)
    return mask


def answer_edits(api, size):
    api.expect_request("/v1/images/edits", method="POST").respond_with_json(
        test_openai_images.images_answer(2, size=size)
    )


def test_gpt_image_inpaints_with_openais_mask_and_keeps_the_original_outside_it(openai_api):
    answer_edits(openai_api, (1536, 1024))
    start = starting_picture()
    request = test_openai_images.make_request(
        model_id="gpt-image-1",
        width=1216,
        height=832,
        n=2,
        init_image=start,
        resize_mode="crop",
        inpaint=InpaintOptions(mask=left_half_mask(), mask_blur=0),
        options={"quality": "high"},
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
    fitted = fit_to_size(start, 1536, 1024, "crop")
    assert same_pixels(png_of(call.files["image"].read()), fitted)
    upload = call.files["mask"]
    assert upload.mimetype == "image/png"
    mask = png_of(upload.read())
    assert mask.mode == "RGBA" and mask.size == (1536, 1024)
    alpha = mask.getchannel("A")
    assert alpha.crop((0, 0, 760, 1024)).getextrema() == (0, 0)  # repainted: transparent
    assert alpha.crop((776, 0, 1536, 1024)).getextrema() == (255, 255)  # kept: opaque
    assert {value for _, value in alpha.getcolors()} == {0, 255}

    assert [result.image.size for result in results] == [(1536, 1024)] * 2
    for result in results:
        inside = result.image.crop((0, 0, 700, 1024))
        assert inside.getcolors() == [(700 * 1024, ANSWER_COLOUR)]
        # Outside the mask (past the resized edge's few pixels): the original, exactly.
        kept = (840, 0, 1536, 1024)
        assert same_pixels(result.image.crop(kept), fitted.crop(kept))
    assert NO_STRENGTH in recorder.reports[0].message
    assert "mask blur" not in recorder.reports[0].message


def test_dall_e_2_inpaints_square_with_b64_json_and_says_what_it_ignored(openai_api):
    answer_edits(openai_api, (256, 256))
    start = starting_picture(64, 64)
    request = test_openai_images.make_request(
        model_id="dall-e-2",
        width=256,
        height=256,
        n=2,
        init_image=start,
        resize_mode="stretch",
        inpaint=InpaintOptions(
            mask=left_half_mask(64, 64), mask_blur=8, masked_content="fill", inpaint_area="masked"
        ),
    )

    results, recorder = run(openai_backend(openai_api), request)

    ((call, _),) = openai_api.log
    assert call.form.to_dict() == {
        "model": "dall-e-2",
        "prompt": "a red fox in the snow",
        "n": "2",
        "size": "256x256",
        "response_format": "b64_json",
    }
    # The mask as painted: no blur, the picture as it is under it, the whole picture.
    assert same_pixels(png_of(call.files["image"].read()), fit_to_size(start, 256, 256, "stretch"))
    alpha = png_of(call.files["mask"].read()).getchannel("A")
    assert alpha.size == (256, 256) and {value for _, value in alpha.getcolors()} == {0, 255}
    expected = left_half_mask(256, 256).point(lambda value: 255 - value)
    assert (
        ImageChops.difference(
            alpha.crop((0, 0, 118, 256)), expected.crop((0, 0, 118, 256))
        ).getbbox()
        is None
    )
    assert len(results) == 2
    note = recorder.reports[0].message
    assert "OpenAI's edits take the mask as painted" in note
    assert "the mask blur (8 px)" in note
    assert "“fill” for the masked content" in note
    assert "“only masked area”" in note


@pytest.mark.parametrize("model", ["dall-e-3", "my-local-model"])
def test_models_without_edits_refuse_a_mask_before_calling(openai_api, model):
    request = test_openai_images.make_request(
        model_id=model, init_image=starting_picture(), inpaint=InpaintOptions(mask=left_half_mask())
    )
    with pytest.raises(BackendError) as raised:
        run(openai_backend(openai_api), request)
    assert raised.value.message.startswith(f"OpenAI's {model} cannot inpaint")
    assert not openai_api.log


def test_which_openai_models_inpaint_as_the_form_asks():
    assert refusal("openai", "inpainting", "gpt-image-1") == ""
    assert refusal("openai", "inpainting", "gpt-image-1-mini") == ""
    assert refusal("openai", "inpainting", "dall-e-2") == ""
    refused = refusal("openai", "inpainting", "dall-e-3")
    assert refused.startswith("OpenAI's dall-e-3 cannot inpaint")
    assert "OpenAI's GPT Image and dall-e-2 models" in refused
    # dall-e-2 edits only under a mask: a starting image alone stays refused.
    assert refusal("openai", "image_to_image", "dall-e-2").startswith(
        "OpenAI's dall-e-2 cannot start from an image without a mask"
    )
