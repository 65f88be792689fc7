"""The ComfyUI engine against a fake ComfyUI (fake_comfyui.py) that speaks
ComfyUI's HTTP routes and websocket messages on one port."""

import base64
import json
import socket

import pytest

from studio.backends.base import BackendError, Cancelled, GenerationRequest, ModelUnavailable
from studio.backends.comfyui import TEMPLATE, ComfyUIBackend, comfy_sampler
from studio.backends.retrying import RetryPolicy

from .fake_comfyui import FakeComfyUI, color_for, json_answer
from .progress_recorder import Recorder

FAST_RETRIES = RetryPolicy(base_delay=0.001, max_delay=0.01, max_total=1.0, max_attempts=3)
CHECKPOINT = "sd_xl_base_1.0.safetensors"


@pytest.fixture
def one_torch_thread():
    """These tests never import torch (the package conftest pins its threads)."""


@pytest.fixture
def comfy():
    with FakeComfyUI(checkpoints=[CHECKPOINT, "sd15/dreamshaper_8.safetensors"]) as fake:
        yield fake


def make_config(fake, **overrides):
    config = {"url": fake.url, "timeout": 2}
    return {**config, **overrides}


def make_request(**fields) -> GenerationRequest:
    defaults = {
        "prompt": "a lighthouse at dusk",
        "negative_prompt": "blurry",
        "model": "comfy-sdxl",
        "model_id": CHECKPOINT,
        "width": 64,
        "height": 48,
        "steps": 3,
        "cfg_scale": 6.5,
        "seed": 1234,
        "sampler": "DPM++ 2M Karras",
        "n": 1,
    }
    return GenerationRequest(**{**defaults, **fields})


def generate(config, request=None, recorder=None):
    recorder = recorder or Recorder()
    return ComfyUIBackend(config, policy=FAST_RETRIES).generate(
        request or make_request(), recorder, recorder.should_cancel
    )


def nodes_of(body, class_type):
    return [node for node in body["prompt"].values() if node["class_type"] == class_type]


def test_it_fills_the_template_from_the_recipe_and_returns_the_saved_images(comfy):
    results = generate(make_config(comfy), make_request(n=2))

    assert len(comfy.prompts) == 2  # one prompt per image, so each seed remakes its image
    for body, seed in zip(comfy.prompts, [1234, 1235], strict=True):
        (loader,) = nodes_of(body, "CheckpointLoaderSimple")
        positive, negative = nodes_of(body, "CLIPTextEncode")
        (latent,) = nodes_of(body, "EmptyLatentImage")
        (sampler,) = nodes_of(body, "KSampler")
        (save,) = nodes_of(body, "SaveImage")
        assert loader["inputs"] == {"ckpt_name": CHECKPOINT}
        assert positive["inputs"]["text"] == "a lighthouse at dusk"
        assert negative["inputs"]["text"] == "blurry"
        assert latent["inputs"] == {"width": 64, "height": 48, "batch_size": 1}
        assert {k: sampler["inputs"][k] for k in ("seed", "steps", "cfg", "denoise")} == {
            "seed": seed,
            "steps": 3,
            "cfg": 6.5,
            "denoise": 1.0,
        }
        assert (sampler["inputs"]["sampler_name"], sampler["inputs"]["scheduler"]) == (
            "dpmpp_2m",
            "karras",
        )
        assert save["inputs"]["filename_prefix"] == "atelier"
        assert sampler["inputs"]["positive"] == [positive_id(body), 0]

    assert [r.seed for r in results] == [1234, 1235]
    assert [r.image.size for r in results] == [(64, 48), (64, 48)]
    assert [r.image.getpixel((0, 0)) for r in results] == [color_for(1234), color_for(1235)]


def positive_id(body):
    return next(
        node_id
        for node_id, node in body["prompt"].items()
        if node["class_type"] == "CLIPTextEncode"
        and node["inputs"]["text"] == "a lighthouse at dusk"
    )


def test_it_opens_the_websocket_before_queueing_under_the_same_client_id(comfy):
    generate(make_config(comfy))
    (ws_event, prompt_event) = comfy.events
    assert ws_event[0] == "ws" and prompt_event[0] == "prompt"
    assert ws_event[1] == prompt_event[1] == comfy.prompts[0]["client_id"]


