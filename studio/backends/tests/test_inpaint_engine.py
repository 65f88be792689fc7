"""Inpainting on the local engine, with the tiny random-weight model: only the
mask's part changes, the rest is the original's pixels exactly (A1111's
overlay), the progress counts the steps the strength leaves, and a model
whose UNet takes 9 channels (an inpainting model) is used as one."""

import pytest

pytest.importorskip(
    "torch", reason="needs the local engine (torch, diffusers): pip install -e '.[local]'"
)

import numpy as np
from PIL import Image, ImageDraw

from studio.backends.diffusers_local import denoising_steps, inpaint_pipeline
from studio.backends.inpaint_mask import InpaintOptions

from .progress_recorder import Recorder


def picture(width, height, seed=3) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def rectangle_mask(size, box) -> Image.Image:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rectangle(box, fill=255)
    return mask


def pixels(image) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


def generate(backend, recorder, request):
    return [r.image for r in backend.generate(request, recorder, recorder.should_cancel)]


def outside(mask: Image.Image, margin: int) -> np.ndarray:
    """Where the mask, grown by ``margin`` (the blur's reach), is black."""
    grown = np.asarray(mask) > 0
    for axis in (0, 1):
        for shift in range(1, margin + 1):
            grown = grown | np.roll(grown, shift, axis) | np.roll(grown, -shift, axis)
    return ~grown


def test_only_masked_area_keeps_every_pixel_outside_the_mask(backend, recorder, tiny_request):
    source = picture(160, 96)
    mask = rectangle_mask(source.size, (60, 30, 99, 61))
    inpaint = InpaintOptions(mask=mask, mask_blur=2, inpaint_area="masked", padding=8)
    request = tiny_request(init_image=source, strength=1.0, inpaint=inpaint, n=2)
    results = generate(backend, recorder, request)
    assert [r.size for r in results] == [source.size] * 2  # pasted back into the original
    keep = outside(mask, margin=8)
    for result in results:
        assert (pixels(result)[keep] == pixels(source)[keep]).all()
        inside = np.asarray(mask) > 0
        assert np.abs(pixels(result)[inside] - pixels(source)[inside]).mean() > 20
    assert results[0].tobytes() != results[1].tobytes()  # seed, seed+1


def test_whole_picture_keeps_the_original_outside_the_mask(backend, recorder, tiny_request):
    source = picture(64, 64, seed=5)
    mask = rectangle_mask(source.size, (16, 16, 47, 47))
    for content in ("original", "fill"):
        inpaint = InpaintOptions(mask=mask, mask_blur=0, masked_content=content)
        (result,) = generate(
            backend, recorder, tiny_request(init_image=source, strength=0.75, inpaint=inpaint)
        )
        keep = ~(np.asarray(mask) > 0)
        assert (pixels(result)[keep] == pixels(source)[keep]).all(), content
        assert (pixels(result)[~keep] != pixels(source)[~keep]).any(), content


def test_progress_counts_the_steps_the_strength_leaves(backend, recorder, tiny_request):
    inpaint = InpaintOptions(mask=rectangle_mask((64, 64), (0, 0, 31, 63)))
    request = tiny_request(steps=10, init_image=picture(64, 64), strength=0.5, inpaint=inpaint)
    generate(backend, recorder, request)
    sampling = recorder.sampling()
    assert {p.total for p in sampling} == {5} == {denoising_steps(request)}
    assert sampling[-1].step == 5 and recorder.phases()[-1] == "decoding"


def test_the_same_request_gives_the_same_pixels(backend, recorder, tiny_request):
    inpaint = InpaintOptions(mask=rectangle_mask((64, 64), (8, 8, 40, 40)), masked_content="fill")
    request = tiny_request(init_image=picture(64, 64), strength=0.8, inpaint=inpaint)
    first = generate(backend, recorder, request)
    second = generate(backend, recorder, request)
    assert first[0].tobytes() == second[0].tobytes()


def test_the_inpaint_pipeline_shares_the_loaded_weights(backend, recorder, tiny_request):
    generate(backend, recorder, tiny_request())
    (loaded,) = [s.loaded for s in backend.cache._slots.values() if s.loaded is not None]
    inpaint = inpaint_pipeline(loaded.pipe)
    for part in ("unet", "vae", "text_encoder", "scheduler"):
        assert getattr(inpaint, part) is getattr(loaded.pipe, part), part
    again = Recorder()
    options = InpaintOptions(mask=rectangle_mask((64, 64), (0, 0, 20, 20)))
    generate(backend, again, tiny_request(init_image=picture(64, 64), inpaint=options))
    assert "loading" not in again.phases() and again.sampling()


@pytest.fixture(scope="module")
def tiny_inpainting_model(tiny_model_path, tmp_path_factory):
    """The tiny model with a 9-channel UNet: what an inpainting checkpoint is."""
    import torch
    from diffusers import StableDiffusionPipeline, UNet2DConditionModel

    pipe = StableDiffusionPipeline.from_pretrained(str(tiny_model_path))
    torch.manual_seed(0)
    pipe.unet = UNet2DConditionModel.from_config({**pipe.unet.config, "in_channels": 9})
    folder = tmp_path_factory.mktemp("tiny-inpainting")
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


def test_an_inpainting_model_inpaints_and_makes_pictures_from_text(
    backend, recorder, tiny_request, tiny_inpainting_model
):
    source = picture(64, 64, seed=9)
    mask = rectangle_mask(source.size, (10, 10, 50, 30))
    inpaint = InpaintOptions(mask=mask, mask_blur=0)
    model = str(tiny_inpainting_model)
    (result,) = generate(
        backend,
        recorder,
        tiny_request(model_id=model, init_image=source, strength=1.0, inpaint=inpaint),
    )
    keep = ~(np.asarray(mask) > 0)
    assert (pixels(result)[keep] == pixels(source)[keep]).all()
    assert (pixels(result)[~keep] != pixels(source)[~keep]).any()
    (text_only,) = generate(backend, Recorder(), tiny_request(model_id=model))
    assert text_only.size == (64, 64)
