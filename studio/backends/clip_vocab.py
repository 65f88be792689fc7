"""The CLIP tokenizer's files, made offline from the BPE merges bundled here.

SD 1.5, SD 2.x and SDXL all tokenize prompts with CLIP's byte-level BPE (the
same 49,408-token vocabulary; only the padding token differs). A single-file
checkpoint carries no tokenizer, so ``base_configs/clip-bpe-merges.txt.gz``
holds the 48,894 merges CLIP uses: the head of OpenAI's
``bpe_simple_vocab_16e6.txt`` (MIT licence, see ``base_configs/NOTICE``), as
the ``open_clip_torch`` package ships it. ``vocab.json`` follows from them:
the 256 byte symbols, the same with the end-of-word mark, one token per merge,
then the start and end tokens.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path

MERGES_FILE = Path(__file__).parent / "base_configs" / "clip-bpe-merges.txt.gz"
BOS, EOS = "<|startoftext|>", "<|endoftext|>"
VOCAB_SIZE = 49408
MERGES = VOCAB_SIZE - 2 * 256 - 2  # what is left after the byte symbols and the two specials


@cache
def merges() -> tuple[str, ...]:
    """The bundled merges, one "left right" pair a line, in rank order."""
    with gzip.open(MERGES_FILE, "rt", encoding="utf-8") as f:
        lines = tuple(line for line in f.read().split("\n") if line)
    if len(lines) != MERGES:
        raise ValueError(f"{MERGES_FILE.name} holds {len(lines)} merges, not {MERGES}")
    return lines


def vocabulary() -> dict[str, int]:
    """CLIP's token ids: byte symbols, byte symbols ending a word, merges, specials."""
    alphabet = byte_alphabet()
    tokens = alphabet + [symbol + "</w>" for symbol in alphabet]
    tokens += [pair.replace(" ", "") for pair in merges()]
    tokens += [BOS, EOS]
    return {token: index for index, token in enumerate(tokens)}


def write_tokenizer(folder: Path, *, pad_token: str = EOS) -> Path:
    """vocab.json and merges.txt into ``folder`` (a transformers CLIPTokenizer
    folder; its tokenizer_config.json comes with the base configs)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocabulary(), ensure_ascii=False))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges()) + "\n")
    return folder


def byte_alphabet() -> list[str]:
    """GPT-2/CLIP's reversible map of the 256 bytes onto printable characters."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAC + 1), *range(0xAE, 0xFF + 1)]
    chars = list(printable)
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return [chr(c) for c in chars]
