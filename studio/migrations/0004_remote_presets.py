from django.db import migrations

NEGATIVE = (
    "blurry, low quality, distorted, deformed, disfigured, bad anatomy, "
    "watermark, text, signature, jpeg artifacts"
)

# Shown only where their engine is configured (HF_TOKEN, OPENAI_API_KEY).
PRESETS = [
    {
        "key": "sdxl-hf",
        "label": "Stable Diffusion XL base 1.0 (Hugging Face)",
        "backend": "huggingface",
        "model_id": "stabilityai/stable-diffusion-xl-base-1.0",
        "options": {},
        "width": 1024,
        "height": 1024,
        "min_size": 512,
        "max_size": 1536,
        "steps": 30,
        "cfg_scale": 7.5,
        "sampler": "Euler",
        "negative_prompt": NEGATIVE,
        "position": 5,
    },
    {
        "key": "dall-e-3",
        "label": "DALL·E 3 (OpenAI)",
        "backend": "openai",
        "model_id": "dall-e-3",
        "options": {},
        "width": 1024,
        "height": 1024,
        "min_size": 1024,
        "max_size": 1792,
        "steps": 1,
        "cfg_scale": 0.0,
        "sampler": "Euler a",
        "negative_prompt": "",
        "position": 40,
    },
    {
        "key": "gpt-image-1",
        "label": "GPT Image 1 (OpenAI)",
        "backend": "openai",
        "model_id": "gpt-image-1",
        "options": {},
        "width": 1024,
        "height": 1024,
        "min_size": 1024,
        "max_size": 1536,
        "steps": 1,
        "cfg_scale": 0.0,
        "sampler": "Euler a",
        "negative_prompt": "",
        "position": 41,
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
    dependencies = [("studio", "0003_job_message_and_enqueued")]
    operations = [migrations.RunPython(add_presets, remove_presets)]
