"""One image: read, change, delete (``/api/v1/images/{id}/``), and upload
(``POST /api/v1/images/``). The rules are gallery's: permissions for who may
see and change, editing and uploads for what changes."""

from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.exceptions import NotAuthenticated, NotFound, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from gallery.editing import EDITABLE_FIELDS, edit_image
from gallery.forms import ImageEditForm, UploadForm
from gallery.likes import liked_ids
from gallery.permissions import can_change, viewable_images
from gallery.storing import delete_image
from gallery.uploads import UploadTooLarge, check_request_size, upload_file
from imaging.validation import InvalidImage

from ..errors import ErrorSerializer, form_errors
from ..parsers import JSONParser
from ..serializers.images import (
    ImageChangeSerializer,
    ImageSerializer,
    ImageUploadSerializer,
    UploadedImageSerializer,
)


def image_json(request, image) -> dict:
    context = {"request": request, "liked_ids": liked_ids(request.user, [image.pk])}
    return ImageSerializer(image, context=context).data


def _viewable(request, image_id):
    """The image if this person may see it; another person's private image is a 404."""
    image = (
        viewable_images(request.user).select_related("owner", "topic").filter(pk=image_id).first()
    )
    if image is None:
        raise NotFound("No such image.")
    return image


@extend_schema(
    methods=["GET"], responses={200: ImageSerializer}, summary="An image", tags=["images"]
)
@extend_schema(
    methods=["PATCH"],
    request=ImageChangeSerializer,
    responses={
        200: ImageSerializer,
        400: OpenApiResponse(description="Field errors: {field: [message]}"),
        403: ErrorSerializer,
        404: ErrorSerializer,
    },
    summary="Change an image's title, description, topic or visibility (owner or staff)",
    tags=["images"],
)
@extend_schema(
    methods=["DELETE"],
    request=None,
    responses={204: None, 403: ErrorSerializer, 404: ErrorSerializer},
    summary="Delete an image and its files (owner or staff)",
    tags=["images"],
)
@api_view(["GET", "PATCH", "DELETE"])
@permission_classes([IsAuthenticatedOrReadOnly])
@parser_classes([JSONParser, FormParser, MultiPartParser])
def image_detail(request, image_id):
    image = _viewable(request, image_id)
    if request.method == "GET":
        return Response(image_json(request, image))
    if not can_change(request.user, image):
        raise PermissionDenied("Only the image's owner may change or delete it.")
    if request.method == "DELETE":
        delete_image(image)
        return Response(status=status.HTTP_204_NO_CONTENT)

    changes = request.data
    if not hasattr(changes, "get"):
        return Response(
            {"detail": "Send an object of the fields to change."},
            status=status.HTTP_400_BAD_REQUEST,
        )
    form = ImageEditForm.for_patch(image, changes)
    if not form.is_valid():
        return Response(form_errors(form), status=status.HTTP_400_BAD_REQUEST)
    sent = [field for field in EDITABLE_FIELDS if field in changes]
    edit_image(image, **{field: form.cleaned_data[field] for field in sent})
    return Response(image_json(request, image))


upload_schema = extend_schema(
    methods=["POST"],
    request={"multipart/form-data": ImageUploadSerializer},
    responses={
        201: UploadedImageSerializer,
        200: OpenApiResponse(
            UploadedImageSerializer,
            description="The file was already in your gallery: the image you had.",
        ),
        400: OpenApiResponse(description="Field errors, e.g. {file: [why it was refused]}"),
        413: ErrorSerializer,
    },
    summary="Upload a PNG, JPEG or WebP image into your gallery",
    tags=["images"],
)


def upload(request) -> Response:
    """``POST /api/v1/images/``: one file as ``file``, with optional title,
    description, topic (slug) and visibility. A refused file leaves nothing behind."""
    if not request.user.is_authenticated:
        raise NotAuthenticated()
    try:
        check_request_size(request.META.get("CONTENT_LENGTH"))
        data, files = request.data, request.FILES
    except UploadTooLarge as refused:
        return Response(
            {"detail": refused.message}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    except RequestDataTooBig:
        return Response(
            {"detail": "The form's text fields are too large."},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    except TooManyFilesSent:
        return Response(
            {"file": ["Send one file per request."]}, status=status.HTTP_400_BAD_REQUEST
        )
    if len(files.getlist("file")) > 1:
        return Response(
            {"file": ["Send one file per request."]}, status=status.HTTP_400_BAD_REQUEST
        )
    form = UploadForm(data, files, max_files=1)
    if not form.is_valid():
        return Response(form_errors(form), status=status.HTTP_400_BAD_REQUEST)
    [file] = form.cleaned_data["file"]
    try:
        result = upload_file(request.user, file, **form.image_fields())
    except InvalidImage as refused:
        return Response({"file": [refused.message]}, status=status.HTTP_400_BAD_REQUEST)
    image = result.image
    body = {
        **image_json(request, image),
        "upload": {
            "duplicate": result.duplicate,
            "looks_like": result.looks_like.pk if result.looks_like else None,
            "notes": result.notes,
        },
    }
    return Response(
        body,
        status=status.HTTP_200_OK if result.duplicate else status.HTTP_201_CREATED,
        headers={
            "Location": request.build_absolute_uri(reverse("api:image-detail", args=[image.pk]))
        },
    )
