"""Many GPU machines: what a worker's heartbeat says its machine has
(studio/capabilities.py), where a job is sent (studio/routing.py), and where
the fleet shows (/readyz, the Models page). Real workers taking real jobs:
tests/integration/test_gpu_routing.py."""

import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from studio.jobs import submit_job
from studio.models import GenerationJob, ModelPreset, Worker
from studio.routing import route
from studio.workers import beat


@pytest.fixture
def local_models(db, tmp_path, settings):
    """Two local models: one whose folder is on this machine, one whose is not."""
    settings.ATELIER_TINY_MODEL_PATH = tmp_path / "no-tiny-model-here"
    (tmp_path / "here").mkdir()
    (tmp_path / "here" / "model_index.json").write_text("{}")
    here = ModelPreset.objects.create(
        key="here", label="Here", backend="diffusers", model_id=str(tmp_path / "here")
    )
    elsewhere = ModelPreset.objects.create(
        key="elsewhere",
        label="Elsewhere XL",
        backend="diffusers",
        model_id=str(tmp_path / "on-another-machine"),
    )
    return here, elsewhere


def live(name, queues, model_keys=(), **fields):
    return Worker.objects.create(
        name=name,
        queues=queues,
        beat=timezone.now(),
        model_keys=list(model_keys),
        **fields,
    )


def test_a_gpu_workers_beat_says_what_its_machine_has(local_models):
    consume = beat("gpu-1@box", ["gpu"])
    row = Worker.objects.get(name="gpu-1@box")
    assert row.kind == "gpu" and row.hostname == socket.gethostname()
    assert row.gpu == "CPU"  # no NVIDIA driver on this machine: its memory instead
    assert row.memory_total > row.memory_free > 0
    assert "here" in row.model_keys
    assert "elsewhere" not in row.model_keys and "tiny" not in row.model_keys
    assert consume == ["gpu", *[f"gpu.{key}" for key in row.model_keys]]
    assert row.queues == ",".join(consume)


def test_a_remote_worker_has_no_models_or_gpu(local_models):
    assert beat("remote-1@box", ["remote"]) == ["remote"]
    row = Worker.objects.get()
    assert (row.kind, row.gpu, row.model_keys, row.queues) == ("remote", "", [], "remote")


def test_a_model_on_a_machine_that_leaves_leaves_the_beat(local_models, tmp_path):
    beat("gpu-1@box", ["gpu"])
    (tmp_path / "here" / "model_index.json").unlink()
    (tmp_path / "here").rmdir()
    beat("gpu-1@box", ["gpu"])
    assert "here" not in Worker.objects.get().model_keys
    assert "gpu.here" not in Worker.objects.get().queues.split(",")


def test_a_job_goes_to_the_queue_of_a_worker_that_has_its_model(local_models):
    here, elsewhere = local_models
    live("gpu-1@box", "gpu,gpu.here", ["here"])
    assert route(here).queue == "gpu.here" and route(here).note == ""
    # Nobody has it and it cannot be downloaded: its own queue, and a clear wait.
    assert route(elsewhere).queue == "gpu.elsewhere"
    assert route(elsewhere).note == "Waiting for a worker that has Elsewhere XL."
    # A hub model nobody has yet: any GPU worker takes it and downloads it.
    sd_turbo = ModelPreset.objects.get(key="sd-turbo")
    assert route(sd_turbo).queue == "gpu"
    live("gpu-2@other", "gpu,gpu.sd-turbo", ["sd-turbo"])
    assert route(sd_turbo).queue == "gpu.sd-turbo"
    assert route(ModelPreset.objects.get(key="gpt-image-1")).queue == "remote"


def test_a_dead_workers_models_do_not_count(local_models, settings):
    here, _ = local_models
    settings.ATELIER_JOB_STALE_SECONDS = 60
    Worker.objects.create(
        name="gone@box",
        queues="gpu,gpu.here",
        beat=timezone.now() - timedelta(seconds=61),
        model_keys=["here"],
    )
    assert route(here).note == "Waiting for a worker that has Here."


