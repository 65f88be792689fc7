"""The upload page: one or several PNG, JPEG or WebP files into a person's
gallery, each file's result reported (gallery.uploads does the work)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from atelier import rate_limits

from ..editing import default_visibility
from ..forms import UploadForm
from ..uploads import MAX_FILES_PER_UPLOAD, UploadTooLarge, check_request_size, upload_images
from ..whereabouts import where_images_went


def _too_many_uploads(request, wait):
    return _refused(request, rate_limits.too_many_message(wait), status=429)


@login_required
@require_http_methods(["GET", "POST"])
@rate_limits.rate_limit_page(rate_limits.UPLOADS, respond=_too_many_uploads)
def upload(request):
    if request.method != "POST":
        # /upload/?topic=<slug> (e.g. from a topic's page) preselects the topic.
        initial = {
            "topic": request.GET.get("topic"),
            "visibility": default_visibility(request.user),
        }
        return _upload_page(request, UploadForm(initial=initial))
    try:
        check_request_size(request.META.get("CONTENT_LENGTH"), files=MAX_FILES_PER_UPLOAD)
        form = UploadForm(request.POST, request.FILES)
        valid = form.is_valid()
    except UploadTooLarge as refused:
        return _refused(request, refused.message, status=413)
    except RequestDataTooBig:
        return _refused(request, "The form's text fields are too large.", status=413)
    except TooManyFilesSent:
        return _refused(
            request, f"Upload at most {MAX_FILES_PER_UPLOAD} images at once.", status=400
        )
    if not valid:
        return _upload_page(request, form, status=400)

    fields = form.image_fields()
    results = upload_images(request.user, form.cleaned_data["file"], **fields)
    uploaded = [result for result in results if result.ok]
    refused = [result for result in results if not result.ok]
    flagged = any(result.duplicate or result.looks_like or result.notes for result in uploaded)
    where = where_images_went(fields["topic"], fields["visibility"], len(uploaded))
    if not refused and not flagged:
        if len(uploaded) == 1:
            messages.success(request, f"Your image was uploaded. {where}")
            return redirect("gallery:detail", image_id=uploaded[0].image.pk)
        messages.success(request, f"{len(uploaded)} images were uploaded. {where}")
        return redirect("gallery:mine")
    # Some files were refused, already there, look like others or lost metadata:
    # say which, and keep the batch's fields.
    form = UploadForm(
        initial={**fields, "topic": fields["topic"].slug if fields["topic"] else None}
    )
    return _upload_page(
        request,
        form,
        uploaded=uploaded,
        refused=refused,
        status=200 if uploaded else 400,
        batch=fields,
    )


def _refused(request, message, *, status):
    return _upload_page(request, UploadForm(), request_error=message, status=status)


def _upload_page(
    request, form, *, uploaded=(), refused=(), request_error="", status=200, batch=None
):
    context = {
        "batch": batch,  # the uploaded images' topic and visibility
        "form": form,
        "uploaded": uploaded,
        "refused": refused,
        "total": len(uploaded) + len(refused),
        # Files kept as new images (a duplicate points at the one already there).
        "stored": sum(1 for result in uploaded if not result.duplicate),
        "request_error": request_error,
        "max_files": MAX_FILES_PER_UPLOAD,
    }
    return render(request, "gallery/upload.html", context, status=status)