def test_a_prompt_that_contains_a_placeholder_is_sent_as_typed(comfy):
    generate(make_config(comfy), make_request(prompt="a sign that reads {{seed}}"))
    positive = nodes_of(comfy.prompts[0], "CLIPTextEncode")[0]
    assert positive["inputs"]["text"] == "a sign that reads {{seed}}"


@pytest.mark.parametrize(
    ("name", "options", "expected"),
    [
        ("Euler a", {}, ("euler_ancestral", "normal")),
        ("DPM++ 2M Karras", {}, ("dpmpp_2m", "karras")),
        ("DPM++ 3M SDE Exponential", {}, ("dpmpp_3m_sde", "exponential")),
        ("DDIM", {}, ("ddim", "normal")),
        ("UniPC", {"scheduler": "sgm_uniform"}, ("uni_pc", "sgm_uniform")),
        ("res_multistep", {"scheduler": "beta"}, ("res_multistep", "beta")),
    ],
)
def test_a1111_sampler_names_map_onto_comfyuis(name, options, expected):
    assert comfy_sampler(name, options) == expected


def test_an_unknown_sampler_fails_before_anything_is_sent(comfy):
    with pytest.raises(BackendError, match="no sampler like 'Fancy Sampler'"):
        generate(make_config(comfy), make_request(sampler="Fancy Sampler"))
    assert not comfy.requests


def test_a_presets_own_workflow_is_filled_the_same_way(comfy, tmp_path):
    workflow = {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "{{model}}"}},
        "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{ prompt }}", "clip": ["1", 1]}},
        "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["1", 1]}},
        "4": {
            "class_type": "EmptyLatentImage",
            "inputs": {"width": "{{width}}", "height": "{{height}}", "batch_size": 1},
        },
        "5": {
            "class_type": "KSampler",
            "inputs": {
                "seed": "{{seed}}",
                "steps": "{{steps}}",
                "cfg": 2.0,
                "sampler_name": "{{sampler_name}}",
                "scheduler": "{{scheduler}}",
                "denoise": 1.0,
                "model": ["1", 0],
                "positive": ["2", 0],
                "negative": ["3", 0],
                "latent_image": ["4", 0],
            },
        },
        "6": {"class_type": "VAEDecode", "inputs": {"samples": ["5", 0], "vae": ["1", 2]}},
        "7": {
            "class_type": "SaveImage",
            "inputs": {"filename_prefix": "atelier/{{seed}}", "images": ["6", 0]},
        },
    }
    (tmp_path / "fast.json").write_text(json.dumps(workflow))
    config = make_config(comfy, workflow_dir=str(tmp_path))
    results = generate(config, make_request(options={"workflow": "fast.json"}, sampler="Euler"))

    body = comfy.prompts[0]["prompt"]
    assert body["2"]["inputs"]["text"] == "a lighthouse at dusk"
    assert body["5"]["inputs"]["seed"] == 1234 and body["5"]["inputs"]["cfg"] == 2.0
    assert body["7"]["inputs"]["filename_prefix"] == "atelier/1234"
    assert results[0].image.getpixel((0, 0)) == color_for(1234)


def test_an_unknown_placeholder_is_a_clear_error(comfy, tmp_path):
    (tmp_path / "odd.json").write_text(
        json.dumps({"1": {"class_type": "KSampler", "inputs": {"seed": "{{noise}}"}}})
    )
    with pytest.raises(BackendError, match=r"unknown placeholder \{\{noise\}\}"):
        generate(make_config(comfy), make_request(options={"workflow": str(tmp_path / "odd.json")}))


def test_a_workflow_not_in_api_format_is_a_clear_error(comfy, tmp_path):
    (tmp_path / "ui.json").write_text(json.dumps({"nodes": [], "links": [], "version": 0.4}))
    with pytest.raises(BackendError, match="not in API format"):
        generate(make_config(comfy), make_request(options={"workflow": str(tmp_path / "ui.json")}))


def test_it_reports_progress_over_all_images_with_previews(comfy):
    recorder = Recorder()
    generate(make_config(comfy), make_request(n=2, steps=3), recorder)

    sampling = recorder.sampling()
    assert [p.step for p in sampling if p.preview is None] == [1, 2, 3, 4, 5, 6]
    assert {p.total for p in sampling} == {6}
    previews = [p.preview for p in sampling if p.preview is not None]
    assert len(previews) == 2 and previews[0].size == (16, 16)


