"""Generation recipes inside image files, readable by AUTOMATIC1111 and its kin.

A recipe is a dict: prompt, negative_prompt, model, sampler, steps, cfg_scale, seed,
width, height, backend, and any other keys a backend wants to remember.

Atelier writes two PNG text chunks:

* ``parameters`` — A1111's "infotext": the prompt, a ``Negative prompt:`` line and one
  line of ``Key: value`` pairs. A1111, Forge, ComfyUI loaders, Civitai… all read it.
  It is a tEXt chunk, or iTXt when the text is not Latin-1 (as A1111 itself does).
* ``atelier`` — an iTXt chunk with the whole recipe as UTF-8 JSON, which loses nothing.

JPEG and WebP carry the infotext in the EXIF UserComment, as A1111 writes them.
"""

from __future__ import annotations

import io
import json
import re
import struct
import zlib
from typing import Any, BinaryIO

from PIL import Image, PngImagePlugin

PARAMETERS_KEY = "parameters"
RECIPE_KEY = "atelier"

NEGATIVE_PROMPT_PREFIX = "Negative prompt:"

# A1111 name of each core recipe key, in the order A1111 writes them.
_A1111_NAMES = {
    "steps": "Steps",
    "sampler": "Sampler",
    "cfg_scale": "CFG scale",
    "seed": "Seed",
    # width and height are written together as "Size: WxH"
    "model": "Model",
    "backend": "Backend",
}
_RECIPE_KEYS_BY_A1111_NAME = {name: key for key, name in _A1111_NAMES.items()}
_INT_KEYS = {"steps", "seed", "width", "height"}
_FLOAT_KEYS = {"cfg_scale"}
# Values that look like numbers but are identifiers.
_KEEP_AS_TEXT = re.compile(r"(hash|version|name)$")
_WRITTEN_APART = {"prompt", "negative_prompt", "width", "height"}

_SIZE = re.compile(r"(\d+)x(\d+)")
_INT = re.compile(r"[-+]?\d+")
_FLOAT = re.compile(r"[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?|[-+]?\d+[eE][-+]?\d+")
_A1111_KEY = re.compile(r"\w[\w \-/]*")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

_JSON_DECODER = json.JSONDecoder()

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MAX_TEXT_BYTES = 1 << 20  # a recipe is a few KB; refuse to inflate text chunks past this

_EXIF_IFD = 0x8769
_USER_COMMENT = 0x9286


# --- A1111 infotext -----------------------------------------------------------------------


def format_parameters(recipe: dict) -> str:
    """Write a recipe as A1111's ``parameters`` text.

    >>> format_parameters({"prompt": "a cat", "steps": 30, "seed": 1, "cfg_scale": 7.5})
    'a cat\\nSteps: 30, CFG scale: 7.5, Seed: 1'
    """
    lines = [str(recipe.get("prompt") or "")]
    negative_prompt = recipe.get("negative_prompt")
    if negative_prompt:
        lines.append(f"{NEGATIVE_PROMPT_PREFIX} {negative_prompt}")

    pairs: list[tuple[str, Any]] = []
    for key, name in _A1111_NAMES.items():
        if key == "model" and _has(recipe, "width") and _has(recipe, "height"):
            pairs.append(("Size", f"{recipe['width']}x{recipe['height']}"))
        if _has(recipe, key):
            pairs.append((name, _quote(_format_value(recipe[key]))))
    for key, value in recipe.items():
        if key in _A1111_NAMES or key in _WRITTEN_APART:
            continue
        if isinstance(value, dict) and (key == "hashes" or key.endswith("_hashes")):
            pairs.append((_a1111_name(key), _format_hashes(key, value)))
        elif _is_scalar(value):
            pairs.append((_a1111_name(key), _quote(_format_value(value))))
    if pairs:
        lines.append(", ".join(f"{name}: {value}" for name, value in pairs))
    return "\n".join(lines)


def _format_hashes(key: str, hashes: dict) -> str:
    """``Hashes`` as Civitai writes it (a JSON object), ``Lora hashes`` as A1111 does."""
    if key == "hashes":
        return json.dumps(hashes, ensure_ascii=False)
    return _quote(", ".join(f"{name}: {hash_}" for name, hash_ in hashes.items()))


