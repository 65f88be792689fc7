"""The OpenAI Images-compatible API (``/v1/images/generations``, ``/v1/models``),
so that OpenAI's client libraries work by setting only ``base_url`` and
``api_key``. Errors have OpenAI's shape and never a status a client retries
(409, 5xx) for bad input."""

from __future__ import annotations

import re
from functools import partial

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from atelier.rate_limits import GenerationThrottle
from atelier.text import validate_storable
from gallery.files import file_link
from studio.presets import default_preset_key, enabled_presets, get_preset

from ..errors import exception_handler as api_exception_handler
from . import (
    FacadeError,
    GenerationFailed,
    JobLimitReached,
    Outcome,
    TimedOut,
    image_base64,
    submit,
)
from .auth import OPENAI_AUTHENTICATION
from .waiting import AwaitingJob

RESPONSE_FORMATS = ("b64_json", "url")
# Our form's field names, as OpenAI's request calls them.
OPENAI_PARAMS = {"width": "size", "height": "size", "init_upload": "image"}


class OpenAIError(Exception):
    def __init__(
        self, message, *, status_code=400, kind="invalid_request_error", param=None, code=None
    ):
        super().__init__(message)
        self.message, self.status_code = message, status_code
        self.kind, self.param, self.code = kind, param, code

    def response(self) -> Response:
        body = {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}
        return Response({"error": body}, status=self.status_code)


def model_key(body: dict) -> str:
    model = body.get("model")
    if model is None:
        return default_preset_key()
    try:
        validate_storable(model)  # before the model is looked up in the database
    except ValidationError as error:
        raise OpenAIError(error.messages[0], param="model") from error
    if not isinstance(model, str) or get_preset(model) is None:
        raise OpenAIError(
            f"The model '{model}' does not exist or you do not have access to it.",
            status_code=status.HTTP_404_NOT_FOUND,
            param="model",
            code="model_not_found",
        )
    return model


def size_fields(body: dict) -> dict:
    size = body.get("size")
    if size is None or size == "auto":
        return {}
    match = (
        re.fullmatch(r"\s*(\d{1,5})\s*x\s*(\d{1,5})\s*", size) if isinstance(size, str) else None
    )
    if not match:
        raise OpenAIError(
            f"Invalid size {size!r}: write it as WIDTHxHEIGHT, e.g. 512x512.", param="size"
        )
    return {"width": int(match.group(1)), "height": int(match.group(2))}


def form_data(body: dict) -> dict:
    prompt = body.get("prompt")
    if prompt is None or prompt == "":
        raise OpenAIError("Missing required parameter: 'prompt'.", param="prompt")
    if not isinstance(prompt, str):
        raise OpenAIError("Invalid type for 'prompt': expected a string.", param="prompt")
    n = body.get("n")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int)):
        raise OpenAIError("Invalid type for 'n': expected an integer.", param="n")
    data = {"prompt": prompt, "model": model_key(body), **size_fields(body)}
    if n is not None:
        data["n"] = n
    return data


def response_format(body: dict) -> str:
    wanted = body.get("response_format") or "url"
    if wanted not in RESPONSE_FORMATS:
        raise OpenAIError(
            f"Invalid value {wanted!r} for 'response_format': use 'b64_json' or 'url'.",
            param="response_format",
        )
    return wanted


def start_generation(user, body: dict):
    """Validate and queue the caller's request: its job. Raises OpenAIError."""
    data = form_data(body)
    response_format(body)
    return queued(user, data)


def queued(user, data: dict, files=None, *, prompt_required=True):
    """``data`` (GenerationForm's terms, ``files`` its files) queued as the
    caller's job. Raises OpenAIError, naming OpenAI's parameter."""
    try:
        return submit(user, data, files, prompt_required=prompt_required)
    except FacadeError as error:
        raise OpenAIError(
            error.message, param=OPENAI_PARAMS.get(error.field, error.field)
        ) from error
    except JobLimitReached as exc:
        raise OpenAIError(
            str(exc),
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            kind="requests",
            code="rate_limit_exceeded",
        ) from exc


def generations(request, body: dict, outcome: Outcome) -> dict:
    """The answer of OpenAI's Images API, once the caller's job has finished."""
    wanted = response_format(body)
    try:
        finished = outcome.finished()
    except GenerationFailed as exc:
        raise OpenAIError(str(exc), status_code=500, kind="server_error") from exc
    except TimedOut as exc:
        raise OpenAIError(str(exc), status_code=504, kind="server_error", code="timeout") from exc
    if not finished.images:
        raise OpenAIError("The generation was cancelled.", code="generation_cancelled")
    prompt = finished.request["prompt"]
    revised = {"revised_prompt": prompt} if prompt else {}  # none: a variation without one
    if wanted == "b64_json":
        data = [{"b64_json": image_base64(image), **revised} for image in finished.images]
    else:
        data = [
            {
                # Opens without a session, for an hour (generated images are private).
                "url": request.build_absolute_uri(file_link(image)),
                **revised,
            }
            for image in finished.images
        ]
    return {"created": int(finished.job.created.timestamp()), "data": data}


def models() -> dict:
    created = int(timezone.now().timestamp())
    return {
        "object": "list",
        "data": [
            {"id": preset.key, "object": "model", "created": created, "owned_by": "atelier"}
            for preset in enabled_presets()
        ],
    }


def _openai_exceptions(exc, context):
    """Every DRF error (authentication, parsing, methods) in OpenAI's shape,
    and a body too large to read (api.errors) as its 413."""
    if isinstance(exc, RequestDataTooBig):
        (detail,) = api_exception_handler(exc, context).data.values()
        return OpenAIError(detail, status_code=413).response()
    if not isinstance(exc, exceptions.APIException):
        return None
    kinds = {
        401: ("invalid_request_error", "invalid_api_key"),
        429: ("requests", "rate_limit_exceeded"),
    }
    status_code = (
        401
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed)
        else exc.status_code
    )
    kind, code = kinds.get(status_code, ("invalid_request_error", None))
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    response = OpenAIError(str(detail), status_code=status_code, kind=kind, code=code).response()
    if status_code == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    if getattr(exc, "wait", None):
        response["Retry-After"] = str(int(exc.wait))
    return response


class OpenAIView(APIView):
    schema = None  # A third party's wire format, not in our OpenAPI schema
    authentication_classes = OPENAI_AUTHENTICATION
    permission_classes = [IsAuthenticated]

    def get_exception_handler(self):
        return _openai_exceptions


class ImageGenerations(OpenAIView):
    throttle_classes = [GenerationThrottle]  # 429 rate_limit_exceeded, with Retry-After

    def post(self, request):
        if not isinstance(request.data, dict):
            return OpenAIError("The body must be a JSON object.").response()
        try:
            job = start_generation(request.user, request.data)
        except OpenAIError as error:
            return error.response()
        return AwaitingJob(job, partial(generations_response, request, request.data))


def generations_response(request, body: dict, outcome: Outcome) -> Response:
    try:
        return Response(generations(request, body, outcome))
    except OpenAIError as error:
        return error.response()


class Models(OpenAIView):
    def get(self, request):
        return Response(models())
