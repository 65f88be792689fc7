"""The OpenAPI schema's view of each operation: drf-spectacular's, plus the
error answers every view can give without saying so itself.

- 401 on every operation: a bad or revoked token is refused before any view
  runs, even where no login is needed.
- 404 on every operation with a path parameter: no such object (or another
  person's private one), and a path that matches no route under ``/api/``
  (see ``api.errors.not_found``); and on cursor-paginated lists, for a bad cursor.
- 400 on every operation that reads a body or query parameters: a body that
  does not parse, or field errors ``{field: [message…]}``.
- 429 on every operation with a throttle: ``Retry-After`` says when to retry.

A view that documents one of these itself keeps its own."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework.pagination import CursorPagination

from .errors import ErrorSerializer

BODY_METHODS = ("POST", "PUT", "PATCH")


ERRORS = {
    "400": OpenApiResponse(
        OpenApiTypes.OBJECT,
        description="Bad input: `{field: [message…]}`, `{non_field_errors: […]}` or `{detail}`.",
    ),
    "401": OpenApiResponse(
        ErrorSerializer, description="No, or a bad, token (`Authorization: Token …`)."
    ),
    "404": OpenApiResponse(
        ErrorSerializer,
        description="No such object, or another person's private one; or a bad `cursor`.",
    ),
    "429": OpenApiResponse(
        ErrorSerializer, description="Too many requests: `Retry-After` says when to try again."
    ),
}


class AtelierAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status in self._implicit_errors():
            if status not in responses:
                responses[status] = self._get_response_for_code(
                    ERRORS[status], status, direction=direction
                )
        return responses

    def _implicit_errors(self) -> list[str]:
        statuses = ["401"]
        if self.method in BODY_METHODS or self._get_parameters():
            statuses.append("400")
        paginator = getattr(self.view, "pagination_class", None)
        if any(p["in"] == "path" for p in self._get_parameters()) or (
            paginator and issubclass(paginator, CursorPagination)
        ):
            statuses.append("404")
        if getattr(self.view, "throttle_classes", ()):
            statuses.append("429")
        return statuses
