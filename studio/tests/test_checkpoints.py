"""Finding checkpoints in the models folder: architecture from the header,
presets with each architecture's defaults, refusals that say why, rescans."""

import re

import pytest

pytest.importorskip(
    "torch", reason="needs the local engine (torch, diffusers): pip install -e '.[local]'"
)

import torch
from django.core.management import call_command
from safetensors.torch import save_file

from studio.checkpoints import (
    CheckpointError,
    detect_architecture,
    inspect_checkpoint,
    scan_models,
)
from studio.models import ModelPreset

UNET = "model.diffusion_model.input_blocks.0.0.weight"
KEYS = {
    "sd15": [UNET, "cond_stage_model.transformer.text_model.embeddings.position_ids"],
    "sd2": [UNET, "cond_stage_model.model.transformer.resblocks.0.attn.in_proj_weight"],
    "sdxl": [
        UNET,
        "conditioner.embedders.0.transformer.text_model.embeddings.position_ids",
        "conditioner.embedders.1.model.transformer.resblocks.0.attn.in_proj_weight",
    ],
}


def write(path, keys):
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({key: torch.zeros(2) for key in keys}, path)
    return path


@pytest.fixture
def models(settings, tmp_path):
    settings.ATELIER_MODELS_DIR = tmp_path / "models"
    return settings.ATELIER_MODELS_DIR


@pytest.mark.parametrize("architecture", KEYS)
def test_the_architecture_comes_from_the_header(models, architecture):
    path = write(models / "Stable-diffusion" / "x.safetensors", KEYS[architecture])
    assert inspect_checkpoint(path) == architecture


@pytest.mark.parametrize(
    "keys, why",
    [
        (["lora_unet_down_blocks_0.lora_down.weight"], "not a full checkpoint"),
        (["something.else"], "architecture is unknown"),
        ([UNET, "conditioner.embedders.0.model.ln_final.weight"], "refiner"),
        ([UNET], "architecture is unknown"),
    ],
)
def test_files_that_are_not_usable_checkpoints_say_why(keys, why):
    with pytest.raises(CheckpointError, match=why):
        detect_architecture(keys)


def test_a_truncated_or_corrupt_file_is_refused_from_its_header(models):
    path = write(models / "Stable-diffusion" / "cut.safetensors", KEYS["sd15"])
    path.write_bytes(path.read_bytes()[:-4])
    with pytest.raises(CheckpointError, match="truncated"):
        inspect_checkpoint(path)
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
    with pytest.raises(CheckpointError, match="corrupt"):
        inspect_checkpoint(path)


def test_a_pickle_checkpoint_is_refused_unless_allowed(models, settings):
    path = models / "Stable-diffusion" / "old.ckpt"
    path.parent.mkdir(parents=True)
    torch.save({"state_dict": {key: torch.zeros(2) for key in KEYS["sd2"]}}, path)
    with pytest.raises(CheckpointError, match="pickle.*can run any code"):
        inspect_checkpoint(path)
    settings.ATELIER_ALLOW_PICKLE_CHECKPOINTS = True
    assert inspect_checkpoint(path) == "sd2"


@pytest.mark.django_db
def test_a_scan_makes_a_preset_per_checkpoint_with_its_defaults(models):
    write(models / "Stable-diffusion" / "dreamy.safetensors", KEYS["sd15"])
    write(models / "Stable-diffusion" / "XL" / "Big Model.safetensors", KEYS["sdxl"])
    write(models / "Stable-diffusion" / "broken.safetensors", ["nothing"])
    report = scan_models()
    assert sorted(report.added) == [
        "Stable-diffusion/XL/Big Model.safetensors",
        "Stable-diffusion/dreamy.safetensors",
    ]
    assert report.problems[0][0] == "Stable-diffusion/broken.safetensors"
    dreamy = ModelPreset.objects.get(key="ckpt-dreamy")
    assert dreamy.label == "dreamy (SD 1.5)" and dreamy.enabled
    assert (dreamy.width, dreamy.height, dreamy.steps) == (512, 512, 25)
    assert dreamy.model_id == "@models/Stable-diffusion/dreamy.safetensors"
    big = ModelPreset.objects.get(key="ckpt-big-model")
    assert (big.width, big.height) == (1024, 1024) and big.options["pipeline"] == "sdxl"


