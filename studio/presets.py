"""Which model presets exist, which one is the default, what a preset loads."""

from pathlib import Path

from django.conf import settings

from .models import ModelPreset

TINY_MODEL = "@tiny"  # see the 0002 migration, which seeds the built-in presets


def has_cuda():
    """Whether an NVIDIA driver is loaded, without importing torch in the web process."""
    return Path("/proc/driver/nvidia/version").exists()


def default_preset_key():
    if settings.ATELIER_DEFAULT_MODEL:
        return settings.ATELIER_DEFAULT_MODEL
    if has_cuda():
        return "sdxl-base"
    return "sd-turbo"


def enabled_presets():
    return list(ModelPreset.objects.filter(enabled=True))


def get_preset(key):
    return ModelPreset.objects.filter(key=key, enabled=True).first()


def resolve_model_id(preset_model_id):
    if preset_model_id == TINY_MODEL:
        return str(settings.ATELIER_TINY_MODEL_PATH)
    return preset_model_id
