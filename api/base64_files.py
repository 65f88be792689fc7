"""Files sent inside a JSON body: base64, or a data: URL (what browsers and
A1111's clients send), decoded for the form that checks them as uploads."""

import base64
import binascii


class NotBase64(ValueError):
    """The text is not base64 (nor a data: URL holding it)."""


def decode_base64(text: str) -> bytes:
    """The bytes of ``text``: base64 with any whitespace, or a data: URL."""
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        return base64.b64decode("".join(text.split()).encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise NotBase64(str(exc)) from exc
