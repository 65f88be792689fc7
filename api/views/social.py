"""Likes and comments over the API. The rules are gallery.likes' and
gallery.comments' (the pages call the same functions).

Another person's private image (and the comments on it) is a 404; a refused
change to a comment on an image the caller can see is a 403."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes, throttle_classes
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from atelier.rate_limits import CommentThrottle
from gallery import comments, likes
from gallery.models import Comment, Image
from gallery.permissions import viewable_images

from ..errors import TOO_MANY
from ..serializers.social import CommentSerializer, CommentTextSerializer, LikeStateSerializer

NOT_FOUND = OpenApiResponse(description="No such image, or another person's private one.")
BAD_TEXT = OpenApiResponse(description='Bad input: `{"text": [message…]}`.')
REFUSED = OpenApiResponse(description="The comment is visible but not yours to change.")
# A PATCH of a comment must send its text (a serializer would be made partial
# for PATCH, every field optional), so its body is written out.
NEW_TEXT = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "description": CommentTextSerializer().fields["text"].help_text}
    },
    "required": ["text"],
}
PARSED = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")
CommentPage = inline_serializer(
    "CommentPage",
    {
        "next": serializers.URLField(allow_null=True, help_text="The next page, or null."),
        "previous": serializers.URLField(allow_null=True, help_text="The page before, or null."),
        "results": CommentSerializer(many=True),
    },
)


def _visible_image(request, image_id) -> Image:
    image = viewable_images(request.user).filter(pk=image_id).first()
    if image is None:
        raise NotFound("No such image.")
    return image


def _text(request) -> str:
    body = CommentTextSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    return body.validated_data["text"]


def _validation_error(exc: DjangoValidationError) -> ValidationError:
    return ValidationError({"text": exc.messages})


# ---- Likes -------------------------------------------------------------------


@extend_schema(
    methods=["POST"],
    request=None,
    responses={201: LikeStateSerializer, 200: LikeStateSerializer, 404: NOT_FOUND},
    summary="Like an image",
    description="Idempotent: 201 when this call added the like, 200 (nothing changed) when "
    "the image was already liked. Both answer the image's like count.",
    tags=["likes"],
)
@extend_schema(
    methods=["DELETE"],
    request=None,
    responses={204: None, 404: NOT_FOUND},
    summary="Take a like back",
    description="Idempotent: 204 whether or not there was a like.",
    tags=["likes"],
)
@api_view(["POST", "DELETE"])
@permission_classes([IsAuthenticated])
def image_like(request, image_id):
    image = _visible_image(request, image_id)
    if request.method == "DELETE":
        likes.unlike(request.user, image)
        return Response(status=status.HTTP_204_NO_CONTENT)
    created = likes.like(request.user, image)
    return Response(
        {"liked": True, "like_count": likes.current_count(image)},
        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )


# ---- Comments ----------------------------------------------------------------


class CommentPagination(CursorPagination):
    ordering = "id"  # oldest first (newest last, as on the page); the id makes it a keyset
    page_size = 50


@extend_schema(
    methods=["GET"],
    responses={200: CommentPage, 404: NOT_FOUND},
    summary="The comments on an image, oldest first (cursor pages of 50)",
    tags=["comments"],
)
@extend_schema(
    methods=["POST"],
    request=CommentTextSerializer,
    responses={201: CommentSerializer, 400: BAD_TEXT, 404: NOT_FOUND, 429: TOO_MANY},
    summary="Comment on an image",
    tags=["comments"],
)
@api_view(["GET", "POST"])
@permission_classes([IsAuthenticatedOrReadOnly])
@throttle_classes([CommentThrottle])
def image_comments(request, image_id):
    image = _visible_image(request, image_id)
    if request.method == "POST":
        try:
            comment = comments.add(request.user, image, _text(request))
        except DjangoValidationError as exc:
            raise _validation_error(exc) from exc
        body = CommentSerializer(comment, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)
    paginator = CommentPagination()
    rows = comments.shown_to(request.user, Comment.objects.filter(image=image))
    rows = rows.select_related("user__profile")
    page = paginator.paginate_queryset(rows, request)
    body = CommentSerializer(page, many=True, context={"request": request}).data
    return paginator.get_paginated_response(body)


@extend_schema(
    methods=["GET"],
    responses={200: CommentSerializer, 404: NOT_FOUND},
    summary="A comment",
    tags=["comments"],
)
@extend_schema(
    methods=["PATCH"],
    request={media_type: NEW_TEXT for media_type in PARSED},
    responses={200: CommentSerializer, 400: BAD_TEXT, 403: REFUSED, 404: NOT_FOUND},
    summary="Edit your comment",
    description="Only its author edits a comment; a changed text sets `edited`.",
    tags=["comments"],
)
@extend_schema(
    methods=["DELETE"],
    request=None,
    responses={204: None, 403: REFUSED, 404: NOT_FOUND},
    summary="Delete a comment",
    description="Its author, the image's owner and staff may delete a comment.",
    tags=["comments"],
)
@api_view(["GET", "PATCH", "DELETE"])
@permission_classes([IsAuthenticatedOrReadOnly])
def comment_detail(request, comment_id):
    comment = comments.get_visible(request.user, comment_id)
    if request.method == "DELETE":
        comments.delete(request.user, comment)
        return Response(status=status.HTTP_204_NO_CONTENT)
    if request.method == "PATCH":
        if not comments.can_edit(request.user, comment):
            raise PermissionDenied("Only its author can edit a comment.")
        try:
            comment = comments.edit(request.user, comment, _text(request))
        except DjangoValidationError as exc:
            raise _validation_error(exc) from exc
    return Response(CommentSerializer(comment, context={"request": request}).data)
