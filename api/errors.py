"""How the API says no: field errors of a form, the body of a plain error
for the schema, the 404 of a path that matches no route, and a body too
large to read."""

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.template.defaultfilters import filesizeformat
from django.views.defaults import page_not_found
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .parsers import limit_of

TOO_MANY = OpenApiResponse(description="Too many requests: `Retry-After` says when to try again.")


def form_errors(form) -> dict:
    """A Django form's errors as DRF writes a serializer's: each field's
    messages, and the form's own under ``non_field_errors``."""
    errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
    if "__all__" in errors:
        errors["non_field_errors"] = errors.pop("__all__")
    return errors


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


def not_found(request, exception):
    """JSON under ``/api/`` (a path that matches no route there, such as
    ``/api/v1/images/abc/``, is still an API answer), the page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def exception_handler(exc, context):
    """DRF's, and a body over its limit (api.parsers.limit_of: a picture sent
    as base64 in JSON, say) as a JSON 413: Django would answer its HTML 400 page."""
    if isinstance(exc, RequestDataTooBig):
        largest = filesizeformat(limit_of(exc))
        return Response(
            {
                "detail": f"The request body is larger than {largest}. Send a large "
                "picture as a file in a multipart request instead."
            },
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    return drf_exception_handler(exc, context)
