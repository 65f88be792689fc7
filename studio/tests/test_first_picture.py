"""The first picture works: the Generate page says up front which models are
installed, which download on first use (and how much) and which cannot be
used because the model hub is away; a job for one of those fails at once with
words for the person, the admin's details kept for staff; a job that
downloads says so from its first report; no server path reaches a person."""

import re
import socket
import time

import pytest

from studio import runner
from studio.backends.tests.fake_hub import TINY_REPO, point_huggingface_hub_at
from studio.models import GenerationJob, ModelPreset
from studio.runner import run_job

REPO_ID = TINY_REPO  # served by the `hub` fixture (studio/tests/conftest.py)
ADMIN_WORDS = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|`|/hf-home|manage\.py")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once closed


@pytest.fixture
def hub_away(tmp_path, monkeypatch):
    point_huggingface_hub_at(monkeypatch, f"http://127.0.0.1:{closed_port()}", tmp_path / "hf-home")


def option(page_text: str, key: str) -> str:
    match = re.search(rf'<option value="{key}"[^>]*>[^<]*</option>', page_text)
    assert match, f"no option {key}"
    return match.group(0)


def test_the_generate_page_says_up_front_that_the_hub_is_away(
    owner_client, tiny_settings, hub_away
):
    tiny_settings.ATELIER_DEFAULT_MODEL = "sd-turbo"  # the default, but not installed
    page = owner_client.get("/generate/")

    assert "The model hub cannot be reached from this server right now" in page.text
    assert "An admin of this server can fix it." in page.text
    turbo = option(page.text, "sd-turbo")
    assert "disabled" in turbo
    assert "SD Turbo (fast on a CPU) — cannot be used now (the model hub is unreachable)" in turbo
    assert page.context["form"]["model"].value() == "tiny"  # an installed one is pre-selected
    assert "selected" in option(page.text, "tiny") and "64" in str(
        page.context["form"]["width"].value()
    )


def test_a_model_that_downloads_on_first_use_says_so_and_how_big(owner_client, tiny_settings, hub):
    tiny_settings.ATELIER_DEFAULT_MODEL = "sd-turbo"
    page = owner_client.get("/generate/")

    assert "The model hub cannot be reached" not in page.text
    turbo = option(page.text, "sd-turbo")
    assert "SD Turbo (fast on a CPU) — not installed, 5.2 GB" in turbo and "disabled" not in turbo
    assert page.context["form"]["model"].value() == "sd-turbo"
    assert "It is downloaded on first use (5.2 GB): the first picture takes longer." in page.text
    assert option(page.text, "tiny").startswith('<option value="tiny" data-defaults')


def test_a_model_submitted_while_the_hub_is_away_fails_at_once_for_the_person(
    owner, owner_client, staff_client, tiny_settings, hub_away
):
    response = owner_client.post(
        "/generate/", {"prompt": "a lighthouse", "model": "sd-turbo", "width": 512, "height": 512}
    )
    job = GenerationJob.objects.get()
    assert response.url == f"/jobs/{job.pk}/"

    started = time.monotonic()
    run_job(str(job.pk))
    print(f"failed after {time.monotonic() - started:.2f} s")  # the number for the report
    job.refresh_from_db()

    assert job.status == "failed"
    assert job.error == (
        "SD Turbo (fast on a CPU) is not installed on this server, and it cannot be "
        "downloaded now because the model hub cannot be reached. Pick an installed model, "
        "or ask an admin of this server to install it."
    )
    seen = owner_client.get(f"/jobs/{job.pk}/").text
    assert "cannot be downloaded now" in seen
    assert "Details for the admin" not in seen and not ADMIN_WORDS.search(job.error)
    assert "HF_ENDPOINT" not in seen and "hf-home" not in seen

    staff_sees = staff_client.get(f"/jobs/{job.pk}/status/").text
    assert "Details for the admin" in staff_sees
    assert "HF_ENDPOINT" in staff_sees and "did not answer within 2 s" in staff_sees


def test_edit_and_try_again_selects_an_installed_model_and_shows_the_seed(
    owner_client, tiny_settings, hub_away
):
    page = owner_client.get(
        "/generate/?prompt=a+fox&model=sd-turbo&seed=1166971949&width=512&height=512&steps=2"
    )
    form = page.context["form"]

    assert form["model"].value() == "tiny"
    assert "SD Turbo (fast on a CPU) cannot be used now, so an installed model is selected" in (
        page.text
    )
    assert (form["width"].value(), form["steps"].value()) == (64, 4)  # the tiny model's
    assert form["prompt"].value() == "a fox"
    assert re.search(r"Seed 1166971949 — <button[^>]*data-seed-random[^>]*>random again", page.text)


def test_a_random_seed_is_not_shown_next_to_the_prompt(owner_client, tiny_settings):
    page = owner_client.get("/generate/?prompt=a+fox&seed=-1")
    assert "data-seed-random" not in page.text


def test_the_form_remembers_the_last_settings_per_person(owner_client, other_client, tiny_settings):
    ModelPreset.objects.filter(key="tiny").update(max_size=512)
    owner_client.post(
        "/generate/",
        {
            "prompt": "a cat",
            "model": "tiny",
            "width": "128",
            "height": "96",
            "steps": "7",
            "sampler": "DPM++ 2M",
            "cfg_scale": "5.5",
            "visibility": "public",
        },
    )

    form = owner_client.get("/generate/").context["form"]
    remembered = {
        name: form[name].value()
        for name in ("model", "width", "height", "steps", "sampler", "cfg_scale", "visibility")
    }
    assert remembered == {
        "model": "tiny",
        "width": 128,
        "height": 96,
        "steps": 7,
        "sampler": "DPM++ 2M",
        "cfg_scale": 5.5,
        "visibility": "public",
    }
    assert form["prompt"].value() in (None, "")  # the prompt is not remembered

    others = other_client.get("/generate/").context["form"]
    assert (others["width"].value(), others["steps"].value()) == (64, 4)


def test_a_download_is_shown_from_the_first_report_and_no_path_ever(
    owner, owner_client, tiny_settings, hub, monkeypatch
):
    ModelPreset.objects.create(
        key="tiny-hub",
        label="Tiny from the hub",
        backend="diffusers",
        model_id=REPO_ID,
        width=64,
        height=64,
        min_size=32,
        steps=2,
    )
    shown = []
    report = runner.JobTracker.report

    def report_and_look(self, progress):
        report(self, progress)
        shown.append(owner_client.get(f"/jobs/{self.job.pk}/status/").text)

    monkeypatch.setattr(runner.JobTracker, "report", report_and_look)
    for model in ("tiny-hub", "tiny"):
        response = owner_client.post("/generate/", {"prompt": "a cat", "model": model})
        assert response.status_code == 302, response.context["form"].errors
        job = GenerationJob.objects.get(model=model)
        shown.clear()
        run_job(str(job.pk))
        job.refresh_from_db()
        assert job.status == "succeeded", job.error
        phases = [re.search(r"job-phase[^>]*>\s*([^<]*?)\s*</p>", s).group(1) for s in shown]
        if model == "tiny-hub":
            assert phases[0].startswith("Downloading Tiny from the hub — it is not installed yet")
            assert any(re.search(r"Downloading the model — \d\.\d / 8\.6 MB", p) for p in phases)
        else:
            assert "Loading Tiny test model (random weights, offline)" in phases
        assert not any(str(tiny_settings.ATELIER_TINY_MODEL_PATH) in s for s in shown)
        assert not any("hf-home" in s for s in shown)


def test_staff_are_offered_to_download_models_ahead(staff_client, owner_client, tiny_settings):
    assert "Download or manage models" in staff_client.get("/generate/").text
    assert "Download or manage models" not in owner_client.get("/generate/").text
