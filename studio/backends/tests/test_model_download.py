"""A hub model is downloaded before it is loaded: with progress, once at a time,
resumed after an interruption, and with a message that says what to do when it
cannot be. Against a local server that speaks the hub's file API (fake_hub.py)
serving the tiny model; huggingface_hub's cache is a temporary HF_HOME."""

import pytest

pytest.importorskip(
    "torch", reason="needs the local engine (torch, diffusers): pip install -e '.[local]'"
)

import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from huggingface_hub import constants

from studio.backends.base import Cancelled, ModelUnavailable
from studio.backends.diffusers_local import DiffusersBackend, PipelineCache
from studio.backends.model_download import (
    REPORT_EVERY,
    check_model,
    choose_files,
    fetch_model,
    format_progress,
)

from .fake_hub import FakeHub, point_huggingface_hub_at
from .progress_recorder import Recorder

REPO_ID = "atelier-tests/tiny-sd"
UNET = "unet/diffusion_pytorch_model.safetensors"
# Files a real repo has beside the pipeline, which are never downloaded.
EXTRAS = {
    "README.md": b"# A tiny test pipeline\n",
    "v1-tiny-pruned.safetensors": b"\0" * 50_000,  # a root-level single-file checkpoint
    "unet/diffusion_flax_model.msgpack": b"\0" * 20_000,
    "text_encoder/model.onnx": b"\0" * 20_000,
}
WAIT = 30  # seconds any wait for another thread or process may take, at most
REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def hf_home(tmp_path):
    return tmp_path / "hf-home"


@pytest.fixture
def hub(tiny_model_path, hf_home, monkeypatch):
    with FakeHub() as hub:
        hub.add_folder(REPO_ID, tiny_model_path, extra=EXTRAS)
        point_huggingface_hub_at(monkeypatch, hub.url, hf_home)
        yield hub


@pytest.fixture
def pipeline_files(tiny_model_path) -> dict[str, int]:
    """What a pipeline needs of the repo: model_index.json and its components' files."""
    return {
        p.relative_to(tiny_model_path).as_posix(): p.stat().st_size
        for p in tiny_model_path.rglob("*")
        if p.is_file() and p.parent != tiny_model_path
    } | {"model_index.json": (tiny_model_path / "model_index.json").stat().st_size}


def fetch(on_progress=lambda progress: None, **kwargs):
    return fetch_model(REPO_ID, on_progress, fp16=kwargs.pop("fp16", False), **kwargs)


def content_requests(hub, path=None):
    """The GETs that served a file's bytes (not the hub's redirects to its CDN)."""
    return [s for s in hub.served(path, "GET") if s.status in (200, 206) and s.file]


def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)


# Downloading and loading -------------------------------------------------------


def test_a_hub_model_is_downloaded_then_loaded_and_generates(hub, tiny_request, pipeline_files):
    backend = DiffusersBackend(PipelineCache())
    recorder = Recorder()

    images = backend.generate(tiny_request(model_id=REPO_ID), recorder, lambda: False)

    assert len(images) == 1 and images[0].image.size == (64, 64)
    phases = recorder.phases()
    first_loading = phases.index("loading")
    assert set(phases[:first_loading]) == {"downloading"}
    assert phases[first_loading + 1 :].count("loading") == 0
    assert phases[-1] == "decoding" and "sampling" in phases
    downloads = [p for p in recorder.reports if p.phase == "downloading"]
    total = sum(pipeline_files.values())
    assert downloads[-1].step == downloads[-1].total == total
    assert downloads[-1].message == f"Downloading model — {format_progress(total, total)}"
    assert {s.file for s in content_requests(hub)} == set(pipeline_files)
    assert hub.bytes_served() == total  # each file once, nothing else


def test_the_second_load_needs_no_network_call(hub):
    first = fetch()
    requests_before = len(hub.log)

    again = fetch()

    assert again == first
    assert len(hub.log) == requests_before


