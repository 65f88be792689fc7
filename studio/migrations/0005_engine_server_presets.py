from django.db import migrations

# Shown only where their server is configured (ATELIER_A1111_URL, ATELIER_COMFYUI_URL).
# model_id is the checkpoint's name on that server.
PRESETS = [
    {
        "key": "a1111-sdxl",
        "label": "SDXL base 1.0 (AUTOMATIC1111)",
        "backend": "a1111",
        "model_id": "sd_xl_base_1.0.safetensors",
        "options": {},
        "width": 1024,
        "height": 1024,
        "min_size": 512,
        "max_size": 2048,
        "steps": 30,
        "cfg_scale": 7.0,
        "sampler": "DPM++ 2M Karras",
        "negative_prompt": "",
        "position": 50,
    },
    {
        "key": "a1111-sd15",
        "label": "Stable Diffusion 1.5 (AUTOMATIC1111)",
        "backend": "a1111",
        "model_id": "v1-5-pruned-emaonly.safetensors",
        "options": {},
        "width": 512,
        "height": 512,
        "min_size": 256,
        "max_size": 1024,
        "steps": 25,
        "cfg_scale": 7.0,
        "sampler": "Euler a",
        "negative_prompt": "",
        "position": 51,
    },
    {
        "key": "comfyui-sdxl",
        "label": "SDXL base 1.0 (ComfyUI)",
        "backend": "comfyui",
        "model_id": "sd_xl_base_1.0.safetensors",
        "options": {},
        "width": 1024,
        "height": 1024,
        "min_size": 512,
        "max_size": 2048,
        "steps": 30,
        "cfg_scale": 7.0,
        "sampler": "DPM++ 2M Karras",
        "negative_prompt": "",
        "position": 60,
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
    dependencies = [("studio", "0004_remote_presets")]
    operations = [migrations.RunPython(add_presets, remove_presets)]
