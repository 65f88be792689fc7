"""A tiny random-weight Stable Diffusion pipeline, built offline.

The pictures it makes are noise, but it is a real diffusers folder: the same
loading, scheduling, callback and decoding code runs on it as on SDXL. Tests
and the offline demo use it; nothing is downloaded.

Everything is made here: the UNet, a 2-block VAE, a 3-layer CLIP text model
and a byte-level BPE tokenizer whose vocabulary is generated from a word list.
The torch seed is fixed, so every build writes the same weights.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch, diffusers and transformers load only when a build is needed
    from diffusers import (
        AutoencoderKL,
        StableDiffusionPipeline,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTokenizer

TINY_MODEL_VERSION = 1

# Written next to model_index.json; a folder with the same marker is not rebuilt.
MARKER_FILE = "atelier-tiny.json"

# Building seeds torch's global generator: one build at a time per process.
_build_lock = threading.Lock()

SEED = 0
HIDDEN = 32
MAX_TOKENS = 77
BOS, EOS = "<|startoftext|>", "<|endoftext|>"

# Words that become single tokens, so that prompts do not spell out letter by
# letter. Anything else still tokenizes (byte-level BPE has no unknown bytes).
WORDS = (
    "a an the of and with in on at by for to from portrait photo painting drawing "
    "sketch render cat dog bird horse fox owl fish tree forest mountain river lake "
    "sea ocean sky cloud sun moon star city street house castle tower bridge car "
    "ship robot dragon knight wizard woman man girl boy face eyes hair flower rose "
    "garden field snow rain night day light dark red green blue yellow white black "
    "gold silver purple orange pink golden hour sunset sunrise beautiful detailed "
    "highly cinematic lighting digital art oil watercolor style studio quality "
    "masterpiece best high resolution 4k 8k sharp focus blurry ugly low bad"
).split()


def build_tiny_pipeline(path: str | Path, *, sdxl: bool = False, overwrite: bool = False) -> Path:
    """Build the tiny pipeline into ``path`` and return it.

    The folder appears whole or not at all: it is saved into a temporary
    folder beside the target and renamed into place. A folder already built
    by this version (same variant) is kept unless ``overwrite`` is set.
    """
    target = Path(path).expanduser().resolve()
    if not overwrite and is_current_build(target, sdxl=sdxl):
        return target

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the web and worker users both read it
    try:
        with _build_lock:
            pipe = _make_pipeline(sdxl=sdxl)
        pipe.save_pretrained(staging, safe_serialization=True)
        marker = {"version": TINY_MODEL_VERSION, "sdxl": sdxl}
        (staging / MARKER_FILE).write_text(json.dumps(marker))
        _move_into_place(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def is_current_build(folder: str | Path, *, sdxl: bool = False) -> bool:
    """Whether ``folder`` holds this version's build (cheap: reads one small file)."""
    folder = Path(folder)
    try:
        marker = json.loads((folder / MARKER_FILE).read_text())
    except (OSError, ValueError):
        return False
    return marker == {"version": TINY_MODEL_VERSION, "sdxl": sdxl}


def _move_into_place(staging: Path, target: Path) -> None:
    """Rename ``staging`` to ``target``, replacing an older folder if any."""
    try:
        os.rename(staging, target)
        return
    except OSError:
        if not target.exists():
            raise
    # An older build (or a concurrent one) is there: move it aside, then swap.
    # Readers may briefly find no folder, never half of one.
    retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    try:
        os.rename(target, retired / "pipeline")
    except FileNotFoundError:
        pass  # another builder moved it first
    try:
        os.rename(staging, target)
    except OSError:
        if not target.exists():
            raise  # a concurrent builder won the race otherwise; its folder is as good
    finally:
        shutil.rmtree(retired, ignore_errors=True)