def test_progress_counts_bytes_a_few_times_a_second(hub, pipeline_files):
    hub.bytes_per_second = 6_000_000  # ~1.5 s for the tiny model
    reports = []

    started = time.monotonic()
    fetch(lambda p: reports.append((time.monotonic(), p)))
    took = time.monotonic() - started

    assert reports[0][1].message == f"Looking up {REPO_ID} on the Hugging Face hub"
    downloading = [(at, p) for at, p in reports if p.phase == "downloading" and p.total]
    steps = [p.step for _, p in downloading]
    total = sum(pipeline_files.values())
    assert len(downloading) >= 4
    assert steps == sorted(steps) and steps[-1] == total
    assert all(p.total == total for _, p in downloading)
    # The first and last reports are immediate; those between come every REPORT_EVERY.
    between = [b - a for (a, _), (b, _) in zip(downloading[:-1], downloading[1:], strict=True)]
    assert all(gap >= REPORT_EVERY * 0.9 for gap in between[:-1])
    assert len(downloading) <= took / REPORT_EVERY + 3
    assert downloading[1][1].message.startswith("Downloading model — ")
    assert downloading[1][1].message.endswith(" / 8.6 MB")


def test_the_message_shows_gigabytes_for_a_big_model():
    assert format_progress(2_100_000_000, 6_938_011_430) == "2.1 / 6.9 GB"
    assert format_progress(3_300_000, 8_636_016) == "3.3 / 8.6 MB"


def test_a_model_is_stored_where_huggingface_hub_finds_it(hub, hf_home, monkeypatch):
    from huggingface_hub import scan_cache_dir, try_to_load_from_cache

    fetched = fetch()

    scan = scan_cache_dir(hf_home / "hub")
    assert scan.warnings == []
    assert [repo.repo_id for repo in scan.repos] == [REPO_ID]
    cached = try_to_load_from_cache(REPO_ID, UNET, cache_dir=hf_home / "hub")
    assert Path(cached) == fetched.folder / UNET
    offline(monkeypatch)
    assert fetch() == fetched  # offline: found without asking


def test_offline_mode_never_asks_the_hub(hub, monkeypatch):
    offline(monkeypatch)

    assert fetch() is None  # the loader then looks in the cache and explains

    assert hub.log == []


def test_fp16_weights_are_chosen_for_half_precision(tiny_model_path, hf_home, monkeypatch):
    unet_fp16 = b"\1" * 300_000  # stands in for a half-size copy of the UNet
    with FakeHub() as hub:
        hub.add_folder(
            REPO_ID,
            tiny_model_path,
            extra={"unet/diffusion_pytorch_model.fp16.safetensors": unet_fp16},
        )
        point_huggingface_hub_at(monkeypatch, hub.url, hf_home)

        half = fetch(fp16=True)
        assert {s.file for s in content_requests(hub) if s.file.startswith("unet/")} == {
            "unet/config.json",
            "unet/diffusion_pytorch_model.fp16.safetensors",
        }
        full = fetch(fp16=False)

    assert half.variant == "fp16" and full.variant is None
    assert (half.folder / "vae/diffusion_pytorch_model.safetensors").is_file()  # no fp16 one
    assert hub.bytes_served(UNET) == (tiny_model_path / UNET).stat().st_size


def test_half_precision_loads_the_fp16_weights_it_downloaded(
    tiny_model_path, hf_home, monkeypatch, tmp_path
):
    import torch
    from diffusers import UNet2DConditionModel

    from studio.backends.diffusers_local import load_pipeline

    half = tmp_path / "unet-fp16"
    unet = UNet2DConditionModel.from_pretrained(tiny_model_path / "unet")
    unet.to(torch.float16).save_pretrained(half, variant="fp16")
    fp16_unet = "unet/diffusion_pytorch_model.fp16.safetensors"
    with FakeHub() as hub:
        hub.add_folder(
            REPO_ID,
            tiny_model_path,
            extra={fp16_unet: (half / "diffusion_pytorch_model.fp16.safetensors").read_bytes()},
        )
        point_huggingface_hub_at(monkeypatch, hub.url, hf_home)

        pipe = load_pipeline(REPO_ID, "cpu", torch.float16, {})

    assert pipe.unet.dtype == torch.float16 and pipe.vae.dtype == torch.float16
    assert hub.bytes_served(fp16_unet) > 0 and hub.bytes_served(UNET) == 0


