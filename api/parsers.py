"""The JSON parsers of every endpoint (the API's and the facades'): DRF's,
refusing a body nested deeper than MAX_DEPTH with a 400 (each facade writes it
in its own error shape) instead of a RecursionError further on; and, for the
endpoints that take pictures in base64, the same with a larger body."""

import io

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
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


class BodyTooBig(RequestDataTooBig):
    """A body over ``limit`` bytes (api.errors answers 413 naming it)."""

    def __init__(self, limit: int):
        super().__init__(f"Request body exceeded {limit} bytes.")
        self.limit = limit


def limit_of(exc: RequestDataTooBig) -> int:
    """The limit a body went over: a BodyTooBig's own, else Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE (every other body's)."""
    return getattr(exc, "limit", settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def picture_body_limit() -> int:
    """The largest JSON body that may carry a picture in base64: the largest
    upload (ATELIER_MAX_UPLOAD_BYTES) as base64 (4 bytes for 3), and 1 MB for
    the rest of the request."""
    return settings.ATELIER_MAX_UPLOAD_BYTES * 4 // 3 + 1024 * 1024


class PictureJSONParser(parsers.BaseParser):
    """JSON with pictures in base64 (A1111's ``init_images``, the REST API's
    ``init_upload``), up to ``picture_body_limit()``: a picture as large as
    the upload form takes. Every other body stops at DATA_UPLOAD_MAX_MEMORY_SIZE
    (5 MB), which DRF applies to its own JSONParser by reading request.body;
    this one reads the request's stream itself, no further than its limit."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = picture_body_limit()
        content = stream.read(limit + 1)
        if len(content) > limit:
            raise BodyTooBig(limit)
        return JSONParser().parse(io.BytesIO(content), media_type, parser_context)