@pytest.mark.django_db
def test_a_rescan_disables_a_gone_file_and_keeps_staff_options(models):
    path = write(models / "Stable-diffusion" / "dreamy.safetensors", KEYS["sd15"])
    scan_models()
    preset = ModelPreset.objects.get(key="ckpt-dreamy")
    preset.options = {**preset.options, "vae": "nice.safetensors"}
    preset.save()
    path.unlink()
    assert scan_models().missing == ["Stable-diffusion/dreamy.safetensors"]
    preset.refresh_from_db()
    assert not preset.enabled
    write(path, KEYS["sd15"])
    assert scan_models().updated == ["Stable-diffusion/dreamy.safetensors"]
    preset.refresh_from_db()
    assert preset.enabled and preset.options["vae"] == "nice.safetensors"
    assert ModelPreset.objects.filter(model_id__contains="dreamy").count() == 1


@pytest.mark.django_db
def test_staff_disabling_a_checkpoint_survives_a_rescan(models):
    write(models / "Stable-diffusion" / "dreamy.safetensors", KEYS["sd15"])
    scan_models()
    ModelPreset.objects.filter(key="ckpt-dreamy").update(enabled=False)
    scan_models()
    assert not ModelPreset.objects.get(key="ckpt-dreamy").enabled


def test_the_command_scans_and_makes_the_a1111_folders(models, db, capsys):
    write(models / "Stable-diffusion" / "dreamy.safetensors", KEYS["sd15"])
    call_command("scan_models")
    assert "1 new" in capsys.readouterr().out
    assert sorted(p.name for p in models.iterdir()) == [
        "Lora",
        "Stable-diffusion",
        "VAE",
        "embeddings",
    ]


def test_staff_rescan_from_the_page_and_see_what_was_found(models, staff_client):
    write(models / "Stable-diffusion" / "dreamy.safetensors", KEYS["sd15"])
    write(models / "Stable-diffusion" / "old.ckpt", [])
    page = staff_client.post("/models/rescan/", {"next": "/generate/"}, follow=True)
    assert page.redirect_chain[-1][0] == "/generate/"
    assert "1 new" in page.text and "old.ckpt was skipped" in page.text
    assert ModelPreset.objects.filter(key="ckpt-dreamy").exists()


def test_others_cannot_rescan(models, owner_client):
    write(models / "Stable-diffusion" / "dreamy.safetensors", KEYS["sd15"])
    assert owner_client.post("/models/rescan/").status_code == 403
    assert not ModelPreset.objects.filter(key="ckpt-dreamy").exists()


def test_lora_tags_come_out_of_the_prompt_with_their_weights():
    from studio.backends.lora import LoraTag, parse_lora_tags

    clean, tags = parse_lora_tags("a cat <lora:ink:0.8>, <lora:Fog Style>, <lora:ink:0.5:0.2>")
    assert clean == "a cat"
    assert tags == [LoraTag("ink", 0.5), LoraTag("Fog Style", 1.0)]


def test_a_lora_weight_that_is_not_a_number_is_refused():
    from studio.backends.base import BackendError
    from studio.backends.lora import parse_lora_tags

    with pytest.raises(BackendError, match="not a number"):
        parse_lora_tags("a cat <lora:ink:lots>")