def parse_parameters(text: str) -> dict:
    """Read A1111's ``parameters`` text into a recipe.

    Core keys get Atelier's names and types (``Size: 512x768`` becomes width and height);
    other keys are kept under their A1111 name in snake_case (``Model hash`` →
    ``model_hash``), numbers as numbers.
    """
    lines = text.strip().replace("\r\n", "\n").split("\n")
    settings: list[tuple[str, str]] = []
    if lines and _looks_like_settings(_split_settings(lines[-1])):
        settings = _split_settings(lines.pop())

    prompt_lines: list[str] = []
    negative_lines: list[str] = []
    for line in lines:
        stripped = line.strip()
        if not negative_lines and stripped.startswith(NEGATIVE_PROMPT_PREFIX):
            negative_lines.append(stripped[len(NEGATIVE_PROMPT_PREFIX) :].strip())
        elif negative_lines:
            negative_lines.append(stripped)
        else:
            prompt_lines.append(stripped)

    recipe: dict[str, Any] = {
        "prompt": "\n".join(prompt_lines),
        "negative_prompt": "\n".join(negative_lines),
    }
    for name, value in settings:
        if name == "Size" and (size := _SIZE.fullmatch(value)):
            recipe["width"], recipe["height"] = int(size[1]), int(size[2])
            continue
        key = _RECIPE_KEYS_BY_A1111_NAME.get(name) or _snake_case(name)
        if key == "hashes" or key.endswith("_hashes"):
            recipe[key] = _hashes(value) or value
            continue
        recipe[key] = _typed_value(key, value)
    return recipe


def infotext_fields(text: str) -> dict[str, str]:
    """A1111's ``parse_generation_parameters``: the infotext as its own names
    and texts, as A1111's ``/png-info`` answers it (``Prompt``, ``Negative
    prompt``, each ``Key: value`` pair, ``Size`` split into ``Size-1`` and
    ``Size-2``); values stay text, as A1111 leaves them."""
    lines = text.strip().replace("\r\n", "\n").split("\n")
    settings: list[tuple[str, str]] = []
    if lines and _looks_like_settings(_split_settings(lines[-1])):
        settings = _split_settings(lines.pop())
    recipe = parse_parameters("\n".join(lines))  # the prompts alone
    fields = {"Prompt": recipe["prompt"], "Negative prompt": recipe["negative_prompt"]}
    for name, value in settings:
        if size := _SIZE.fullmatch(value):
            fields[f"{name}-1"], fields[f"{name}-2"] = size[1], size[2]
        else:
            fields[name] = value
    return fields


def _looks_like_settings(pairs: list[tuple[str, str]]) -> bool:
    """A1111 takes a last line with three or more ``Key: value`` pairs for settings; so do
    we, and also a shorter line made only of the core keys (which a prompt rarely is)."""
    if len(pairs) >= 3:
        return True
    core_names = {*_RECIPE_KEYS_BY_A1111_NAME, "Size"}
    return bool(pairs) and all(name in core_names for name, _ in pairs)


def _split_settings(line: str) -> list[tuple[str, str]]:
    """Split ``Key: value, Key: "quoted, value", …`` into pairs.

    Parts that are not ``Key: value`` (A1111 writes a bare key for a flag that is on)
    are skipped. A line that is mostly not settings yields few pairs, and is then
    treated as part of the prompt by the caller, as A1111 does.
    """
    pairs = []
    position = 0
    length = len(line)
    while position < length:
        colon = line.find(":", position)
        comma = line.find(",", position)
        if colon == -1:
            break
        if comma != -1 and comma < colon:  # a bare word without a value
            position = comma + 1
            continue
        name = line[position:colon].strip()
        position = colon + 1
        while position < length and line[position] == " ":
            position += 1
        if position < length and line[position] == '"':
            value, position = _read_quoted(line, position)
        elif position < length and line[position] == "{":
            value, position = _read_json_object(line, position)
        else:
            end = line.find(",", position)
            end = length if end == -1 else end
            value = line[position:end].strip()
            position = end
        if position < length and line[position] == ",":
            position += 1
        if _A1111_KEY.fullmatch(name):
            pairs.append((name, value))
    return pairs


def _read_quoted(line: str, start: int) -> tuple[str, int]:
    """Read the JSON string starting at ``line[start] == '"'``; return it and the end."""
    position = start + 1
    while position < len(line):
        if line[position] == "\\":
            position += 2
            continue
        if line[position] == '"':
            try:
                value = json.loads(line[start : position + 1])
            except json.JSONDecodeError:
                break
            # "\ud800" decodes to a lone surrogate, which no UTF-8 writer accepts later.
            return _LONE_SURROGATE.sub("\ufffd", value), position + 1
        position += 1
    # An unterminated quote: take the rest up to the next comma, as text.
    end = line.find(",", start)
    end = len(line) if end == -1 else end
    return line[start:end].strip(), end


