"""Hires fix and upscaling on the local engine, with the tiny random-weight
models (SD and SDXL): the size made, progress over both passes, the same
pixels for the same request, and the VAE's tiles above the threshold."""

import pytest

pytest.importorskip(
    "torch", reason="needs the local engine (torch, diffusers): pip install -e '.[local]'"
)

import numpy as np
from PIL import Image

from studio.backends.hires_fix import scaled_size


def generate(backend, recorder, request):
    return [r.image for r in backend.generate(request, recorder, recorder.should_cancel)]


def gradient(width=48, height=40):
    ramp = np.linspace(0, 255, width, dtype=np.uint8)
    return Image.fromarray(np.dstack([np.tile(ramp, (height, 1))] * 3))


@pytest.mark.parametrize("upscaler", ["latent", "lanczos"])
def test_hires_fix_makes_the_scaled_size_and_counts_both_passes(
    backend, recorder, tiny_request, upscaler
):
    request = tiny_request(
        width=64, height=48, steps=4, hires_scale=1.5, hires_upscaler=upscaler, strength=0.5
    )
    images = generate(backend, recorder, request)
    assert [image.size for image in images] == [(96, 72)]
    sampling = recorder.sampling()
    assert {p.total for p in sampling} == {4 + 2}  # 4 base steps, half of 4 repainted
    assert [p.step for p in sampling] == list(range(1, 7))
    assert recorder.phases()[-1] == "decoding" and recorder.phases().count("decoding") == 1


def test_hires_steps_count_apart_and_sdxl_works(backend, recorder, tiny_sdxl_model_path):
    from studio.backends.base import GenerationRequest

    request = GenerationRequest(
        prompt="a cat",
        model_id=str(tiny_sdxl_model_path),
        width=64,
        height=64,
        steps=3,
        seed=5,
        n=2,
        hires_scale=2,
        hires_steps=6,
        strength=0.5,
    )
    images = generate(backend, recorder, request)
    assert [image.size for image in images] == [(128, 128)] * 2
    assert {p.total for p in recorder.sampling()} == {3 + 3}


def test_a_cancel_in_the_base_pass_stops_the_job(backend, tiny_request):
    from studio.backends.base import Cancelled

    from .progress_recorder import Recorder

    recorder = Recorder(cancel_after_step=2)
    with pytest.raises(Cancelled):
        generate(backend, recorder, tiny_request(steps=4, hires_scale=2, strength=0.5))
    assert max(p.step for p in recorder.sampling()) <= 3  # no repainting pass


def test_the_same_request_gives_the_same_pixels(backend, recorder, tiny_request):
    request = tiny_request(hires_scale=2, strength=0.6, n=2)
    first = generate(backend, recorder, request)
    second = generate(backend, recorder, request)
    assert [i.tobytes() for i in first] == [i.tobytes() for i in second]
    assert first[0].tobytes() != first[1].tobytes()


@pytest.mark.parametrize("upscaler", ["latent", "lanczos"])
def test_an_upscale_starts_from_the_image_at_its_size(backend, recorder, tiny_request, upscaler):
    source = gradient(48, 40)
    request = tiny_request(
        width=48,
        height=40,
        init_image=source,
        hires_scale=2,
        hires_upscaler=upscaler,
        strength=0.25,
        steps=8,
    )
    (image,) = generate(backend, recorder, request)
    assert image.size == (96, 80)
    assert {p.total for p in recorder.sampling()} == {2}  # one pass: a quarter of 8


def test_strength_zero_gives_the_lanczos_upscale(backend, recorder, tiny_request):
    source = gradient(48, 40)
    request = tiny_request(width=48, height=40, init_image=source, hires_scale=2, strength=0.0)
    (image,) = generate(backend, recorder, request)
    expected = source.resize((96, 80), Image.Resampling.LANCZOS)
    assert image.tobytes() == expected.tobytes()
    assert not recorder.sampling()


def test_the_vae_works_in_tiles_above_the_threshold_only(
    backend, recorder, tiny_request, monkeypatch
):
    from diffusers import AutoencoderKL

    tiled = []
    original = AutoencoderKL.tiled_decode

    def spy(self, *args, **kwargs):
        tiled.append(self.use_tiling)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(AutoencoderKL, "tiled_decode", spy)
    size = scaled_size(64, 64, 2)
    small = tiny_request(hires_scale=2, options={"vae_tiling_pixels": size[0] * size[1]})
    generate(backend, recorder, small)
    assert tiled == []
    large = tiny_request(hires_scale=2, options={"vae_tiling_pixels": 64 * 64})
    (image,) = generate(backend, recorder, large)
    assert tiled and image.size == size
    (loaded,) = [s.loaded for k, s in backend.cache._slots.items() if k[0] == large.model_id]
    assert not loaded.pipe.vae.use_tiling and not loaded.pipe.vae.use_slicing  # as it was
