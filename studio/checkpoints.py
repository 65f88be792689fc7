"""Local single-file checkpoints, found the way AUTOMATIC1111 finds them.

``ATELIER_MODELS_DIR`` is laid out like an A1111/Forge ``models`` folder::

    Stable-diffusion/   checkpoints (.safetensors; .ckpt only when allowed)
    Lora/               LoRAs, used with <lora:name:weight> in a prompt
    VAE/                VAEs, chosen per checkpoint (preset option "vae")
    embeddings/         textual inversions, triggered by their file name

``scan_models`` reads each checkpoint's safetensors header (a few hundred KB
at the start of the file, never the weights), detects its architecture from
the key names and makes it a ``ModelPreset`` with that architecture's
defaults. A file gone since the last scan disables its preset (jobs keep
their history); a file that comes back enables it again. A preset's
options that staff edited (a VAE, a config) survive a rescan.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.text import slugify

log = logging.getLogger(__name__)

CHECKPOINTS, LORA, VAE, EMBEDDINGS = "Stable-diffusion", "Lora", "VAE", "embeddings"
SUBFOLDERS = (CHECKPOINTS, LORA, VAE, EMBEDDINGS)
MODELS_PREFIX = "@models/"  # a preset's model_id relative to ATELIER_MODELS_DIR
KEY_PREFIX = "ckpt-"
MAX_HEADER_BYTES = 100 * 1024 * 1024  # safetensors' own limit
MAX_METADATA_BYTES = 1024 * 1024  # a LoRA's training notes are a few KB: a listing reads no more

# Architecture -> (label, pipeline, preset defaults).
ARCHITECTURES = {
    "sd15": (
        "SD 1.5",
        "sd",
        {"width": 512, "height": 512, "min_size": 256, "max_size": 1024, "steps": 25},
    ),
    "sd2": (
        "SD 2.x",
        "sd",
        {"width": 768, "height": 768, "min_size": 256, "max_size": 1536, "steps": 25},
    ),
    "sdxl": (
        "SDXL",
        "sdxl",
        {"width": 1024, "height": 1024, "min_size": 512, "max_size": 2048, "steps": 30},
    ),
}
COMMON_DEFAULTS = {"cfg_scale": 7.0, "sampler": "DPM++ 2M Karras"}


class CheckpointError(Exception):
    """A checkpoint that cannot be used, with the reason a person can act on."""


def models_dir() -> Path:
    return Path(settings.ATELIER_MODELS_DIR)


def resolve(model_id: str) -> str:
    """``@models/Stable-diffusion/x.safetensors`` -> its path under ATELIER_MODELS_DIR."""
    if model_id.startswith(MODELS_PREFIX):
        return str(models_dir() / model_id[len(MODELS_PREFIX) :])
    return model_id


# Detection ------------------------------------------------------------------


def read_safetensors_header(path: Path) -> dict:
    """The tensor index of a .safetensors file: name -> {dtype, shape, data_offsets}.

    Reads only the header, and checks that the file is as long as the header
    says, so a truncated download is caught here rather than half-way through
    loading.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise CheckpointError("the file is empty or truncated")
            (length,) = struct.unpack("<Q", head)
            if length > MAX_HEADER_BYTES or length > size - 8:
                raise CheckpointError("it is not a safetensors file, or it is truncated")
            header = json.loads(f.read(length))
    except OSError as exc:
        raise CheckpointError(f"it cannot be read ({exc.strerror or exc})") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise CheckpointError("its header is corrupt (not a safetensors file?)") from exc
    if not isinstance(header, dict):
        raise CheckpointError("its header is corrupt (not a safetensors file?)")
    header.pop("__metadata__", None)
    end = max((t.get("data_offsets", [0, 0])[1] for t in header.values()), default=0)
    if 8 + length + end > size:
        raise CheckpointError(
            f"it is truncated ({size:,} bytes of {8 + length + end:,}); download it again"
        )
    return header


