"""JSON found in a file's metadata, read defensively: it was written by anyone."""

from __future__ import annotations

import json
import re
from typing import Any

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class Unreadable(ValueError):
    """Metadata that is not what its key promises (broken JSON, the wrong shape)."""


def load_object(text: str) -> dict:
    """``text`` as a JSON object, or raise Unreadable.

    NaN and Infinity are refused (no database's JSON takes them); nesting deep enough
    to exhaust the stack is refused, not crashed on.
    """
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise Unreadable(str(error)[:200]) from error
    if not isinstance(value, dict):
        raise Unreadable("not a JSON object")
    return value


def text(value: Any) -> str | None:
    """A string value without lone surrogates (no UTF-8 writer takes them); else None."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    return None


def number(value: Any) -> int | float | None:
    """A number, from a number or a numeric string ("123"); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and len(value) <= 32:
        try:
            return int(value)  # exactly: a 64-bit seed does not survive a float
        except ValueError:
            pass
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")