def _make_pipeline(*, sdxl: bool) -> StableDiffusionPipeline | StableDiffusionXLPipeline:
    import torch
    from diffusers import (
        EulerAncestralDiscreteScheduler,
        StableDiffusionPipeline,
        StableDiffusionXLPipeline,
    )
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        tokenizer = make_tokenizer()
        vae = _make_vae(scaling_factor=0.13025 if sdxl else 0.18215)
        scheduler = EulerAncestralDiscreteScheduler(
            beta_start=0.00085,
            beta_end=0.012,
            beta_schedule="scaled_linear",
            steps_offset=1,
            timestep_spacing="leading",
        )
        if not sdxl:
            return StableDiffusionPipeline(
                vae=vae,
                text_encoder=CLIPTextModel(_text_config(tokenizer)),
                tokenizer=tokenizer,
                unet=_make_unet(cross_attention_dim=HIDDEN),
                scheduler=scheduler,
                safety_checker=None,
                feature_extractor=None,
                requires_safety_checker=False,
            )
        return StableDiffusionXLPipeline(
            vae=vae,
            text_encoder=CLIPTextModel(_text_config(tokenizer)),
            text_encoder_2=CLIPTextModelWithProjection(_text_config(tokenizer)),
            tokenizer=tokenizer,
            tokenizer_2=tokenizer,
            unet=_make_unet(cross_attention_dim=2 * HIDDEN, text_time=True),
            scheduler=scheduler,
            add_watermarker=False,
        )


def make_tokenizer() -> CLIPTokenizer:
    """A CLIP byte-level BPE tokenizer over a small generated vocabulary."""
    from transformers import CLIPTokenizer

    from .clip_vocab import byte_alphabet

    alphabet = byte_alphabet()
    vocab: dict[str, int] = {}
    for token in alphabet + [ch + "</w>" for ch in alphabet]:
        vocab.setdefault(token, len(vocab))

    merges: list[tuple[str, str]] = []
    for word in WORDS:
        # Merge each word left to right: ("c","a") -> "ca", ("ca","t</w>") -> "cat</w>".
        pieces = list(word[:-1]) + [word[-1] + "</w>"]
        merged = pieces[0]
        for piece in pieces[1:]:
            pair = (merged, piece)
            merged += piece
            if pair not in merges:
                merges.append(pair)
                vocab.setdefault(merged, len(vocab))

    # Special tokens last, so that EOS has the highest id (CLIP pools at argmax).
    vocab[BOS] = len(vocab)
    vocab[EOS] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=MAX_TOKENS)


def _text_config(tokenizer: CLIPTokenizer) -> CLIPTextConfig:
    from transformers import CLIPTextConfig

    return CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=HIDDEN,
        intermediate_size=37,
        num_hidden_layers=3,
        num_attention_heads=4,
        max_position_embeddings=MAX_TOKENS,
        projection_dim=HIDDEN,
        hidden_act="gelu",
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )


def _make_unet(*, cross_attention_dim: int, text_time: bool = False) -> UNet2DConditionModel:
    from diffusers import UNet2DConditionModel

    extra = {}
    if text_time:
        time_dim = 8
        extra = {
            "addition_embed_type": "text_time",
            "addition_time_embed_dim": time_dim,
            # pooled text embedding + 6 size/crop numbers, each embedded in time_dim
            "projection_class_embeddings_input_dim": HIDDEN + 6 * time_dim,
            "transformer_layers_per_block": (1, 2),
            "use_linear_projection": True,
        }
    return UNet2DConditionModel(
        sample_size=32,
        in_channels=4,
        out_channels=4,
        block_out_channels=(32, 64),
        layers_per_block=2,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        cross_attention_dim=cross_attention_dim,
        norm_num_groups=32,
        **extra,
    )


def _make_vae(*, scaling_factor: float) -> AutoencoderKL:
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        block_out_channels=(32, 64),
        latent_channels=4,
        norm_num_groups=32,
        sample_size=64,
        scaling_factor=scaling_factor,
    )


def build_tiny_taesd(path: str | Path) -> Path:
    """A TAESD (``AutoencoderTiny``) for the tiny pipeline's latent space, with
    random weights, saved in the diffusers layout into ``path``: its decoder
    scales latents up 2x, as the tiny VAE does (the real ones 8x)."""
    import torch
    from diffusers import AutoencoderTiny

    torch.manual_seed(0)
    taesd = AutoencoderTiny(
        encoder_block_out_channels=(8, 8),
        decoder_block_out_channels=(8, 8),
        num_encoder_blocks=(1, 1),
        num_decoder_blocks=(1, 1),
        latent_channels=4,
    )
    taesd.save_pretrained(path)
    return Path(path)
