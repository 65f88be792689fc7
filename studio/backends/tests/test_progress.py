import pytest

pytest.importorskip(
    "torch", reason="needs the local engine (torch, diffusers): pip install -e '.[local]'"
)

from studio.backends import diffusers_local
from studio.backends.base import Cancelled

from .progress_recorder import Recorder


def test_it_reports_loading_then_sampling_then_decoding(tiny_request):
    recorder = Recorder()
    diffusers_local.DiffusersBackend().generate(tiny_request(), recorder, recorder.should_cancel)

    phases = recorder.phases()
    assert phases[0] == "loading"
    assert phases[1:-1] == ["sampling"] * 4
    assert phases[-1] == "decoding"


def test_progress_reaches_the_last_step_with_a_preview(backend, tiny_request, recorder):
    backend.generate(tiny_request(steps=4), recorder, lambda: False)

    sampling = recorder.sampling()
    assert [(p.step, p.total) for p in sampling] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert sampling[0].preview is not None
    assert sampling[-1].preview is not None
    assert sampling[-1].fraction == 1.0


def test_previews_come_at_most_every_preview_interval(backend, tiny_request, recorder, monkeypatch):
    monkeypatch.setattr(diffusers_local, "PREVIEW_INTERVAL", 3600.0)

    backend.generate(tiny_request(steps=6), recorder, lambda: False)

    previews = [p.step for p in recorder.sampling() if p.preview is not None]
    assert previews == [1, 6]  # the first step, then the final one whatever the interval


def test_previews_come_every_step_when_steps_are_slow(backend, tiny_request, recorder, monkeypatch):
    monkeypatch.setattr(diffusers_local, "PREVIEW_INTERVAL", 0.0)

    backend.generate(tiny_request(steps=3), recorder, lambda: False)

    assert all(p.preview is not None for p in recorder.sampling())


def test_second_order_samplers_count_every_model_call(backend, tiny_request, recorder):
    backend.generate(tiny_request(steps=3, sampler="Heun"), recorder, lambda: False)

    sampling = recorder.sampling()
    assert sampling[-1].step == sampling[-1].total == 5  # Heun: 2 * steps - 1


def test_cancel_after_step_two_raises_cancelled(backend, tiny_request):
    recorder = Recorder(cancel_after_step=2)

    with pytest.raises(Cancelled):
        backend.generate(tiny_request(steps=6), recorder, recorder.should_cancel)

    assert [p.step for p in recorder.sampling()] == [1, 2]


def test_a_job_cancelled_before_sampling_never_samples(backend, tiny_request, recorder):
    with pytest.raises(Cancelled):
        backend.generate(tiny_request(), recorder, lambda: True)

    assert recorder.sampling() == []


def test_a_cancelled_job_leaves_the_pipeline_usable(backend, tiny_request, recorder):
    cancelling = Recorder(cancel_after_step=1)
    with pytest.raises(Cancelled):
        backend.generate(tiny_request(), cancelling, cancelling.should_cancel)

    result = backend.generate(tiny_request(), recorder, lambda: False)

    assert len(result) == 1
    assert recorder.sampling()[-1].step == 4