def detect_architecture(keys) -> str:
    """sd15, sd2 or sdxl from a checkpoint's key names (original SD layout)."""
    keys = set(keys)
    if not any(k.startswith("model.diffusion_model.") for k in keys):
        if any(k.startswith(("down_blocks.", "lora_", "encoder.")) for k in keys):
            raise CheckpointError(
                "it is not a full checkpoint (a LoRA, VAE or UNet alone?); "
                "put LoRAs in Lora/ and VAEs in VAE/"
            )
        raise CheckpointError("its architecture is unknown (no Stable Diffusion UNet in it)")
    if any(k.startswith("conditioner.embedders.1.") for k in keys):
        return "sdxl"
    if any(k.startswith("conditioner.embedders.0.") for k in keys):
        raise CheckpointError("it looks like an SDXL refiner, which cannot make a picture alone")
    if any(k.startswith("cond_stage_model.model.") for k in keys):
        return "sd2"  # OpenCLIP text encoder
    if any(k.startswith("cond_stage_model.transformer.") for k in keys):
        return "sd15"  # CLIP ViT-L text encoder
    raise CheckpointError("its architecture is unknown (no text encoder SD 1.5, 2.x or SDXL use)")


def inspect_checkpoint(path: Path) -> str:
    """The architecture of a checkpoint file, or CheckpointError saying why not."""
    suffix = path.suffix.lower()
    if suffix == ".safetensors":
        return detect_architecture(read_safetensors_header(path))
    if suffix in (".ckpt", ".pt", ".pth"):
        if not settings.ATELIER_ALLOW_PICKLE_CHECKPOINTS:
            raise CheckpointError(
                "it is a pickle (.ckpt) file, which can run any code when loaded; convert it "
                "to .safetensors, or let staff set ATELIER_ALLOW_PICKLE_CHECKPOINTS=true for "
                "files they trust"
            )
        return detect_architecture(_pickle_keys(path))
    raise CheckpointError(f"'{suffix}' files are not checkpoints")


def _pickle_keys(path: Path) -> list[str]:
    """The keys of a trusted .ckpt, memory-mapped (its weights are not read)."""
    import torch

    try:
        data = torch.load(path, map_location="cpu", mmap=True, weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"it cannot be read as a checkpoint ({type(exc).__name__})") from exc
    data = data.get("state_dict", data) if isinstance(data, dict) else {}
    return list(data)


# Scan -------------------------------------------------------------------------


@dataclass
class ScanReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (file name, why)

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} new",
            f"{len(self.updated)} already known",
            f"{len(self.missing)} missing",
        ]
        text = "Checkpoints: " + ", ".join(parts) + "."
        for name, why in self.problems:
            text += f" {name} was skipped: {why}."
        return text


def ensure_folders() -> None:
    for name in SUBFOLDERS:
        (models_dir() / name).mkdir(parents=True, exist_ok=True)


def checkpoint_files() -> list[Path]:
    folder = models_dir() / CHECKPOINTS
    if not folder.is_dir():
        return []
    suffixes = {".safetensors", ".ckpt"}
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in suffixes and p.is_file())


def scan_models() -> ScanReport:
    """Make a preset of every usable checkpoint; disable those whose file is
    gone, unless a live GPU worker has it (in its machine's models folder)."""
    from .models import ModelPreset
    from .routing import live_model_keys

    report = ScanReport()
    seen: set[str] = set()
    known = {p.model_id: p for p in ModelPreset.objects.filter(model_id__startswith=MODELS_PREFIX)}
    for path in checkpoint_files():
        relative = path.relative_to(models_dir()).as_posix()
        try:
            architecture = inspect_checkpoint(path)
        except CheckpointError as exc:
            report.problems.append((relative, str(exc)))
            continue
        model_id = MODELS_PREFIX + relative
        seen.add(model_id)
        preset = known.get(model_id)
        if preset is None:
            if _create_preset(path, model_id, architecture):
                report.added.append(relative)
            else:
                report.updated.append(relative)  # another process's scan made it just now
        else:
            _refresh_preset(preset, architecture)
            report.updated.append(relative)
    elsewhere = live_model_keys()  # on another machine's models folder: not missing
    for model_id, preset in known.items():
        if model_id in seen or preset.key in elsewhere:
            continue
        if not preset.options.get("missing"):
            preset.options = {**preset.options, "missing": True}
            preset.enabled = False
            preset.save(update_fields=["options", "enabled"])
            report.missing.append(model_id[len(MODELS_PREFIX) :])
    return report


