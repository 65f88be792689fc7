"""What staff can do with a model from the Models page: download it, cancel
the download, delete its files, enable or disable it. Each returns an
``Outcome`` whose message is shown to the person who asked."""

from __future__ import annotations

import logging
import shutil

from filelock import FileLock, Timeout

from .model_checks import Outcome, background_download, cancel_download, start_download
from .models import ModelPreset
from .presets import resolve_model_id

log = logging.getLogger(__name__)


def download(preset: ModelPreset) -> Outcome:
    return start_download(preset)


def cancel(preset: ModelPreset) -> Outcome:
    model_id = resolve_model_id(preset.model_id)
    if cancel_download(model_id):
        return Outcome(True, f"The download of {preset.label} stops; what came is kept.")
    return Outcome(False, f"{preset.label} is not downloading.")


def delete_files(preset: ModelPreset) -> Outcome:
    """Delete a hub model's files from the Hugging Face cache (never a local folder)."""
    from .backends.model_download import CachedRepo
    from .model_status import status_of

    status = status_of(preset, reachable=False)
    if not status.hub:
        return Outcome(
            False,
            f"{preset.label}'s files are not in the download cache, so they are not "
            "deleted from here.",
        )
    model_id = resolve_model_id(preset.model_id)
    if background_download(model_id):
        return Outcome(False, f"{preset.label} is downloading: cancel the download first.")
    cached = CachedRepo(model_id)
    if not cached.folder.exists():
        return Outcome(False, f"{preset.label} has no files to delete.")
    cached.notes.mkdir(parents=True, exist_ok=True)
    try:  # a worker downloading it holds this lock
        with FileLock(cached.lock_path, timeout=0):
            for note in cached.notes.glob(f"{cached.folder.name}.*.json"):
                note.unlink(missing_ok=True)
            shutil.rmtree(cached.folder)
    except Timeout:
        return Outcome(False, f"{preset.label} is being downloaded by a job: try again later.")
    except OSError as error:
        log.warning("deleting %s failed", cached.folder, exc_info=True)
        return Outcome(False, f"Deleting {preset.label}'s files failed ({error.strerror}).")
    log.info("deleted %s from the Hugging Face cache", model_id)
    return Outcome(True, f"{preset.label}'s files are deleted; it downloads again on first use.")


def set_enabled(preset: ModelPreset, enabled: bool) -> Outcome:
    ModelPreset.objects.filter(pk=preset.pk).update(enabled=enabled)
    if enabled:
        return Outcome(True, f"{preset.label} is enabled: people can pick it.")
    return Outcome(True, f"{preset.label} is disabled: it is no longer offered.")
