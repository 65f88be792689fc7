"""Real jobs, through the real runner, on files from the models folder: a
single-file checkpoint found by a scan, LoRAs from prompt tags, a textual
inversion, a chosen VAE; and the files that are broken or gone."""

import io
import shutil

import pytest

pytest.importorskip(
    "torch", reason="needs the local engine (torch, diffusers): pip install -e '.[local]'"
)
from PIL import Image as PILImage

from gallery.models import Image
from imaging.png_metadata import read_png_text
from studio.checkpoints import scan_models
from studio.models import GenerationJob, ModelPreset
from studio.runner import run_job
from studio.tests.tiny_files import (
    write_tiny_checkpoint,
    write_tiny_embedding,
    write_tiny_lora,
    write_tiny_sdxl_checkpoint,
)

BASE = {
    "negative_prompt": "",
    "width": 64,
    "height": 64,
    "steps": 3,
    "cfg_scale": 7.0,
    "seed": 5,
    "sampler": "Euler a",
    "n": 1,
    "visibility": "private",
}


@pytest.fixture(autouse=True)
def one_torch_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def models(settings, tmp_path, tiny_model_path):
    settings.ATELIER_MODELS_DIR = tmp_path / "models"
    folder = settings.ATELIER_MODELS_DIR
    write_tiny_checkpoint(tiny_model_path, folder / "Stable-diffusion" / "tiny-ckpt.safetensors")
    return folder


@pytest.fixture
def preset(models, tiny_model_path, db):
    assert scan_models().added == ["Stable-diffusion/tiny-ckpt.safetensors"]
    preset = ModelPreset.objects.get(key="ckpt-tiny-ckpt")
    # What staff set for a checkpoint whose base configs cannot be fetched (offline).
    preset.options = {**preset.options, "config": str(tiny_model_path)}
    preset.save()
    return preset


@pytest.fixture(scope="session")
def tiny_sdxl_model_path(tiny_model_path):
    from studio.backends.tiny_model import TINY_MODEL_VERSION, build_tiny_pipeline

    folder = tiny_model_path.parent / f"tiny-sdxl-model-v{TINY_MODEL_VERSION}"
    return build_tiny_pipeline(folder, sdxl=True)


def job_for(owner, preset, prompt="a photo of a cat", **fields):
    request = {**BASE, "prompt": prompt, "model": preset.key, **fields}
    return GenerationJob.objects.create(owner=owner, model=preset.key, request=request)


def run(owner, preset, prompt="a photo of a cat", **fields) -> GenerationJob:
    job = job_for(owner, preset, prompt, **fields)
    run_job(str(job.pk))
    job.refresh_from_db()
    return job


def pixels(job) -> bytes:
    image = job.images.get()
    with image.file.open("rb") as f:
        return PILImage.open(io.BytesIO(f.read())).tobytes()


def png_text(job) -> dict:
    with job.images.get().file.open("rb") as f:
        return read_png_text(f.read())


def test_a_scanned_checkpoint_makes_the_same_picture_as_its_diffusers_folder(
    owner, preset, tiny_settings
):
    from_file = run(owner, preset)
    assert from_file.status == "succeeded", from_file.error
    folder = ModelPreset.objects.get(key="tiny")
    from_folder = run(owner, folder)
    assert from_folder.status == "succeeded", from_folder.error
    assert pixels(from_file) == pixels(from_folder)


def test_lora_weights_from_the_prompt_change_the_pixels_and_reproduce(
    owner, preset, models, tiny_model_path
):
    write_tiny_lora(tiny_model_path, models / "Lora" / "ink.safetensors")
    off = run(owner, preset, "a cat <lora:ink:0>")
    on = run(owner, preset, "a cat <lora:ink:1>")
    again = run(owner, preset, "a cat <lora:ink:1>")
    plain = run(owner, preset, "a cat")
    for job in (off, on, again, plain):
        assert job.status == "succeeded", job.error
    assert pixels(on) != pixels(off)
    assert pixels(on) == pixels(again)
    assert pixels(plain) == pixels(off)  # no LoRA after one was used: the model as it was


