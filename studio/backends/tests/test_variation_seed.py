"""A1111's variation seed on the local engine, with the tiny random-weight
model: the same seed, variation seed and strength repeat exactly, strength 0
is the plain seed, and the strength moves the picture towards the variation
seed's."""

import pytest

pytest.importorskip(
    "torch", reason="needs the local engine (torch, diffusers): pip install -e '.[local]'"
)

import numpy as np
import torch

from studio.backends.diffusers_local import slerp

pytestmark = pytest.mark.local_engine


def generate(backend, recorder, request):
    return [r.image for r in backend.generate(request, recorder, recorder.should_cancel)]


def distance(one, other) -> float:
    return float(np.abs(np.asarray(one, float) - np.asarray(other, float)).mean())


def test_the_same_variation_repeats_and_strength_zero_is_the_seed(backend, recorder, tiny_request):
    varied = tiny_request(n=2, variation_seed=99, variation_strength=0.4)
    first = generate(backend, recorder, varied)
    again = generate(backend, recorder, varied)
    assert [i.tobytes() for i in first] == [i.tobytes() for i in again]

    plain = generate(backend, recorder, tiny_request(n=2))
    none = generate(backend, recorder, tiny_request(n=2, variation_seed=99, variation_strength=0))
    assert [i.tobytes() for i in none] == [i.tobytes() for i in plain]
    assert first[0].tobytes() != plain[0].tobytes()


def test_the_strength_moves_towards_the_variation_seed(backend, recorder, tiny_request):
    seed = generate(backend, recorder, tiny_request())[0]
    target = generate(backend, recorder, tiny_request(seed=99))[0]
    # A1111's strength 1 is the variation seed's noise (the steps' own noise
    # still follows the main seed, so the picture is close, not equal).
    steps = {}
    for strength in (0.2, 0.8):
        request = tiny_request(variation_seed=99, variation_strength=strength)
        steps[strength] = generate(backend, recorder, request)[0]
    assert distance(steps[0.2], seed) < distance(steps[0.8], seed)
    assert distance(steps[0.8], target) < distance(steps[0.2], target)


def test_another_variation_seed_gives_another_picture(backend, recorder, tiny_request):
    one = generate(backend, recorder, tiny_request(variation_seed=5, variation_strength=0.5))
    other = generate(backend, recorder, tiny_request(variation_seed=6, variation_strength=0.5))
    assert one[0].tobytes() != other[0].tobytes()


def test_slerp_keeps_the_ends_and_the_noise_scale():
    low = torch.randn((4, 8, 8), generator=torch.Generator().manual_seed(1))
    high = torch.randn((4, 8, 8), generator=torch.Generator().manual_seed(2))
    assert torch.allclose(slerp(0.0, low, high), low, atol=1e-5)
    assert torch.allclose(slerp(1.0, low, high), high, atol=1e-5)
    middle = slerp(0.5, low, high)
    # spherical, not linear: the middle keeps unit-variance noise's scale
    assert abs(float(middle.std()) - float(low.std())) < 0.15
    assert float((low + high).div(2).std()) < float(middle.std()) - 0.1
