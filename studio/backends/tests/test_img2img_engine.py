"""Image to image on the local engine, with the tiny random-weight model.

The tiny model's VAE is random too, so its round trip does not give the
source back: what is checked is that the source reaches the result, the
schedule is shortened by the strength, and the same request repeats exactly.
"""

import pytest

pytest.importorskip(
    "torch", reason="needs the local engine (torch, diffusers): pip install -e '.[local]'"
)

import numpy as np
from PIL import Image

from studio.backends.diffusers_local import denoising_steps, image_to_image
from studio.backends.init_image import fit_to_size

from .progress_recorder import Recorder


def gradient(width=96, height=64, flip=False):
    ramp = np.linspace(0, 255, width, dtype=np.uint8)
    if flip:
        ramp = ramp[::-1]
    return Image.fromarray(np.dstack([np.tile(ramp, (height, 1))] * 3))


def pixels(image) -> np.ndarray:
    return np.asarray(image, dtype=np.float64)


def generate(backend, recorder, request):
    return [r.image for r in backend.generate(request, recorder, recorder.should_cancel)]


def test_progress_counts_the_steps_the_strength_leaves(backend, recorder, tiny_request):
    request = tiny_request(steps=10, init_image=gradient(), strength=0.5)
    generate(backend, recorder, request)
    sampling = recorder.sampling()
    assert {p.total for p in sampling} == {5} == {denoising_steps(request)}
    assert sampling[-1].step == 5
    assert recorder.phases()[-1] == "decoding"


def test_strength_near_zero_keeps_the_source_and_one_repaints_it(backend, recorder, tiny_request):
    source = gradient()
    kept = generate(backend, recorder, tiny_request(steps=10, init_image=source, strength=0.05))
    repainted = generate(backend, recorder, tiny_request(steps=10, init_image=source, strength=1.0))
    expected = pixels(fit_to_size(source, 64, 64, "crop"))
    assert np.abs(pixels(kept[0]) - expected).max() == 0  # no step to run: the source itself
    assert np.abs(pixels(repainted[0]) - expected).mean() > 20
    assert {p.total for p in recorder.sampling()} == {10}  # all from the repainting run


def test_the_source_reaches_the_result(backend, recorder, tiny_request):
    one = generate(backend, recorder, tiny_request(init_image=gradient(), strength=0.5))
    other = generate(backend, recorder, tiny_request(init_image=gradient(flip=True), strength=0.5))
    assert np.abs(pixels(one[0]) - pixels(other[0])).mean() > 1


def test_the_same_seed_gives_the_same_pixels(backend, recorder, tiny_request):
    request = tiny_request(init_image=gradient(), strength=0.6, n=2, resize_mode="fit")
    first = generate(backend, recorder, request)
    second = generate(backend, recorder, request)
    assert [i.tobytes() for i in first] == [i.tobytes() for i in second]
    assert first[0].tobytes() != first[1].tobytes()  # seed, seed+1


def test_the_img2img_pipeline_shares_the_loaded_weights(backend, recorder, tiny_request):
    generate(backend, recorder, tiny_request())
    (loaded,) = [s.loaded for s in backend.cache._slots.values() if s.loaded is not None]
    img2img = image_to_image(loaded.pipe)
    for part in ("unet", "vae", "text_encoder", "scheduler"):
        assert getattr(img2img, part) is getattr(loaded.pipe, part), part
    again = Recorder()
    generate(backend, again, tiny_request(init_image=gradient(), strength=0.5))
    assert "loading" not in again.phases() and again.sampling()