def test_the_recipe_records_loras_as_a1111_does_and_keeps_the_tags(
    owner, preset, models, tiny_model_path, owner_client
):
    write_tiny_lora(tiny_model_path, models / "Lora" / "ink.safetensors")
    write_tiny_lora(tiny_model_path, models / "Lora" / "fog.safetensors", seed=8)
    job = run(owner, preset, "a cat <lora:ink:0.5>, <lora:fog:0.7>")
    assert job.status == "succeeded", job.error
    parameters = png_text(job)["parameters"]
    assert parameters.startswith("a cat <lora:ink:0.5>, <lora:fog:0.7>\n")
    assert 'Lora hashes: "ink: ' in parameters and ", fog: " in parameters
    image = job.images.get()
    assert image.recipe["prompt"] == "a cat <lora:ink:0.5>, <lora:fog:0.7>"
    assert image.recipe["lora_hashes"].startswith("ink: ")
    remix = owner_client.get("/generate/", {"prompt": image.recipe["prompt"]})
    assert "&lt;lora:ink:0.5&gt;, &lt;lora:fog:0.7&gt;" in remix.text


def test_a_missing_lora_fails_the_job_with_its_name_before_any_step(owner, preset):
    job = run(owner, preset, "a cat <lora:nowhere:0.8>")
    assert job.status == "failed"
    assert "The LoRA 'nowhere' is not in" in job.error
    assert job.total_steps == 0 and Image.objects.count() == 0


def test_a_lora_for_another_architecture_fails_and_the_worker_keeps_serving(
    owner, preset, models, tiny_sdxl_model_path
):
    write_tiny_lora(tiny_sdxl_model_path, models / "Lora" / "xl-only.safetensors")
    job = run(owner, preset, "a cat <lora:xl-only:1>")
    assert job.status == "failed"
    assert "The LoRA 'xl-only'" in job.error and "another architecture" in job.error
    assert str(models) not in job.error
    after = run(owner, preset, "a cat")
    assert after.status == "succeeded", after.error


def test_an_embedding_is_triggered_by_its_file_name(owner, preset, models):
    embedding = models / "embeddings" / "shinystyle.safetensors"
    write_tiny_embedding(embedding, seed=1)
    first = run(owner, preset, "a cat, shinystyle")
    write_tiny_embedding(embedding, seed=2)
    second = run(owner, preset, "a cat, shinystyle")
    for job in (first, second):
        assert job.status == "succeeded", job.error
    assert pixels(first) != pixels(second)  # the embedding's vectors reach the picture
    assert png_text(second)["parameters"].count('TI hashes: "shinystyle: ') == 1
    unused = run(owner, preset, "a cat")
    assert "ti_hashes" not in unused.images.get().recipe


def test_a_vae_chosen_for_the_checkpoint_is_used(owner, preset, models, tiny_model_path):
    plain = run(owner, preset)
    vae = models / "VAE" / "other.safetensors"
    vae.parent.mkdir(parents=True)
    other = _perturbed_vae(tiny_model_path, vae)
    preset.options = {**preset.options, "vae": other.name}
    preset.save()
    with_vae = run(owner, preset)
    assert with_vae.status == "succeeded", with_vae.error
    assert pixels(with_vae) != pixels(plain)


def _perturbed_vae(tiny_model_path, target):
    from safetensors.torch import load_file, save_file

    state = load_file(tiny_model_path / "vae" / "diffusion_pytorch_model.safetensors")
    state["decoder.conv_out.bias"] = state["decoder.conv_out.bias"] + 0.5
    save_file(state, target)
    return target


def test_a_missing_vae_fails_the_job_clearly(owner, preset):
    preset.options = {**preset.options, "vae": "gone.safetensors"}
    preset.save()
    job = run(owner, preset)
    assert job.status == "failed" and "The VAE 'gone.safetensors'" in job.error


def test_a_checkpoint_gone_since_the_scan_fails_the_job_clearly(owner, preset, models):
    shutil.rmtree(models / "Stable-diffusion")
    job = run(owner, preset)
    assert job.status == "failed"
    assert "'Stable-diffusion/tiny-ckpt.safetensors' is no longer in the models folder" in (
        job.error
    )
    assert str(models) not in job.error


