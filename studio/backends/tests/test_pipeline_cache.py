import pytest

pytest.importorskip(
    "torch", reason="needs the local engine (torch, diffusers): pip install -e '.[local]'"
)

import threading
import time

import torch

from studio.backends import diffusers_local
from studio.backends.diffusers_local import PipelineCache


def ignore(progress):
    pass


def checkout_pipe(cache, request, dtype=torch.float32):
    with cache.checkout(request, "cpu", dtype, ignore) as loaded:
        return loaded.pipe


def test_the_same_key_gives_the_same_pipeline(tiny_request):
    cache = PipelineCache()

    assert checkout_pipe(cache, tiny_request()) is checkout_pipe(cache, tiny_request(seed=9))


def test_another_dtype_is_another_pipeline(tiny_request):
    cache = PipelineCache(max_loaded=2)

    full = checkout_pipe(cache, tiny_request())
    brain = checkout_pipe(cache, tiny_request(), dtype=torch.bfloat16)

    assert full is not brain
    assert brain.unet.dtype == torch.bfloat16


def test_it_reports_loading_only_when_it_loads(tiny_request):
    cache = PipelineCache()
    reports = []

    for _ in range(2):
        with cache.checkout(tiny_request(), "cpu", torch.float32, reports.append):
            pass

    assert [p.phase for p in reports] == ["loading"]


def test_two_threads_load_a_model_once_and_never_share_it(tiny_request, monkeypatch):
    cache = PipelineCache()
    loads = []
    real_load = diffusers_local.load_pipeline

    def counting_load(*args):
        loads.append(args[0])
        return real_load(*args)

    monkeypatch.setattr(diffusers_local, "load_pipeline", counting_load)
    in_use = []
    overlaps = []

    def job():
        with cache.checkout(tiny_request(), "cpu", torch.float32, ignore):
            in_use.append(1)
            overlaps.append(len(in_use))
            time.sleep(0.05)  # hold the pipeline as a job would
            in_use.pop()

    threads = [threading.Thread(target=job) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(loads) == 1
    assert overlaps == [1, 1, 1]


def test_it_unloads_the_least_recently_used_idle_pipeline(tiny_request, tiny_sdxl_model_path):
    cache = PipelineCache(max_loaded=1)
    sd = tiny_request()
    sdxl = tiny_request(model_id=str(tiny_sdxl_model_path))

    first = checkout_pipe(cache, sd)
    checkout_pipe(cache, sdxl)

    assert cache.loaded_model_ids() == [sdxl.model_id]
    assert checkout_pipe(cache, sd) is not first