def _read_json_object(line: str, start: int) -> tuple[str, int]:
    """Read the JSON object starting at ``line[start] == '{'`` (Civitai's ``Hashes:
    {"model": "…", "lora:x": "…"}``) whole, commas and all; return its text and the end.
    Text that is not a JSON object is read up to the next comma, like any value."""
    try:
        _value, end = _JSON_DECODER.raw_decode(line, start)
    except (ValueError, RecursionError):
        end = line.find(",", start)
        end = len(line) if end == -1 else end
    return line[start:end].strip(), end


def _hashes(value: str) -> dict[str, str] | None:
    """``{"model": "31e35c80fc", …}`` (JSON) or ``name: hash, name: hash`` (A1111's
    ``Lora hashes``) as {name: hash}; None when it is neither."""
    if value.startswith("{"):
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            return None
        if not isinstance(parsed, dict):
            return None
        return {
            _LONE_SURROGATE.sub("\ufffd", str(name)): _LONE_SURROGATE.sub("\ufffd", str(hash_))
            for name, hash_ in parsed.items()
            if isinstance(hash_, str | int)
        }
    pairs = {}
    for part in value.split(","):
        name, colon, hash_ = part.rpartition(":")
        if not colon or not name.strip() or not hash_.strip():
            return None
        pairs[name.strip()] = hash_.strip()
    return pairs or None


def _typed_value(key: str, value: str) -> Any:
    if key in _INT_KEYS:
        return _to_int(value)
    if key in _FLOAT_KEYS:
        return float(value) if _INT.fullmatch(value) or _FLOAT.fullmatch(value) else value
    if _KEEP_AS_TEXT.search(key) or key in _RECIPE_KEYS_BY_A1111_NAME.values():
        return value
    if _INT.fullmatch(value):
        return int(value)
    if _FLOAT.fullmatch(value):
        return float(value)
    if value in ("True", "False"):
        return value == "True"
    return value


def _to_int(value: str) -> int | str:
    if _INT.fullmatch(value):
        return int(value)
    if _FLOAT.fullmatch(value) and float(value).is_integer():
        return int(float(value))  # "30.0"
    return value


def _quote(text: str) -> str:
    """A1111 quotes a value (as a JSON string) when it holds a comma, colon or newline."""
    if any(character in text for character in ",:\n"):
        return json.dumps(text, ensure_ascii=False)
    return text