def test_a_checkpoint_truncated_since_the_scan_fails_and_the_next_job_runs(
    owner, preset, models, tiny_settings
):
    path = models / "Stable-diffusion" / "tiny-ckpt.safetensors"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    job = run(owner, preset)
    assert job.status == "failed"
    assert "could not be read" in job.error or "incomplete or corrupt" in job.error
    assert "'Stable-diffusion/tiny-ckpt.safetensors'" in job.error
    assert str(models) not in job.error
    after = run(owner, ModelPreset.objects.get(key="tiny"))
    assert after.status == "succeeded", after.error


def test_a_pickle_checkpoint_preset_is_refused_unless_allowed(owner, preset):
    preset.model_id = "@models/Stable-diffusion/old.ckpt"
    preset.save()
    job = run(owner, preset)
    assert job.status == "failed" and "can run any code" in job.error
    assert "ATELIER_ALLOW_PICKLE_CHECKPOINTS" in job.error_details  # for staff only


def test_an_a1111_vae_file_loads_into_the_models_own_vae_config(tiny_model_path, tmp_path):
    import torch
    from diffusers import AutoencoderKL
    from safetensors.torch import load_file, save_file

    from studio.backends.diffusers_local import load_vae

    checkpoint = write_tiny_checkpoint(tiny_model_path, tmp_path / "c.safetensors")
    prefix = "first_stage_model."
    original = {k[len(prefix) :]: v for k, v in load_file(checkpoint).items() if prefix in k}
    save_file(original, tmp_path / "vae.safetensors")  # A1111's VAE files: no prefix
    own = AutoencoderKL.from_pretrained(tiny_model_path / "vae")
    vae = load_vae(str(tmp_path / "vae.safetensors"), own.config, torch.float16, fp16_fix=True)
    assert vae.dtype == torch.float16 and vae.config.force_upcast is False
    mine, theirs = vae.state_dict(), own.state_dict()
    assert all(torch.equal(mine[k], theirs[k].half()) for k in theirs)


def test_an_sdxl_model_takes_an_sdxl_lora_and_embedding(owner, models, tiny_sdxl_model_path):
    import torch
    from safetensors.torch import save_file

    sdxl = ModelPreset.objects.create(
        key="tiny-xl", label="Tiny XL", model_id=str(tiny_sdxl_model_path), min_size=64
    )
    write_tiny_lora(tiny_sdxl_model_path, models / "Lora" / "xl-ink.safetensors")
    vectors = torch.Generator().manual_seed(4)
    embedding = {
        "clip_l": torch.randn(1, 32, generator=vectors),
        "clip_g": torch.randn(1, 32, generator=vectors),
    }
    (models / "embeddings").mkdir(parents=True)
    save_file(embedding, models / "embeddings" / "xlstyle.safetensors")
    plain = run(owner, sdxl, "a cat xlstyle")
    with_lora = run(owner, sdxl, "a cat xlstyle <lora:xl-ink:1>")
    for job in (plain, with_lora):
        assert job.status == "succeeded", job.error
    assert pixels(plain) != pixels(with_lora)
    assert with_lora.images.get().recipe["ti_hashes"].startswith("xlstyle: ")


def test_an_embedding_for_another_architecture_fails_the_job_clearly(owner, preset, models):
    import torch
    from safetensors.torch import save_file

    (models / "embeddings").mkdir(parents=True)
    sdxl_only = {"clip_l": torch.ones(1, 32), "clip_g": torch.ones(1, 32)}
    save_file(sdxl_only, models / "embeddings" / "xlstyle.safetensors")
    job = run(owner, preset, "a cat xlstyle")
    assert job.status == "failed"
    assert "The embedding 'xlstyle' cannot be used with this model" in job.error
    assert run(owner, preset, "a cat").status == "succeeded"