def test_a_cancel_removes_the_queued_prompts_and_interrupts_the_running_one(comfy):
    comfy.pause_at_step = 2
    recorder = Recorder(cancel_after_step=2)
    with pytest.raises(Cancelled):
        generate(make_config(comfy), make_request(n=2, steps=5), recorder)

    running, queued = comfy.prompt_ids
    assert queued in comfy.deleted
    assert comfy.interrupts == [{"prompt_id": running}]
    assert comfy.wait_for(lambda: running in comfy.history)
    assert comfy.history[running]["status"]["status_str"] == "error"
    assert queued not in comfy.history and not comfy.queue


def test_a_missing_checkpoint_is_a_model_error_naming_it(comfy):
    with pytest.raises(ModelUnavailable) as raised:
        generate(make_config(comfy), make_request(model_id="sdxl_turbo.safetensors"))
    assert "has no checkpoint 'sdxl_turbo.safetensors'" in raised.value.message
    assert "models/checkpoints" in raised.value.message
    assert not comfy.prompts


def test_an_invalid_workflow_names_the_node_and_the_problem(comfy, tmp_path):
    workflow = json.loads(TEMPLATE.read_text())
    workflow["12"] = {"class_type": "FancyUpscaler", "inputs": {}}
    (tmp_path / "fancy.json").write_text(json.dumps(workflow))
    with pytest.raises(BackendError) as raised:
        generate(
            make_config(comfy), make_request(options={"workflow": str(tmp_path / "fancy.json")})
        )
    assert "rejected the workflow: Cannot execute because node FancyUpscaler does not exist." in (
        raised.value.message
    )
    assert "#12" in raised.value.message


def test_a_bad_scheduler_is_named_with_its_node(comfy):
    with pytest.raises(BackendError) as raised:
        generate(make_config(comfy), make_request(sampler="Euler", options={"scheduler": "wavy"}))
    assert "KSampler (node 3): Value not in list: scheduler: 'wavy' not in" in (
        raised.value.message
    )


def test_a_node_that_fails_is_named_and_the_rest_of_the_job_is_removed(comfy):
    comfy.failures["KSampler"] = ("RuntimeError", "mat1 and mat2 shapes cannot be multiplied")
    with pytest.raises(BackendError) as raised:
        generate(make_config(comfy), make_request(n=2))
    assert raised.value.message.endswith(
        "failed in KSampler (node 3): mat1 and mat2 shapes cannot be multiplied"
    )
    assert not raised.value.retryable
    failed, queued = comfy.prompt_ids
    assert comfy.deleted == [queued]  # unless ComfyUI already ran it, it never will


def test_running_out_of_gpu_memory_gives_advice(comfy):
    comfy.failures["VAEDecode"] = ("torch.OutOfMemoryError", "Allocation on device")
    with pytest.raises(BackendError, match="ran out of GPU memory in VAEDecode .*--lowvram"):
        generate(make_config(comfy))


def test_an_unreachable_server_is_tried_a_few_times_then_fails_clearly():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = {"url": f"http://127.0.0.1:{port}"}
    with pytest.raises(BackendError) as raised:
        generate(config)
    assert f"ComfyUI at http://127.0.0.1:{port} is not reachable: connection refused" in (
        raised.value.message
    )
    assert "Tried 3 times" in raised.value.message


def test_basic_auth_is_sent_on_the_websocket_and_every_call(comfy):
    comfy.credentials = ("atelier", "s3cret")
    generate(make_config(comfy, username="atelier", password="s3cret"))
    expected = "Basic " + base64.b64encode(b"atelier:s3cret").decode()
    assert [h.get("Authorization") for h in comfy.handshakes] == [expected]
    assert {r["headers"].get("Authorization") for r in comfy.requests} == {expected}


def test_a_rejected_password_is_a_clear_error_that_does_not_show_it(comfy):
    comfy.credentials = ("atelier", "s3cret")
    recorder = Recorder()
    with pytest.raises(BackendError) as raised:
        generate(make_config(comfy, username="atelier", password="wrong-pass"), recorder=recorder)
    assert "rejected the user name or password (401)" in raised.value.message
    assert "wrong-pass" not in raised.value.message
    assert "wrong-pass" not in " ".join(p.message for p in recorder.reports)
    assert not raised.value.retryable and len(comfy.handshakes) == 1