def test_a_job_for_a_model_no_worker_has_waits_and_readyz_names_its_queue(
    local_models, owner, client, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr("studio.jobs.send", lambda job_id, queue: sent.append(queue))
    _, elsewhere = local_models
    live(
        "gpu-1@box-a",
        "gpu,gpu.here",
        ["here"],
        kind="gpu",
        hostname="box-a",
        gpu="NVIDIA L4",
        memory_total=24_000_000_000,
        memory_free=20_000_000_000,
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = submit_job(owner, {"model": "elsewhere", "prompt": "p"}, max_active=5)
    assert sent == ["gpu.elsewhere"]
    job.refresh_from_db()
    assert (job.queue, job.status) == ("gpu.elsewhere", GenerationJob.Status.QUEUED)
    assert job.message == "Waiting for a worker that has Elsewhere XL."

    ready = client.get("/readyz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["starved"] == ["gpu.elsewhere"]
    assert body["workers"] == {"gpu": 1, "remote": 0}  # the models' queues: in the fleet
    [worker] = body["fleet"]
    assert worker == {
        "name": "gpu-1@box-a",
        "hostname": "box-a",
        "kind": "gpu",
        "gpu": "NVIDIA L4",
        "memory_total": 24_000_000_000,
        "memory_free": 20_000_000_000,
        "models": ["here"],
        "last_seen": worker["last_seen"],
    }
    assert client.get("/healthz").json()["status"] == "degraded"

    live("gpu-1@box-b", "gpu,gpu.elsewhere", ["elsewhere"])
    assert client.get("/readyz").status_code == 200


def test_the_job_page_says_what_a_job_waits_for(local_models, owner, owner_client):
    job = GenerationJob.objects.create(
        owner=owner,
        model="elsewhere",
        request={"prompt": "p"},
        queue="gpu.elsewhere",
        message="Waiting for a worker that has Elsewhere XL.",
    )
    page = owner_client.get(f"/jobs/{job.pk}/status/").content.decode()
    assert "Waiting for a worker that has Elsewhere XL." in page


def test_the_reaper_sends_a_forgotten_job_where_its_model_is_now(local_models, owner, monkeypatch):
    from django.core.management import call_command

    sent = []
    monkeypatch.setattr("studio.jobs.send", lambda job_id, queue: sent.append(queue))
    job = GenerationJob.objects.create(
        owner=owner,
        model="elsewhere",
        request={"prompt": "p"},
        queue="gpu.elsewhere",
        message="Waiting for a worker that has Elsewhere XL.",
        enqueued=timezone.now() - timedelta(hours=1),
    )
    live("gpu-1@box-b", "gpu,gpu.elsewhere", ["elsewhere"])
    call_command("reap_jobs")
    job.refresh_from_db()
    assert sent == ["gpu.elsewhere"] and job.message == ""


def test_staff_see_which_workers_have_each_model(local_models, staff_client, owner_client):
    live("gpu-1@box-a", "gpu,gpu.here", ["here"], hostname="box-a", gpu="NVIDIA L4")
    live("gpu-1@box-b", "gpu,gpu.here", ["here"], hostname="box-b", gpu="CPU")
    page = staff_client.get("/models/").content.decode()
    row = page[page.index('id="model-here"') :]
    row = row[: row.index("</li>")]
    assert "box-a (NVIDIA L4)" in row and "box-b (CPU)" in row
    other = page[page.index('id="model-elsewhere"') :]
    assert "no live worker has it" in other[: other.index("</li>")]
    assert "NVIDIA L4" not in owner_client.get("/models/").content.decode()


@pytest.mark.local_engine  # the tiny preset exists where the local engine does
def test_a_model_on_a_workers_machine_is_installed_for_people_on_the_web(
    local_models, owner_client
):
    live("gpu-1@box-b", "gpu,gpu.elsewhere", ["elsewhere"])
    page = owner_client.get("/generate/").content.decode()
    option = page[page.index('value="elsewhere"') :]
    option = option[: option.index(">")]
    assert 'data-status="installed"' in option and "disabled" not in option


def test_a_scan_keeps_a_checkpoint_that_a_worker_has_on_its_machine(db, tmp_path, settings):
    from studio.checkpoints import scan_models

    settings.ATELIER_MODELS_DIR = tmp_path / "models"
    (tmp_path / "models" / "Stable-diffusion").mkdir(parents=True)  # this machine's: empty
    for key in ("ckpt-on-b", "ckpt-gone"):
        ModelPreset.objects.create(
            key=key,
            label=key,
            backend="diffusers",
            model_id=f"@models/Stable-diffusion/{key}.safetensors",
        )
    live("gpu-1@box-b", "gpu,gpu.ckpt-on-b", ["ckpt-on-b"])
    assert scan_models().missing == ["Stable-diffusion/ckpt-gone.safetensors"]
    assert ModelPreset.objects.get(key="ckpt-on-b").enabled
    assert not ModelPreset.objects.get(key="ckpt-gone").enabled


def test_the_api_says_what_a_job_waits_for(local_models, owner):
    from tests.fixtures import api_for

    job = GenerationJob.objects.create(
        owner=owner,
        model="elsewhere",
        request={"prompt": "p"},
        queue="gpu.elsewhere",
        message="Waiting for a worker that has Elsewhere XL.",
    )
    answer = api_for(owner).get(f"/api/v1/generations/{job.pk}/").json()
    assert answer["status"] == "queued"
    assert answer["message"] == "Waiting for a worker that has Elsewhere XL."