def _create_preset(path: Path, model_id: str, architecture: str):
    from .models import ModelPreset

    label, pipeline, defaults = ARCHITECTURES[architecture]
    # Web processes and workers each scan once: a preset made meanwhile is kept.
    if ModelPreset.objects.filter(model_id=model_id).exists():
        return None
    try:
        with transaction.atomic():
            return _insert_preset(path, model_id, architecture, label, pipeline, defaults)
    except IntegrityError:
        return None


def _insert_preset(path, model_id, architecture, label, pipeline, defaults):
    from .models import ModelPreset

    return ModelPreset.objects.create(
        key=_unique_key(path, model_id),
        label=f"{path.stem} ({label})"[:80],
        backend="diffusers",
        model_id=model_id,
        options={"pipeline": pipeline, "architecture": architecture},
        position=500,
        **COMMON_DEFAULTS,
        **defaults,
    )


def _refresh_preset(preset, architecture: str) -> None:
    options = dict(preset.options)
    was_missing = options.pop("missing", False)
    options["architecture"] = architecture
    options["pipeline"] = ARCHITECTURES[architecture][1]
    preset.options = options
    fields = ["options"]
    if was_missing:  # back in the folder: usable again (staff disabling leaves no flag)
        preset.enabled = True
        fields.append("enabled")
    preset.save(update_fields=fields)


def _unique_key(path: Path, model_id: str) -> str:
    from .models import ModelPreset

    base = (KEY_PREFIX + slugify(path.stem))[:40].rstrip("-")
    if not ModelPreset.objects.filter(key=base).exists():
        return base
    digest = hashlib.sha256(model_id.encode()).hexdigest()[:8]
    return f"{base[:31]}-{digest}"


_scanned = threading.Event()
_scan_lock = threading.Lock()


def scan_once() -> None:
    """Scan at the first use in this process (cheap: headers only); never raises."""
    if _scanned.is_set() or not (models_dir() / CHECKPOINTS).is_dir():
        return
    with _scan_lock:
        if _scanned.is_set():
            return
        try:
            report = scan_models()
        except Exception:
            log.exception("scanning %s failed", models_dir())
        else:
            log.info("%s", report.summary())
        _scanned.set()


def safe_name(name: str) -> bool:
    """A file name from a prompt or option: no folders, no way out of the models folder."""
    return bool(name) and not re.search(r"[\\/\x00]|^\.\.?$", name)


def model_files(subfolder: str) -> list[Path]:
    """The .safetensors files of ``Lora``, ``VAE`` or ``embeddings``, sorted."""
    folder = models_dir() / subfolder
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*.safetensors") if p.is_file())


def file_names(subfolder: str) -> list[str]:
    """The .safetensors files of ``Lora``, ``VAE`` or ``embeddings``, by the name
    a person uses: a LoRA's in <lora:name:…>, an embedding's in the prompt, a
    VAE's file name in a preset's "vae" option."""
    return [p.name if subfolder == VAE else p.stem for p in model_files(subfolder)]


def safetensors_metadata(path: Path) -> dict:
    """A .safetensors file's ``__metadata__`` (a LoRA's training notes), its
    values that hold a JSON object parsed, as A1111 reads them; {} when there
    is none, or it cannot be read, or its header is over MAX_METADATA_BYTES."""
    try:
        with path.open("rb") as f:
            head = f.read(8)
            if len(head) < 8:
                return {}
            (length,) = struct.unpack("<Q", head)
            if length > MAX_METADATA_BYTES:
                return {}
            metadata = json.loads(f.read(length)).get("__metadata__")
    except (OSError, UnicodeDecodeError, ValueError, AttributeError, RecursionError):
        return {}
    if not isinstance(metadata, dict):
        return {}
    return {key: _json_object(value) for key, value in metadata.items()}


def _json_object(value):
    if isinstance(value, str) and value.startswith("{"):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value
