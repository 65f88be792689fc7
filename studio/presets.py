"""Which model presets exist, which one is the default, what a preset loads."""

from pathlib import Path

from django.conf import settings

from .backends import is_configured
from .checkpoints import resolve, scan_once
from .models import ModelPreset

TINY_MODEL = "@tiny"  # see the 0002 migration, which seeds the built-in presets


def has_cuda():
    """Whether an NVIDIA driver is loaded, without importing torch in the web process."""
    return Path("/proc/driver/nvidia/version").exists()


def default_preset_key():
    if settings.ATELIER_DEFAULT_MODEL:
        return settings.ATELIER_DEFAULT_MODEL
    if settings.HF_TOKEN:
        return "sdxl-hf"
    if has_cuda():
        return "sdxl-base"
    return "sd-turbo"


def engine_ready(backend: str) -> bool:
    return is_configured(backend, settings.ATELIER_ENGINES.get(backend))


def enabled_presets():
    """Presets a person can pick: enabled, and their engine is set up here."""
    scan_once()  # checkpoints in the models folder, found once per process
    return [p for p in ModelPreset.objects.filter(enabled=True) if engine_ready(p.backend)]


def get_preset(key):
    preset = ModelPreset.objects.filter(key=key, enabled=True).first()
    return preset if preset and engine_ready(preset.backend) else None


def resolve_model_id(preset_model_id):
    if preset_model_id == TINY_MODEL:
        return str(settings.ATELIER_TINY_MODEL_PATH)
    return resolve(preset_model_id)