def test_sdxl_in_half_precision_decodes_with_the_fp16_fix_vae(owner, models, tiny_sdxl_model_path):
    # float16 runs on the CPU too (slowly, with a warning): enough to see which VAE decodes.
    half = ModelPreset.objects.create(
        key="tiny-xl-half",
        label="Tiny XL fp16",
        model_id=str(tiny_sdxl_model_path),
        min_size=64,
        options={"dtype": "float16"},
    )
    full = ModelPreset.objects.create(
        key="tiny-xl", label="Tiny XL", model_id=str(tiny_sdxl_model_path), min_size=64
    )
    before_half, before_full = run(owner, half), run(owner, full)
    (models / "VAE").mkdir(parents=True)
    _perturbed_vae(tiny_sdxl_model_path, models / "VAE" / "sdxl-vae-fp16-fix.safetensors")
    after_half, after_full = run(owner, half), run(owner, full)
    for job in (before_half, before_full, after_half, after_full):
        assert job.status == "succeeded", job.error
    assert pixels(after_half) != pixels(before_half)  # the fix decodes in float16
    assert pixels(after_full) == pixels(before_full)  # float32 keeps the model's own VAE


@pytest.fixture
def offline(monkeypatch):
    """No hub at all, as HF_HUB_OFFLINE=1 at start-up would have it: any fetch fails."""
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert constants.is_offline_mode()


@pytest.fixture
def sdxl_checkpoint(models):
    """A tiny SDXL checkpoint whose text encoders have different widths (32, 48)."""
    return write_tiny_sdxl_checkpoint(models / "Stable-diffusion" / "tiny-xl.safetensors")


def test_an_sdxl_checkpoint_makes_a_picture_offline_with_the_bundled_configs(
    owner, sdxl_checkpoint, offline
):
    report = scan_models()
    assert "Stable-diffusion/tiny-xl.safetensors" in report.added
    preset = ModelPreset.objects.get(key="ckpt-tiny-xl")
    assert preset.label == "tiny-xl (SDXL)"
    assert "config" not in preset.options  # nothing set by staff: the bundled configs
    preset.min_size = 64  # the tiny model is quick at 64 px
    preset.save()
    job = run(owner, preset, steps=2, sampler="Euler")
    assert job.status == "succeeded", (job.error, job.error_details)
    with job.images.get().file.open("rb") as f:
        picture = PILImage.open(io.BytesIO(f.read()))
        assert (picture.format, picture.size) == ("PNG", (64, 64))
    assert "Model: ckpt-tiny-xl" in png_text(job)["parameters"]


def test_each_sdxl_text_encoder_loads_from_its_own_embedder(sdxl_checkpoint, offline):
    import torch
    from safetensors.torch import load_file

    from studio.backends.diffusers_local import load_pipeline

    pipe = load_pipeline(str(sdxl_checkpoint), "cpu", torch.float32, {"architecture": "sdxl"})
    state = load_file(sdxl_checkpoint)
    first = state[
        "conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight"
    ]
    second = state["conditioner.embedders.1.model.token_embedding.weight"]
    assert first.shape[1] == 32 and second.shape[1] == 48
    assert torch.equal(pipe.text_encoder.get_input_embeddings().weight, first)
    assert torch.equal(pipe.text_encoder_2.get_input_embeddings().weight, second)
    projection = state["conditioner.embedders.1.model.text_projection"]
    assert torch.equal(pipe.text_encoder_2.text_projection.weight, projection.T)
    pooled_and_sizes = state["model.diffusion_model.label_emb.0.0.weight"]
    assert torch.equal(pipe.unet.add_embedding.linear_1.weight, pooled_and_sizes)
    assert pipe.tokenizer_2.pad_token == "!" and pipe.tokenizer.pad_token == "<|endoftext|>"


def test_a_checkpoint_without_its_vae_fails_the_job_clearly(owner, sdxl_checkpoint, offline):
    from safetensors.torch import load_file, save_file

    state = load_file(sdxl_checkpoint)
    save_file(
        {k: v for k, v in state.items() if not k.startswith("first_stage_model.")}, sdxl_checkpoint
    )
    scan_models()
    preset = ModelPreset.objects.get(key="ckpt-tiny-xl")
    preset.min_size = 64
    preset.save()
    job = run(owner, preset)
    assert job.status == "failed"
    assert "is not a complete Stable Diffusion checkpoint" in job.error
    assert str(sdxl_checkpoint.parent) not in job.error
    assert ModelPreset.objects.get(key="ckpt-tiny-ckpt").enabled  # the others stay usable