def test_sdxl_in_half_precision_takes_the_fp16_fix_vae_unless_one_is_chosen(models):
    from studio.backends.diffusers_local import chosen_vae
    from studio.runner import fp16_fix_vae

    write(models / "VAE" / "sdxl.vae.safetensors", ["a"])
    fix = write(models / "VAE" / "sdxl-vae-fp16-fix.safetensors", ["a"])
    assert fp16_fix_vae(models) == fix
    options = {"vae_fp16_fix_path": str(fix)}
    assert chosen_vae(options, torch.float16, sdxl=True) == str(fix)
    assert chosen_vae(options, torch.float32, sdxl=True) == ""
    assert chosen_vae(options, torch.float16, sdxl=False) == ""
    assert chosen_vae({**options, "vae_path": "/chosen"}, torch.float16, sdxl=True) == "/chosen"


def test_the_names_people_use_for_loras_embeddings_and_vaes(models):
    from studio.checkpoints import file_names

    write(models / "Lora" / "styles" / "ink.safetensors", ["a"])
    write(models / "embeddings" / "shinystyle.safetensors", ["a"])
    write(models / "VAE" / "sdxl-vae-fp16-fix.safetensors", ["a"])
    (models / "Lora" / "old.pt").write_bytes(b"pickle")
    assert file_names("Lora") == ["ink"]
    assert file_names("embeddings") == ["shinystyle"]
    assert file_names("VAE") == ["sdxl-vae-fp16-fix.safetensors"]


def test_the_generate_page_finds_checkpoints_on_its_first_use(models, owner_client, monkeypatch):
    import threading

    from studio import checkpoints

    monkeypatch.setattr(checkpoints, "_scanned", threading.Event())  # a fresh process
    write(models / "Stable-diffusion" / "dreamy.safetensors", KEYS["sd15"])
    assert "dreamy (SD 1.5)" in owner_client.get("/generate/").text
    write(models / "Stable-diffusion" / "later.safetensors", KEYS["sd15"])
    assert "later (SD 1.5)" not in owner_client.get("/generate/").text  # until a rescan


def test_staff_pick_a_checkpoints_vae_in_the_admin(models, admin_client):
    write(models / "Stable-diffusion" / "dreamy.safetensors", KEYS["sd15"])
    write(models / "VAE" / "nice.safetensors", ["a"])
    scan_models()
    preset = ModelPreset.objects.get(key="ckpt-dreamy")
    url = f"/admin/studio/modelpreset/{preset.pk}/change/"
    form = admin_client.get(url)
    assert '<option value="nice.safetensors">nice.safetensors</option>' in form.text
    fields = {
        name: getattr(preset, name)
        for name in ("key", "label", "backend", "model_id", "width", "height", "min_size")
    }
    fields |= {"max_size": preset.max_size, "steps": preset.steps, "cfg_scale": 7}
    fields |= {"sampler": preset.sampler, "position": 1, "enabled": "on"}
    fields |= {"options": '{"pipeline": "sd", "architecture": "sd15"}', "vae": "nice.safetensors"}
    assert admin_client.post(url, fields).status_code == 302
    preset.refresh_from_db()
    assert preset.options == {"pipeline": "sd", "architecture": "sd15", "vae": "nice.safetensors"}


def test_staff_rescan_with_the_button_on_the_models_page(models, staff_client):
    page = staff_client.get("/models/").text
    form = re.search(r'<form[^>]*action="/models/rescan/".*?</form>', page, re.S)
    assert form and "Rescan models folder" in form.group(0)
    back = re.search(r'name="next" value="([^"]+)"', form.group(0)).group(1)
    write(models / "Stable-diffusion" / "dreamy.safetensors", KEYS["sd15"])

    after = staff_client.post("/models/rescan/", {"next": back}, follow=True)
    assert after.redirect_chain[-1][0] == "/models/"
    assert "1 new" in after.text and 'id="model-ckpt-dreamy"' in after.text


def test_others_do_not_see_the_rescan_button(models, owner_client):
    page = owner_client.get("/models/").text
    assert "Rescan models folder" not in page and "/models/rescan/" not in page