def test_a_busy_server_is_waited_for_then_used(comfy):
    def busy_once(request):
        del comfy.routes[("POST", "/prompt")]
        return 503, b"Service Unavailable", "text/plain", {"Retry-After": "0"}

    comfy.routes[("POST", "/prompt")] = busy_once
    recorder = Recorder()
    results = generate(make_config(comfy), recorder=recorder)
    assert len(results) == 1 and len(comfy.prompts) == 1
    waiting = [p for p in recorder.reports if p.phase == "waiting"]
    assert waiting and "busy or restarting (503)" in waiting[0].message


def test_a_short_call_that_times_out_is_retried_then_fails(comfy, release):
    started = []

    def slow(request):
        started.append(1)
        release.wait(10)
        return json_answer({})

    comfy.routes[("GET", "/history/*")] = slow
    with pytest.raises(BackendError) as raised:
        generate(make_config(comfy, timeout=0.2))
    assert "did not answer /history/" in raised.value.message
    assert "within 0.2 s. Tried 3 times" in raised.value.message
    assert len(started) == 3


def test_history_that_is_not_recorded_yet_is_asked_again(comfy):
    comfy.unrecorded_history_answers = 1
    results = generate(make_config(comfy))
    assert len(results) == 1
    assert len([r for r in comfy.requests if r["path"].startswith("/history/")]) == 2


def test_a_job_that_outlasts_its_timeout_is_stopped(comfy):
    comfy.pause_at_step = 1
    with pytest.raises(BackendError) as raised:
        generate(make_config(comfy, generation_timeout=0.3))
    assert "did not finish within 0.3 s; the job's prompts were stopped" in raised.value.message
    assert not raised.value.retryable
    assert len(comfy.interrupts) == 1


def test_a_dropped_websocket_is_retried_from_the_start(comfy):
    comfy.drop_websocket_at_step = 1
    recorder = Recorder()
    results = generate(make_config(comfy), recorder=recorder)
    assert len(results) == 1 and len(comfy.prompts) == 2
    waiting = [p for p in recorder.reports if p.phase == "waiting"]
    assert "closed the websocket during the job" in waiting[0].message


def test_malformed_json_is_a_clear_error(comfy):
    comfy.routes[("POST", "/prompt")] = lambda request: (200, b"<html>proxy</html>", "text/html")
    with pytest.raises(BackendError, match="not JSON") as raised:
        generate(make_config(comfy))
    assert not raised.value.retryable


def test_a_view_that_is_not_an_image_is_a_clear_error(comfy):
    comfy.routes[("GET", "/view")] = lambda request: (200, b"not a PNG at all", "image/png")
    with pytest.raises(BackendError, match="not an image"):
        generate(make_config(comfy))


def test_a_prompt_without_saved_images_is_a_clear_error(comfy):
    comfy.hide_outputs = True
    with pytest.raises(BackendError, match="returned no image for the prompt"):
        generate(make_config(comfy))


def test_models_lists_the_checkpoints(comfy):
    assert ComfyUIBackend(make_config(comfy)).models() == [
        CHECKPOINT,
        "sd15/dreamshaper_8.safetensors",
    ]


def test_models_falls_back_to_the_loader_nodes_choices_on_an_older_comfyui(comfy):
    comfy.routes[("GET", "/models/checkpoints")] = lambda request: (404, b"", "text/plain")
    comfy.routes[("GET", "/object_info/CheckpointLoaderSimple")] = lambda request: json_answer(
        {"CheckpointLoaderSimple": {"input": {"required": {"ckpt_name": [[CHECKPOINT], {}]}}}}
    )
    assert ComfyUIBackend(make_config(comfy)).models() == [CHECKPOINT]


def test_samplers_are_the_a1111_names_it_maps():
    names = ComfyUIBackend({"url": "http://x"}).samplers()
    assert {"Euler a", "DPM++ 2M", "DPM++ 2M Karras", "DDIM"} <= set(names)
    assert all(comfy_sampler(name, {}) for name in names)