def test_only_the_files_a_pipeline_loads_are_chosen_from_sdxl_base():
    model_index = {
        "_class_name": "StableDiffusionXLPipeline",
        "_diffusers_version": "0.19.0.dev0",
        "force_zeros_for_empty_prompt": True,
        "add_watermarker": None,
        "scheduler": ["diffusers", "EulerDiscreteScheduler"],
        "text_encoder": ["transformers", "CLIPTextModel"],
        "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
        "tokenizer": ["transformers", "CLIPTokenizer"],
        "tokenizer_2": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"],
    }
    sizes = {
        "model_index.json": 609,
        "README.md": 8_000,
        "sd_xl_base_1.0.safetensors": 6_938_078_334,
        "sd_xl_base_1.0_0.9vae.safetensors": 6_938_078_334,
        "sd_xl_offset_example-lora_1.0.safetensors": 49_553_604,
        "scheduler/scheduler_config.json": 479,
        "text_encoder/config.json": 565,
        "text_encoder/model.fp16.safetensors": 246_144_152,
        "text_encoder/model.safetensors": 492_265_168,
        "text_encoder/model.onnx": 492_587_457,
        "text_encoder/openvino_model.bin": 492_242_672,
        "text_encoder/openvino_model.xml": 1_057_789,
        "text_encoder/flax_model.msgpack": 492_242_672,
        "text_encoder_2/config.json": 575,
        "text_encoder_2/model.fp16.safetensors": 1_389_382_176,
        "text_encoder_2/model.safetensors": 2_778_702_264,
        "tokenizer/merges.txt": 524_619,
        "tokenizer/special_tokens_map.json": 460,
        "tokenizer/tokenizer_config.json": 737,
        "tokenizer/vocab.json": 1_059_962,
        "tokenizer_2/merges.txt": 524_619,
        "tokenizer_2/special_tokens_map.json": 460,
        "tokenizer_2/tokenizer_config.json": 725,
        "tokenizer_2/vocab.json": 1_059_962,
        "unet/config.json": 1_680,
        "unet/diffusion_flax_model.msgpack": 10_270_077_736,
        "unet/diffusion_pytorch_model.fp16.safetensors": 5_135_149_760,
        "unet/diffusion_pytorch_model.safetensors": 10_270_077_736,
        "unet/openvino_model.bin": 10_269_931_360,
        "vae/config.json": 642,
        "vae/diffusion_pytorch_model.fp16.safetensors": 167_335_342,
        "vae/diffusion_pytorch_model.safetensors": 334_643_268,
        "vae_1_0/diffusion_pytorch_model.fp16.safetensors": 167_335_342,
        "vae_decoder/model.onnx": 198_093_688,
    }

    files, variant = choose_files(model_index, sizes, fp16=True)

    weights = [f for f in files if f.endswith(".safetensors")]
    assert weights == [
        "text_encoder/model.fp16.safetensors",
        "text_encoder_2/model.fp16.safetensors",
        "unet/diffusion_pytorch_model.fp16.safetensors",
        "vae/diffusion_pytorch_model.fp16.safetensors",
    ]
    assert variant == "fp16"
    assert "tokenizer_2/vocab.json" in files and "scheduler/scheduler_config.json" in files
    total = sum(sizes[f] for f in files)
    assert format_progress(0, total) == "0.0 / 6.9 GB"
    full, variant = choose_files(model_index, sizes, fp16=False)
    assert "unet/diffusion_pytorch_model.safetensors" in full and variant is None


def test_sharded_weights_come_with_their_index_and_the_safety_checker_stays_behind():
    model_index = {
        "unet": ["diffusers", "UNet2DConditionModel"],
        "safety_checker": ["stable_diffusion", "StableDiffusionSafetyChecker"],
        "feature_extractor": ["transformers", "CLIPImageProcessor"],
        "image_encoder": [None, None],
    }
    sizes = {
        "model_index.json": 1,
        "unet/config.json": 1,
        "unet/diffusion_pytorch_model.fp16-00001-of-00002.safetensors": 10,
        "unet/diffusion_pytorch_model.fp16-00002-of-00002.safetensors": 10,
        "unet/diffusion_pytorch_model.safetensors.index.fp16.json": 1,
        "unet/diffusion_pytorch_model-00001-of-00002.safetensors": 20,
        "unet/diffusion_pytorch_model-00002-of-00002.safetensors": 20,
        "unet/diffusion_pytorch_model.safetensors.index.json": 1,
        "safety_checker/config.json": 1,
        "safety_checker/model.safetensors": 1_000,
        "feature_extractor/preprocessor_config.json": 1,
        "image_encoder/model.safetensors": 1_000,
    }

    files, variant = choose_files(model_index, sizes, fp16=True)

    assert sorted(files) == [
        "feature_extractor/preprocessor_config.json",
        "model_index.json",
        "unet/config.json",
        "unet/diffusion_pytorch_model.fp16-00001-of-00002.safetensors",
        "unet/diffusion_pytorch_model.fp16-00002-of-00002.safetensors",
        "unet/diffusion_pytorch_model.safetensors.index.fp16.json",
    ]
    assert variant == "fp16"


