"""LoRAs and textual inversions, the AUTOMATIC1111 way.

In a prompt, ``<lora:name:0.8>`` applies ``Lora/name.safetensors`` at weight
0.8 (1 when the weight is left out); an embedding in ``embeddings/`` is used
wherever its file name appears in the prompt or negative prompt. The tags stay
in the stored prompt (so Remix brings them back) and are taken out of the text
the model reads.

``resolve_extras`` (run before the job reaches the engine) finds the files and
their A1111 short hashes, so that a missing LoRA fails the job before anything
loads; ``apply_extras`` (in the engine, on a loaded pipeline) loads them as
diffusers adapters, keeps them loaded for the next job, and sets each job's
weights. Pure Python: no Django here.
"""

from __future__ import annotations

import hashlib
import logging
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

from .base import BackendError, ModelUnavailable

log = logging.getLogger(__name__)

LORA_TAG = re.compile(r"<lora:([^:>]+)(?::([^:>]*))?(?::[^>]*)?>", re.IGNORECASE)
MAX_LOADED_ADAPTERS = 8


@dataclass(frozen=True)
class LoraTag:
    name: str
    weight: float


def parse_lora_tags(prompt: str) -> tuple[str, list[LoraTag]]:
    """The prompt without its ``<lora:…>`` tags, and the tags (the last of a name wins)."""
    tags: dict[str, LoraTag] = {}
    for match in LORA_TAG.finditer(prompt):
        name, weight = match[1].strip(), (match[2] or "").strip()
        try:
            value = float(weight) if weight else 1.0
        except ValueError:
            raise BackendError(
                f"The weight in {match[0]} is not a number; write it like <lora:{name}:0.8>."
            ) from None
        tags[name] = LoraTag(name, value)
    clean = re.sub(r"\s{2,}", " ", LORA_TAG.sub("", prompt)).strip(" ,")
    return clean, list(tags.values())


# Before the engine: find the files ----------------------------------------------


def resolve_extras(prompt: str, negative_prompt: str, models_dir: Path) -> dict:
    """The LoRAs and embeddings a prompt uses, as preset options for the engine:
    ``{"loras": [{name, path, weight, hash}], "embeddings": [{name, path, hash}]}``."""
    _, tags = parse_lora_tags(prompt)
    loras = []
    for tag in tags:
        path = _find(models_dir / "Lora", tag.name)
        if path is None:
            other = [p for p in (models_dir / "Lora").glob(f"{glob_escape(tag.name)}.*")]
            if other:
                raise ModelUnavailable(
                    f"The LoRA '{tag.name}' is a {other[0].suffix} file; only .safetensors "
                    "LoRAs are used (other formats are pickles that can run code)."
                )
            raise ModelUnavailable(
                f"The LoRA '{tag.name}' is not in the models folder's Lora/ folder. Check the "
                f"name in <lora:{tag.name}:…>, or ask staff to add the file."
            )
        loras.append(
            {"name": tag.name, "path": str(path), "weight": tag.weight, "hash": addnet_hash(path)}
        )
    text = f"{prompt}\n{negative_prompt}"
    embeddings = [
        {"name": path.stem, "path": str(path), "hash": file_hash(path)}
        for path in _files(models_dir / "embeddings")
        if re.search(rf"(?<![\w-]){re.escape(path.stem)}(?![\w-])", text)
    ]
    return {"loras": loras, "embeddings": embeddings}


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*.safetensors") if p.is_file())


def _find(folder: Path, name: str) -> Path | None:
    files = _files(folder)
    exact = [p for p in files if p.stem == name]
    loose = [p for p in files if p.stem.lower() == name.lower()]
    return (exact or loose or [None])[0]


_hashes: dict[tuple, str] = {}  # (path, size, mtime) -> short hash: a LoRA is hashed once


def _cached(function):
    def hashed(path: Path) -> str:
        stat = path.stat()
        key = (function.__name__, str(path), stat.st_size, stat.st_mtime_ns)
        if key not in _hashes:
            _hashes[key] = function(path)
        return _hashes[key]

    return hashed


@_cached
def addnet_hash(path: Path) -> str:
    """A1111's LoRA short hash: sha256 of the tensors after the safetensors header, 12 hex."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            (length,) = struct.unpack("<Q", f.read(8))
            f.seek(8 + length)
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except (OSError, struct.error) as exc:
        raise ModelUnavailable(f"The LoRA file '{path.name}' cannot be read.") from exc
    return digest.hexdigest()[:12]


@_cached
def file_hash(path: Path) -> str:
    """A1111's embedding short hash: sha256 of the whole file, 12 hex."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()[:12]


def recipe_hashes(options: dict) -> dict:
    """Recipe keys as A1111 writes them: ``Lora hashes: "name: hash, …"``, ``TI hashes``."""
    recipe = {}
    if loras := options.get("loras"):
        recipe["lora_hashes"] = ", ".join(f"{x['name']}: {x['hash']}" for x in loras)
    if embeddings := options.get("embeddings"):
        recipe["ti_hashes"] = ", ".join(f"{x['name']}: {x['hash']}" for x in embeddings)
    return recipe


