"""The 404 answer: JSON under ``/api/`` (a path that matches no route there,
such as ``/api/v1/images/abc/``, is still an API answer), the page elsewhere."""

from django.http import JsonResponse
from django.views.defaults import page_not_found


def not_found(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)
