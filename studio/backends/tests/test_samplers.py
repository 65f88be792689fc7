import pytest

from studio.backends.base import BackendError
from studio.backends.samplers import SAMPLERS, canonical_sampler, make_scheduler, sampler_names

A1111_NAMES = [
    "Euler a", "Euler", "LMS", "Heun", "DPM2", "DPM2 a", "DPM++ 2S a", "DPM++ 2M", "DPM++ SDE",
    "DPM++ 2M Karras", "DPM++ SDE Karras", "DPM2 Karras", "DPM2 a Karras", "LMS Karras", "DDIM",
    "PLMS", "UniPC", "DPM++ 2M SDE", "DPM++ 2M SDE Karras",
]  # fmt: skip

SD_SCHEDULER = {
    "_class_name": "PNDMScheduler",
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "num_train_timesteps": 1000,
    "prediction_type": "v_prediction",
    "steps_offset": 1,
    "timestep_spacing": "trailing",
    "use_karras_sigmas": True,
}


def test_it_covers_the_usual_a1111_names():
    assert set(A1111_NAMES) <= set(sampler_names())


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_every_sampler_runs_two_steps_on_the_tiny_model(name, backend, tiny_request, recorder):
    result = backend.generate(tiny_request(steps=2, sampler=name), recorder, lambda: False)

    assert result[0].image.size == (64, 64)
    last = recorder.sampling()[-1]
    assert last.step == last.total


def test_an_unknown_sampler_is_refused_with_the_choices(backend, tiny_request, recorder):
    with pytest.raises(BackendError) as raised:
        backend.generate(tiny_request(sampler="Warp Drive"), recorder, lambda: False)

    assert str(raised.value).startswith("Unknown sampler 'Warp Drive'. Choose one of: Euler a, ")
    assert recorder.reports == []  # refused before loading anything


def test_a1111_aliases_and_other_cases_name_the_same_sampler():
    assert canonical_sampler("k_dpmpp_2m_ka") == "DPM++ 2M Karras"
    assert canonical_sampler("euler A") == "Euler a"


@pytest.mark.local_engine
def test_a_scheduler_keeps_the_models_noise_schedule():
    scheduler = make_scheduler("DPM++ 2M", SD_SCHEDULER)

    assert type(scheduler).__name__ == "DPMSolverMultistepScheduler"
    assert scheduler.config.prediction_type == "v_prediction"
    assert scheduler.config.timestep_spacing == "trailing"
    assert scheduler.config.beta_schedule == "scaled_linear"


@pytest.mark.local_engine
def test_karras_sigmas_are_on_only_for_karras_names():
    assert make_scheduler("DPM++ 2M Karras", SD_SCHEDULER).config.use_karras_sigmas is True
    assert make_scheduler("DPM++ 2M", SD_SCHEDULER).config.use_karras_sigmas is False