# In the engine: apply them to a loaded pipeline ------------------------------------


@dataclass
class Extras:
    """What is loaded into one pipeline: adapter name -> LoRA hash, token -> embedding hash."""

    adapters: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)


def apply_extras(pipe, extras: Extras, prompt: str, options: dict) -> str:
    """Load and weight this job's LoRAs and embeddings; return the prompt the model reads."""
    clean, tags = parse_lora_tags(prompt)
    loras = {x["name"]: x for x in options.get("loras") or []}
    for tag in tags:
        if tag.name not in loras:
            raise ModelUnavailable(f"The LoRA '{tag.name}' was not found for this job.")
    for embedding in options.get("embeddings") or []:
        _load_embedding(pipe, extras, embedding)
    names, weights = [], []
    for tag in tags:
        lora = loras[tag.name]
        names.append(_load_lora(pipe, extras, lora))
        weights.append(tag.weight)
    if names:
        pipe.enable_lora()
        pipe.set_adapters(names, adapter_weights=weights)
    elif extras.adapters:
        pipe.disable_lora()
    return clean


def _load_lora(pipe, extras: Extras, lora: dict) -> str:
    adapter = f"lora_{lora['hash']}"
    if adapter in extras.adapters:
        return adapter
    if not Path(lora["path"]).is_file():
        raise ModelUnavailable(f"The LoRA '{lora['name']}' is no longer in the Lora/ folder.")
    if len(extras.adapters) >= MAX_LOADED_ADAPTERS:
        pipe.delete_adapters(list(extras.adapters))
        extras.adapters.clear()
    try:
        pipe.load_lora_weights(lora["path"], adapter_name=adapter)
        loaded = any(adapter in names for names in pipe.get_list_adapters().values())
    except Exception as exc:
        _forget_adapter(pipe, adapter)
        raise ModelUnavailable(
            f"The LoRA '{lora['name']}' does not fit this model; it was probably made for "
            "another architecture (SD 1.5, SD 2.x or SDXL)."
        ) from _logged(exc)
    if not loaded:
        _forget_adapter(pipe, adapter)
        raise ModelUnavailable(
            f"The LoRA '{lora['name']}' changes nothing in this model; it was probably made "
            "for another architecture (SD 1.5, SD 2.x or SDXL)."
        )
    extras.adapters[adapter] = lora["hash"]
    return adapter


def _forget_adapter(pipe, adapter: str) -> None:
    """Take a half-loaded adapter out again, so the pipeline serves the next job."""
    try:
        pipe.delete_adapters(adapter)
    except Exception:
        pass


def _load_embedding(pipe, extras: Extras, embedding: dict) -> None:
    token, digest = embedding["name"], embedding["hash"]
    if extras.tokens.get(token) == digest:
        return
    if token in extras.tokens:  # the file changed: load the new one
        _unload_embedding(pipe, token)
        del extras.tokens[token]
    from safetensors.torch import load_file

    if not Path(embedding["path"]).is_file():
        raise ModelUnavailable(f"The embedding '{token}' is no longer in the embeddings/ folder.")
    try:
        state = load_file(embedding["path"])
        if "clip_l" in state and hasattr(pipe, "text_encoder_2"):  # an SDXL embedding
            pipe.load_textual_inversion(
                state["clip_l"], token=token, text_encoder=pipe.text_encoder,
                tokenizer=pipe.tokenizer,
            )  # fmt: skip
            pipe.load_textual_inversion(
                state["clip_g"], token=token, text_encoder=pipe.text_encoder_2,
                tokenizer=pipe.tokenizer_2,
            )  # fmt: skip
        else:
            pipe.load_textual_inversion(state, token=token)
    except Exception as exc:
        raise ModelUnavailable(
            f"The embedding '{token}' cannot be used with this model; it was probably made "
            "for another architecture."
        ) from _logged(exc)
    extras.tokens[token] = digest


def _unload_embedding(pipe, token: str) -> None:
    """Take out a token and its extra vectors (``token_1``, ``token_2``…), from
    each tokenizer of the pipeline."""
    pairs = [(pipe.tokenizer, pipe.text_encoder)]
    if getattr(pipe, "tokenizer_2", None) is not None:
        pairs.append((pipe.tokenizer_2, pipe.text_encoder_2))
    vector = re.compile(rf"{re.escape(token)}(_\d+)?")
    for tokenizer, text_encoder in pairs:
        added = [t for t in tokenizer.get_added_vocab() if vector.fullmatch(t)]
        if added:
            pipe.unload_textual_inversion(added, tokenizer=tokenizer, text_encoder=text_encoder)


def _logged(exc: BaseException) -> BaseException:
    """The library's own words (they may name server paths) go to the log only."""
    log.warning("extra network refused: %s", exc)
    return exc
