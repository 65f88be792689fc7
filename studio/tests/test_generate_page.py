import html
import re

import pytest
from django.test import Client

from studio.models import GenerationJob

GOOD = {
    "prompt": "a lighthouse at dawn",
    "negative_prompt": "blurry",
    "model": "tiny",
    "width": "64",
    "height": "64",
    "steps": "4",
    "cfg_scale": "7.5",
    "seed": "-1",
    "sampler": "Euler a",
    "n": "2",
    "visibility": "private",
}


def test_it_shows_the_form_with_the_default_models_settings(owner_client, tiny_settings):
    page = owner_client.get("/generate/")
    assert page.status_code == 200
    form = page.context["form"]
    assert form["model"].value() == "tiny"
    assert form["width"].value() == 64 and form["steps"].value() == 4
    assert 'maxlength="1000"' in page.text
    assert "data-defaults" in page.text


@pytest.mark.local_engine
def test_sdxl_base_defaults_are_the_seeds(owner_client, settings):
    settings.ATELIER_DEFAULT_MODEL = "sdxl-base"
    form = owner_client.get("/generate/").context["form"]
    assert (form["width"].value(), form["height"].value()) == (1024, 1024)
    assert form["steps"].value() == 30 and form["cfg_scale"].value() == 7.5
    assert "blurry" in form["negative_prompt"].value()


@pytest.mark.local_engine
def test_it_queues_a_job_and_shows_its_page(owner_client, owner):
    response = owner_client.post("/generate/", GOOD)
    job = GenerationJob.objects.get()
    assert response.status_code == 302
    assert response.url == f"/jobs/{job.pk}/"
    assert job.owner == owner and job.status == "queued"
    assert job.request["n"] == 2 and job.request["seed"] >= 0
    assert owner_client.get(response.url).status_code == 200


@pytest.mark.local_engine
def test_missing_fields_take_the_presets_defaults(owner_client):
    owner_client.post("/generate/", {"prompt": "a cat", "model": "tiny"})
    request = GenerationJob.objects.get().request
    assert (request["width"], request["height"], request["steps"]) == (64, 64, 4)
    assert request["sampler"] == "Euler a" and request["negative_prompt"] == "blurry, low quality"


@pytest.mark.local_engine
@pytest.mark.parametrize(
    "field, value, message",
    [
        ("prompt", "", "Write a prompt"),
        ("prompt", "x" * 1001, "at most 1000 characters"),
        ("width", "7", "multiple of 8"),
        ("width", "5000", "less than or equal to 4096"),
        ("height", "1024", "from 32 to 512"),
        ("steps", "0", "greater than or equal to 1"),
        ("steps", "1000", "less than or equal to 150"),
        ("n", "9", "less than or equal to 8"),
        ("model", "no-such-model", "Unknown model"),
        ("sampler", "Warp drive", "Unknown sampler"),
        ("seed", "abc", "Enter a whole number"),
        ("cfg_scale", "31", "less than or equal to 30"),
    ],
)
def test_it_rejects_bad_input_with_a_form_error_and_no_job(owner_client, field, value, message):
    response = owner_client.post("/generate/", {**GOOD, field: value})
    assert response.status_code == 200
    errors = " ".join(" ".join(e) for e in response.context["form"].errors.values())
    assert message in errors
    assert GenerationJob.objects.count() == 0


def test_it_refuses_a_post_without_csrf(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post("/generate/", GOOD).status_code == 403
    assert GenerationJob.objects.count() == 0


def test_visitors_are_sent_to_log_in(db):
    response = Client().get("/generate/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=/generate/")


@pytest.mark.local_engine
def test_it_limits_waiting_jobs_per_person(owner_client, settings):
    settings.ATELIER_MAX_QUEUED_JOBS = 2
    for _ in range(2):
        assert owner_client.post("/generate/", GOOD).status_code == 302
    response = owner_client.post("/generate/", GOOD)
    assert response.status_code == 200
    assert "already have 2 generations" in response.text
    assert GenerationJob.objects.count() == 2


def test_remix_prefills_the_form_from_the_query(owner_client):
    page = owner_client.get("/generate/?prompt=a+fox&seed=7&model=tiny&steps=9")
    form = page.context["form"]
    assert form["prompt"].value() == "a fox" and form["seed"].value() == "7"


def test_the_loras_and_embeddings_of_the_models_folder_are_offered_beside_the_prompt(
    owner_client, tiny_settings, settings, tmp_path
):
    from safetensors.torch import save_file
    from torch import zeros

    settings.ATELIER_MODELS_DIR = tmp_path / "models"
    page = owner_client.get("/generate/").text
    assert "data-prompt-insert" not in page  # nothing to offer, no picker

    for path in ("Lora/styles/ink wash.safetensors", "embeddings/shinystyle.safetensors"):
        (tmp_path / "models" / path).parent.mkdir(parents=True, exist_ok=True)
        save_file({"a": zeros(2)}, tmp_path / "models" / path)
    page = owner_client.get("/generate/").text
    picker = re.search(r"<select[^>]*data-prompt-insert=\"id_prompt\".*?</select>", page, re.S)
    assert picker, "no LoRA / embedding picker beside the prompt"
    options = dict(
        (label, html.unescape(value))
        for value, label in re.findall(r'<option value="([^"]+)">([^<]+)</option>', picker.group(0))
    )
    assert options == {"ink wash": "<lora:ink wash:1>", "shinystyle": "shinystyle"}
    assert "js/prompt-extras.js" in page
