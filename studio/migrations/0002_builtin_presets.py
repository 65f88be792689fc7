from django.db import migrations

# Frozen here: later changes to the built-in list come as new migrations.
PRESETS = [
    {
        "key": "sdxl-base",
        "label": "Stable Diffusion XL base 1.0",
        "backend": "diffusers",
        "model_id": "stabilityai/stable-diffusion-xl-base-1.0",
        "options": {"pipeline": "sdxl"},
        "width": 1024,
        "height": 1024,
        "min_size": 512,
        "max_size": 2048,
        "steps": 30,
        "cfg_scale": 7.5,
        "sampler": "Euler a",
        "negative_prompt": (
            "blurry, low quality, distorted, deformed, disfigured, bad anatomy, "
            "watermark, text, signature, jpeg artifacts"
        ),
        "position": 10,
    },
    {
        "key": "sdxl-turbo",
        "label": "SDXL Turbo (fast, 1 step)",
        "backend": "diffusers",
        "model_id": "stabilityai/sdxl-turbo",
        "options": {"pipeline": "sdxl"},
        "width": 512,
        "height": 512,
        "min_size": 256,
        "max_size": 1024,
        "steps": 1,
        "cfg_scale": 0.0,
        "sampler": "Euler a",
        "negative_prompt": "",
        "position": 20,
    },
    {
        "key": "sd-turbo",
        "label": "SD Turbo (fast on a CPU)",
        "backend": "diffusers",
        "model_id": "stabilityai/sd-turbo",
        "options": {"pipeline": "sd"},
        "width": 512,
        "height": 512,
        "min_size": 256,
        "max_size": 1024,
        "steps": 1,
        "cfg_scale": 0.0,
        "sampler": "Euler a",
        "negative_prompt": "",
        "position": 30,
    },
    {
        "key": "tiny",
        "label": "Tiny test model (random weights, offline)",
        "backend": "diffusers",
        "model_id": "@tiny",
        "options": {"pipeline": "sd"},
        "width": 64,
        "height": 64,
        "min_size": 32,
        "max_size": 512,
        "steps": 4,
        "cfg_scale": 7.5,
        "sampler": "Euler a",
        "negative_prompt": "blurry, low quality",
        "position": 90,
    },
]


def add_presets(apps, schema_editor):
    ModelPreset = apps.get_model("studio", "ModelPreset")
    for preset in PRESETS:
        ModelPreset.objects.update_or_create(key=preset["key"], defaults=preset)


def remove_presets(apps, schema_editor):
    ModelPreset = apps.get_model("studio", "ModelPreset")
    ModelPreset.objects.filter(key__in=[p["key"] for p in PRESETS]).delete()


class Migration(migrations.Migration):
    dependencies = [("studio", "0001_initial")]
    operations = [migrations.RunPython(add_presets, remove_presets)]
