"""The one JSON parser of every endpoint (the API's and the facades'): DRF's,
refusing a body nested deeper than MAX_DEPTH with a 400 (each facade writes it
in its own error shape) instead of a RecursionError further on."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Far deeper than any request body of ours; far shallower than what recursing
# code (the decoder, the renderer, copies) can take.
MAX_DEPTH = 64
TOO_DEEP = f"JSON parse error - the body is nested deeper than {MAX_DEPTH} levels."


def depth_exceeds(data, limit: int) -> bool:
    """Whether lists and objects in ``data`` nest deeper than ``limit``
    (walked with a stack of its own, not by recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # The decoder gives up at the interpreter's recursion limit.
            raise ParseError(TOO_DEEP) from None
        if depth_exceeds(data, MAX_DEPTH):
            raise ParseError(TOO_DEEP)
        return data
