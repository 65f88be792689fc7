"""Answering with a stored file (an image, a thumbnail, a preview, an avatar,
a topic's cover) once a view has decided who may see it: sent from the local
folder, handed to nginx to send (``ATELIER_ACCEL_REDIRECT``), or a redirect
to a short-lived signed URL on S3."""

from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header

# How long a file's answer may be kept. A public image's may be made private
# at any moment: a shared cache (a CDN, a proxy) keeps serving what it stored
# to everyone until it expires, so it may keep it a minute only; a viewer's
# own browser, which has the picture already, an hour (docs/decisions.md).
PRIVATE_CACHE = "private, max-age=3600"
PUBLIC_CACHE = "public, max-age=3600, s-maxage=60"


def file_response(name: str, content_type: str, *, attachment_name=None, private=True):
    if not is_local(default_storage):
        return _signed_redirect(name, content_type, attachment_name)
    if settings.ATELIER_ACCEL_REDIRECT:
        response = _handed_to_nginx(name, content_type, attachment_name)
    else:
        response = FileResponse(
            default_storage.open(name, "rb"),
            content_type=content_type,
            as_attachment=attachment_name is not None,
            filename=attachment_name or "",
        )
    response["Cache-Control"] = PRIVATE_CACHE if private else PUBLIC_CACHE
    response["X-Content-Type-Options"] = "nosniff"
    return response


def content_response(content: bytes, content_type: str, *, attachment_name=None, private=True):
    """Answer with bytes made for this request (a file without its recipe,
    gallery.recipe_sharing) rather than the stored file as it is: they go
    through the web process whatever the storage."""
    response = HttpResponse(content, content_type=content_type)
    if attachment_name is not None:
        response["Content-Disposition"] = content_disposition_header(True, attachment_name)
    response["Cache-Control"] = PRIVATE_CACHE if private else PUBLIC_CACHE
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _signed_redirect(name: str, content_type: str, attachment_name) -> HttpResponse:
    """S3 and friends: a redirect to a presigned URL that opens the object for
    ATELIER_S3_URL_SECONDS, never a public one; the object is private in the
    bucket. The browser may keep the redirect (and so reuse the URL whose
    picture it has cached) for half that time, and no shared cache may."""
    parameters = {"ResponseContentType": content_type}
    if attachment_name is not None:
        parameters["ResponseContentDisposition"] = content_disposition_header(True, attachment_name)
    response = HttpResponseRedirect(default_storage.url(name, parameters=parameters))
    response["Cache-Control"] = f"private, max-age={settings.ATELIER_S3_URL_SECONDS // 2}"
    return response


def _handed_to_nginx(name: str, content_type: str, attachment_name) -> HttpResponse:
    """An empty answer whose X-Accel-Redirect names the file under nginx's
    internal location for the media folder (deploy/nginx.conf): nginx sends
    the file itself, with this answer's headers, and the web thread is free
    at once instead of streaming it."""
    response = HttpResponse(content_type=content_type)
    prefix = settings.ATELIER_ACCEL_REDIRECT.rstrip("/")
    response["X-Accel-Redirect"] = f"{prefix}/{quote(name)}"
    if attachment_name is not None:
        response["Content-Disposition"] = content_disposition_header(True, attachment_name)
    return response


def is_local(storage) -> bool:
    try:
        storage.path("x")
    except NotImplementedError:
        return False
    return True
