"""Answering with a stored file (an image, a thumbnail, a preview, an avatar,
a topic's cover) once a view has decided who may see it: sent from the local
folder, or a redirect to a short-lived signed URL on S3."""

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponseRedirect

# How long a file's answer may be kept. A public image's may be made private
# at any moment: a shared cache (a CDN, a proxy) keeps serving what it stored
# to everyone until it expires, so it may keep it a minute only; a viewer's
# own browser, which has the picture already, an hour (docs/decisions.md).
PRIVATE_CACHE = "private, max-age=3600"
PUBLIC_CACHE = "public, max-age=3600, s-maxage=60"


def file_response(name: str, content_type: str, *, attachment_name=None, private=True):
    if not _is_local(default_storage):
        # S3 and friends: a short-lived signed URL, never a public one.
        return HttpResponseRedirect(default_storage.url(name))
    response = FileResponse(
        default_storage.open(name, "rb"),
        content_type=content_type,
        as_attachment=attachment_name is not None,
        filename=attachment_name or "",
    )
    response["Cache-Control"] = PRIVATE_CACHE if private else PUBLIC_CACHE
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _is_local(storage) -> bool:
    try:
        storage.path("x")
    except NotImplementedError:
        return False
    return True