# Interruptions -----------------------------------------------------------------


def test_a_dropped_connection_resumes_where_it_stopped(hub, tiny_model_path):
    hub.drop_connection(UNET, after=1_000_000)

    fetched = fetch()

    size = (tiny_model_path / UNET).stat().st_size
    first, rest = content_requests(hub, UNET)
    assert (first.range, first.sent) == (None, 1_000_000)
    assert (rest.status, rest.range, rest.sent) == (206, "bytes=1000000-", size - 1_000_000)
    assert (fetched.folder / UNET).read_bytes() == (tiny_model_path / UNET).read_bytes()


def test_an_interrupted_download_resumes_on_the_next_try(hub, hf_home, tiny_model_path):
    hub.drop_connection(UNET, after=1_000_000, then=503)  # and the hub goes down

    with pytest.raises(ModelUnavailable) as raised:
        fetch()

    message = str(raised.value)
    assert message.startswith(f"The download of model '{REPO_ID}' was interrupted")
    assert "What was downloaded is kept: try again and it resumes there" in message
    assert f"`hf download {REPO_ID}`" in message
    assert raised.value.retryable is True
    (partial,) = (hf_home / "hub").rglob("*.incomplete")
    assert partial.stat().st_size == 1_000_000

    hub.fail_with(None)  # the hub is back
    fetched = fetch()

    size = (tiny_model_path / UNET).stat().st_size
    assert hub.bytes_served(UNET) == size  # never started over
    assert content_requests(hub, UNET)[-1].range == "bytes=1000000-"
    assert (fetched.folder / UNET).read_bytes() == (tiny_model_path / UNET).read_bytes()
    assert list((hf_home / "hub").rglob("*.incomplete")) == []


def test_a_cancelled_download_stops_and_keeps_what_came(hub, hf_home, tiny_model_path):
    hold = hub.hold(UNET, after=1_000_000)
    cancel = threading.Event()
    outcome = {}

    def worker():
        try:
            fetch(should_cancel=cancel.is_set)
        except Cancelled:
            outcome["cancelled"] = True

    thread = threading.Thread(target=worker)
    thread.start()
    assert hold.holding.wait(WAIT)
    cancel.set()
    hub.release(UNET)
    thread.join(WAIT)

    assert outcome == {"cancelled": True}
    (partial,) = (hf_home / "hub").rglob("*.incomplete")
    kept = partial.stat().st_size
    assert kept > 0
    fetched = fetch()
    assert content_requests(hub, UNET)[-1].range == f"bytes={kept}-"
    assert (fetched.folder / UNET).read_bytes() == (tiny_model_path / UNET).read_bytes()


# Two workers -------------------------------------------------------------------


def test_two_threads_download_a_model_once(hub, pipeline_files):
    hold = hub.hold(UNET, after=1_000_000)  # the first download pauses mid-file
    waiting = threading.Event()
    results = {}

    def first():
        results["first"] = fetch()

    def second():
        def report(progress):
            if progress.message.startswith("Waiting for another download of "):
                waiting.set()

        results["second"] = fetch(report)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert hold.holding.wait(WAIT)
    threads[1].start()
    assert waiting.wait(WAIT)  # the second waits for the first
    hub.release(UNET)
    for thread in threads:
        thread.join(WAIT)

    assert results["first"] == results["second"]
    for path, size in pipeline_files.items():
        assert hub.bytes_served(path) == size, path