def _format_value(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_A1111_SPELLING = {"ti_hashes": "TI hashes"}  # A1111 writes these in capitals


def _a1111_name(key: str) -> str:
    return _A1111_SPELLING.get(key) or key.replace("_", " ").capitalize()


def _snake_case(name: str) -> str:
    return re.sub(r"[\s\-/]+", "_", name.strip()).lower()


def _has(recipe: dict, key: str) -> bool:
    return recipe.get(key) not in (None, "")


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and value not in ("",)


# --- PNG ----------------------------------------------------------------------------------


def encode_png(image: Image.Image, recipe: dict) -> bytes:
    """Return PNG bytes of ``image`` carrying ``recipe`` (both chunks), and no other metadata.

    The same image and recipe always give the same bytes.
    """
    info = PngImagePlugin.PngInfo()
    info.add_text(PARAMETERS_KEY, format_parameters(recipe))
    info.add_itxt(RECIPE_KEY, recipe_to_json(recipe))
    return save_png(image, pnginfo=info)


def save_png(image: Image.Image, **options: Any) -> bytes:
    """Return PNG bytes of the pixels alone: no EXIF, ICC profile, dates or comments."""
    image = _png_compatible(image)
    buffer = io.BytesIO()
    # Pillow's PNG writer takes only the ICC profile and transparency from image.info
    # (EXIF, dpi and text only when passed): naming no profile writes none, without
    # copying the pixels to drop their metadata.
    # zlib level 3: a 1024² image encodes about three times faster than at the
    # default 6, for somewhat larger files (bench/RESULTS.md, "Where the overhead goes").
    image.save(buffer, format="PNG", **{"compress_level": 3, "icc_profile": None, **options})
    return buffer.getvalue()


def recipe_to_json(recipe: dict) -> str:
    return json.dumps(recipe, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _png_compatible(image: Image.Image) -> Image.Image:
    if image.mode in ("1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"):
        return image
    if image.mode in ("PA", "La", "RGBa") or "transparency" in image.info:
        return image.convert("RGBA")
    if image.mode.startswith("I;16"):
        return image.convert("I;16")
    return image.convert("RGB")


# --- Reading ------------------------------------------------------------------------------


def read_recipe(data: bytes | BinaryIO) -> dict | None:
    """Return the recipe stored in a PNG, JPEG or WebP file, or None if it has none.

    The ``atelier`` JSON chunk wins; otherwise A1111's ``parameters`` text (a PNG text
    chunk, or the EXIF UserComment of a JPEG or WebP) is parsed. Never decodes pixels.
    """
    content = _read_all(data)
    if content.startswith(_PNG_SIGNATURE):
        texts = read_png_text(content)
        if RECIPE_KEY in texts and (recipe := _recipe_from_json(texts[RECIPE_KEY])):
            return recipe
        parameters = texts.get(PARAMETERS_KEY)
    else:
        parameters = _read_exif_user_comment(content)
    if parameters and parameters.strip():
        return parse_parameters(parameters)
    return None


def _recipe_from_json(text: str) -> dict | None:
    try:
        recipe = json.loads(text, parse_constant=_refuse_constant)
        # "\ud800" parses to a lone surrogate, which no UTF-8 writer accepts later.
        json.dumps(recipe, ensure_ascii=False).encode("utf-8")
    # ValueError covers JSONDecodeError; arrays nested thousands deep exhaust the stack.
    except (ValueError, UnicodeEncodeError, RecursionError):
        return None
    return recipe if isinstance(recipe, dict) else None


def _refuse_constant(name: str) -> None:
    # NaN and Infinity are not JSON; PostgreSQL's jsonb would refuse them later.
    raise ValueError(f"{name} is not allowed in a recipe")


def read_png_text(content: bytes) -> dict[str, str]:
    """Return the tEXt, zTXt and iTXt chunks of a PNG as {keyword: text}.

    Walks the chunks itself instead of asking Pillow, which would decode the pixels to
    reach chunks written after them. Damaged files yield what could be read.
    """
    texts: dict[str, str] = {}
    position = len(_PNG_SIGNATURE)
    while position + 8 <= len(content):
        length, chunk_type = struct.unpack(">I4s", content[position : position + 8])
        body = content[position + 8 : position + 8 + length]
        position += 12 + length
        if len(body) < length or chunk_type == b"IEND":
            break
        if length > _MAX_TEXT_BYTES:
            continue
        try:
            if chunk_type == b"tEXt":
                keyword, _, text = body.partition(b"\0")
                texts[keyword.decode("latin-1")] = text.decode("latin-1")
            elif chunk_type == b"zTXt":
                keyword, _, rest = body.partition(b"\0")
                texts[keyword.decode("latin-1")] = _inflate(rest[1:]).decode("latin-1")
            elif chunk_type == b"iTXt":
                keyword, text = _parse_itxt(body)
                texts[keyword] = text
        except (ValueError, zlib.error):
            continue
    return texts


def _parse_itxt(body: bytes) -> tuple[str, str]:
    keyword, _, rest = body.partition(b"\0")
    compressed, _method = rest[0], rest[1]
    _language, _, rest = rest[2:].partition(b"\0")
    _translated_keyword, _, text = rest.partition(b"\0")
    if compressed:
        text = _inflate(text)
    return keyword.decode("latin-1"), text.decode("utf-8")


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    text = inflater.decompress(data, _MAX_TEXT_BYTES)
    if inflater.unconsumed_tail:
        raise ValueError("text chunk is too large")
    return text


def _read_exif_user_comment(content: bytes) -> str | None:
    try:
        with Image.open(io.BytesIO(content), formats=["JPEG", "WEBP"]) as image:
            comment = image.getexif().get_ifd(_EXIF_IFD).get(_USER_COMMENT)
    except (OSError, SyntaxError, ValueError, struct.error):
        return None
    if isinstance(comment, str):
        return comment
    if isinstance(comment, bytes):
        return decode_user_comment(comment)
    return None


def decode_user_comment(value: bytes) -> str:
    """Decode an EXIF UserComment: an 8-byte character-code prefix, then the text."""
    prefix, payload = value[:8], value[8:]
    if prefix == b"UNICODE\0":
        # A1111 (through piexif) writes UTF-16 big-endian, some tools little-endian: the
        # zero high bytes of Latin text tell which.
        big_endian = payload[0::2].count(0) >= payload[1::2].count(0)
        encoding = "utf-16-be" if big_endian else "utf-16-le"
        if payload[:2] in (b"\xfe\xff", b"\xff\xfe"):
            encoding = "utf-16"
        return payload.decode(encoding, errors="replace").rstrip("\0")
    if prefix in (b"ASCII\0\0\0", b"\0" * 8):
        return payload.decode("utf-8", errors="replace").rstrip("\0")
    return value.decode("utf-8", errors="replace").rstrip("\0")


def encode_user_comment(text: str) -> bytes:
    """Encode text as an EXIF UserComment the way A1111 does (UNICODE, UTF-16 big-endian)."""
    return b"UNICODE\0" + text.encode("utf-16-be")


def _read_all(data: bytes | BinaryIO) -> bytes:
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    return data.read()
