"""A folder of A1111-style files, through real processes with no hub
(HF_HUB_OFFLINE=1): the web server finds the checkpoints on first use, the
Celery worker makes a picture with one and a LoRA from the prompt, and the
PNG records the LoRA as A1111 does; an SDXL checkpoint loads with the
configs and tokenizers bundled with Atelier."""

import io
import re

import pytest

pytest.importorskip(
    "torch", reason="needs the local engine (torch, diffusers): pip install -e '.[local]'"
)
from PIL import Image as PILImage

from studio.tests.tiny_files import (
    write_tiny_checkpoint,
    write_tiny_lora,
    write_tiny_sdxl_checkpoint,
)
from tests.stack import Browser, Stack, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(tiny_model_path, django_db_blocker):
    with django_db_blocker.unblock():
        running = Stack(tiny_model=tiny_model_path, extra_env={"HF_HUB_OFFLINE": "1"})
    models = running.folder / "models"  # ATELIER_MODELS_DIR's default: $ATELIER_VAR_DIR/models
    write_tiny_checkpoint(tiny_model_path, models / "Stable-diffusion" / "tiny-ckpt.safetensors")
    write_tiny_lora(tiny_model_path, models / "Lora" / "ink.safetensors")
    write_tiny_sdxl_checkpoint(models / "Stable-diffusion" / "tiny-xl.safetensors")
    try:
        running.start()
        yield running
    finally:
        running.stop()


def test_a_checkpoint_in_the_folder_and_a_lora_tag_make_a_picture(stack, tiny_model_path):
    person = Browser(stack)
    person.signup("ada")
    page = person.http.get("/generate/")
    assert "tiny-ckpt (SD 1.5)" in page.text  # found by the web server's first scan
    # The tiny SD checkpoint's tokenizer is not CLIP's (a small vocabulary): staff's "config"
    # option points at its own folder, and wins over the bundled configs. A smaller minimum
    # size keeps the tiny model quick.
    stack.shell(
        "import json; from studio.models import ModelPreset; "
        "p = ModelPreset.objects.get(key='ckpt-tiny-ckpt'); "
        f"p.options = {{**p.options, 'config': {str(tiny_model_path)!r}}}; "
        "p.min_size = 64; p.save(); "
        "print(json.dumps(True))"
    )
    job = generate(
        person,
        {
            "prompt": "a lighthouse <lora:ink:0.7>",
            "model": "ckpt-tiny-ckpt",
            "width": 64,
            "height": 64,
            "steps": 3,
            "cfg_scale": 7,
            "seed": 42,
            "sampler": "Euler a",
            "n": 1,
            "visibility": "private",
        },
    )
    assert job["status"] == "succeeded", (job["error"], stack.log("worker"))
    [image] = job["images"]
    download = person.http.get(f"/images/{image['id']}/download")
    parameters = PILImage.open(io.BytesIO(download.content)).text["parameters"]
    assert parameters.startswith("a lighthouse <lora:ink:0.7>\n")
    assert re.search(r'Lora hashes: "ink: [0-9a-f]{12}"', parameters)


def test_an_sdxl_checkpoint_makes_a_picture_with_the_bundled_configs(stack):
    person = Browser(stack)
    person.signup("grace")
    assert "tiny-xl (SDXL)" in person.http.get("/generate/").text
    # Nothing set for it but a smaller minimum size, which keeps the tiny model quick.
    stack.shell(
        "import json; from studio.models import ModelPreset; "
        "p = ModelPreset.objects.get(key='ckpt-tiny-xl'); "
        "assert 'config' not in p.options, p.options; "
        "p.min_size = 64; p.save(); print(json.dumps(True))"
    )
    job = generate(
        person,
        {
            "prompt": "a lighthouse at dusk",
            "model": "ckpt-tiny-xl",
            "width": 64,
            "height": 64,
            "steps": 2,
            "cfg_scale": 5,
            "seed": 7,
            "sampler": "Euler",
            "n": 1,
            "visibility": "private",
        },
    )
    assert job["status"] == "succeeded", (job["error"], stack.log("worker"))
    [image] = job["images"]
    picture = PILImage.open(io.BytesIO(person.http.get(f"/images/{image['id']}/download").content))
    assert (picture.format, picture.size) == ("PNG", (64, 64))
    assert "Model: ckpt-tiny-xl" in picture.text["parameters"]


def generate(person, form) -> dict:
    """Submit the Generate form and wait for the job's end; its API view."""
    response = person.post_form("/generate/", form)
    assert response.status_code == 302, person.stack.log("web")
    job_id = re.search(r"/jobs/([0-9a-f-]+)/", response.headers["location"]).group(1)

    def finished():
        job = person.http.get(f"/api/v1/generations/{job_id}/").json()
        return job if job["status"] in ("succeeded", "failed", "cancelled") else None

    return wait_for(finished, timeout=120, what="the generation to finish", interval=0.1)