def test_two_processes_download_a_model_once(hub, hf_home, pipeline_files):
    hold = hub.hold(UNET, after=1_000_000)
    script = textwrap.dedent(
        f"""
        from studio.backends.model_download import fetch_model
        print(fetch_model({REPO_ID!r}, fp16=False).folder)
        """
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "HF_HOME": str(hf_home),
        "HF_ENDPOINT": hub.url,
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
    other = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert hold.holding.wait(WAIT)  # the other process is downloading
        waiting = threading.Event()
        result = {}

        def report(progress):
            if progress.message.startswith("Waiting for another download of "):
                waiting.set()

        thread = threading.Thread(target=lambda: result.setdefault("folder", fetch(report)))
        thread.start()
        assert waiting.wait(WAIT)
        hub.release(UNET)
        out, err = other.communicate(timeout=WAIT)
        thread.join(WAIT)
    finally:
        other.kill()

    assert other.returncode == 0, err
    assert Path(out.strip()) == result["folder"].folder
    for path, size in pipeline_files.items():
        assert hub.bytes_served(path) == size, path


# Refusals ------------------------------------------------------------------------


def test_a_gated_model_asks_for_a_token(tiny_model_path, hf_home, monkeypatch):
    token = "hf_grantedTokenForTheTests1234"
    with FakeHub() as hub:
        hub.add_folder(REPO_ID, tiny_model_path, gated=True, tokens=[token])
        point_huggingface_hub_at(monkeypatch, hub.url, hf_home)

        with pytest.raises(ModelUnavailable) as raised:
            fetch()
        assert str(raised.value) == (
            f"Model '{REPO_ID}' is gated on the Hugging Face hub. Accept its licence at "
            f"https://huggingface.co/{REPO_ID} and set HF_TOKEN to a token of that account."
        )
        assert raised.value.retryable is False
        assert content_requests(hub) == []

        monkeypatch.setenv("HF_TOKEN", token)
        fetch()

    resolves = [s for s in hub.log if "/resolve/" in s.path]
    cdn = [s for s in hub.log if s.path.startswith("/cdn/")]
    assert resolves[-1].authorized and cdn and not any(s.authorized for s in cdn)


def test_a_missing_model_says_to_check_the_id(hub):
    with pytest.raises(ModelUnavailable) as raised:
        fetch_model("atelier-tests/no-such-model", fp16=False)

    assert str(raised.value) == (
        "Model 'atelier-tests/no-such-model' was not found on the Hugging Face hub, or it is "
        "private. Check the id; for a private model set HF_TOKEN to a token that can read it."
    )
    assert raised.value.retryable is False


def test_a_repo_that_is_not_a_pipeline_says_so(hub):
    hub.add_repo("someone/a-lora", {"pytorch_lora_weights.safetensors": b"\0" * 1000})

    with pytest.raises(ModelUnavailable) as raised:
        fetch_model("someone/a-lora", fp16=False)

    assert str(raised.value).startswith(
        "Model 'someone/a-lora' is on the Hugging Face hub but is not a diffusers pipeline"
    )
    assert content_requests(hub) == []


def test_a_hub_that_fails_says_to_try_again_later(hub):
    hub.fail_with(500)

    with pytest.raises(ModelUnavailable) as raised:
        fetch()

    assert str(raised.value).startswith(
        f"The Hugging Face hub answered 500 while fetching model '{REPO_ID}'. Try again"
    )
    assert raised.value.retryable is True


def test_an_unreachable_hub_fails_the_job_with_what_to_do(hf_home, monkeypatch, tiny_request):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    point_huggingface_hub_at(monkeypatch, f"http://127.0.0.1:{port}", hf_home)
    backend = DiffusersBackend(PipelineCache())
    recorder = Recorder()

    with pytest.raises(ModelUnavailable) as raised:
        backend.generate(tiny_request(model_id=REPO_ID), recorder, lambda: False)

    message = str(raised.value)
    assert message.startswith(
        f"Model '{REPO_ID}' is not downloaded and the Hugging Face hub cannot be reached."
    )
    for advice in ("HF_ENDPOINT", f"`hf download {REPO_ID}`", "HF_HUB_OFFLINE=1", "'tiny'"):
        assert advice in message
    assert raised.value.retryable is False
    assert "loading" not in recorder.phases()


# Checking without downloading ----------------------------------------------------


def test_a_check_says_how_much_there_is_to_download_and_downloads_nothing(hub, hf_home):
    assert check_model(REPO_ID, fp16=False) == (
        "Reachable on the Hugging Face hub: 8.6 MB to download on first use "
        "(or now, with “Download the model now”)."
    )
    assert [s.file for s in content_requests(hub)] == ["model_index.json"]
    assert not list((hf_home / "hub").rglob("blobs/*"))

    fetch()

    assert check_model(REPO_ID, fp16=False) == "Downloaded: 8.6 MB in the Hugging Face cache."
