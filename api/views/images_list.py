"""``/api/v1/images/``: GET lists a feed (gallery.feeds) a page at a time;
POST uploads (images_detail.upload), since both share the path."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import (
    api_view,
    parser_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.exceptions import NotAuthenticated, ParseError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from atelier.rate_limits import UploadThrottle
from gallery import nsfw
from gallery.feeds import PUBLIC_FEEDS, WINDOWS, FeedError, LoginRequired, load_page, parse_request

from ..errors import ErrorSerializer
from ..serializers.images import ImageSerializer
from .images_detail import upload, upload_schema

FEED_PARAMETERS = [
    OpenApiParameter(
        "feed",
        OpenApiTypes.STR,
        enum=["", *PUBLIC_FEEDS],  # empty: the default
        description="recent (the default, also when empty), popular (most liked), "
        "subscribed (images in the topics you subscribe to), following (images of the "
        "people you follow) or liked (what you liked, last liked first). subscribed, "
        "following and liked need authentication.",
    ),
    OpenApiParameter(
        "window",
        OpenApiTypes.STR,
        enum=["", *WINDOWS],  # empty: the default
        description="Only images created within the last day or week (default, or empty: all).",
    ),
    OpenApiParameter("topic", OpenApiTypes.STR, description="A topic's slug."),
    OpenApiParameter("user", OpenApiTypes.STR, description="The owner's username."),
    OpenApiParameter(
        "q", OpenApiTypes.STR, description="Search the prompt, title, description and topic."
    ),
    OpenApiParameter(
        "nsfw",
        OpenApiTypes.STR,
        enum=["", *nsfw.FILTERS],  # empty: the default
        description="Images flagged NSFW: include them, exclude them, or only them. "
        "Default (or empty): your NSFW preference (Settings) decides — excluded if it is "
        "`hide`, included otherwise (visitors: included, each with `nsfw: true`).",
    ),
    OpenApiParameter(
        "cursor", OpenApiTypes.STR, description="From the previous page's `next` link."
    ),
]

ImagePage = inline_serializer(
    "ImagePage",
    {
        "results": ImageSerializer(many=True),
        "next": serializers.URLField(allow_null=True, help_text="The next page, or null."),
    },
)


@extend_schema(
    methods=["GET"],
    operation_id="v1_images_list",
    parameters=FEED_PARAMETERS,
    responses={200: ImagePage, 400: ErrorSerializer, 401: ErrorSerializer},
    summary="List images: a feed, filtered and searched, 24 a page (keyset cursor)",
    tags=["images"],
)
@upload_schema
@api_view(["GET", "POST"])
@permission_classes([IsAuthenticatedOrReadOnly])
@parser_classes([MultiPartParser, FormParser])
@throttle_classes([UploadThrottle])
def image_list(request):
    if request.method == "POST":
        return upload(request)
    try:
        page = load_page(request.user, parse_request(request.query_params))
    except FeedError as error:
        raise ParseError(error.message) from error
    except LoginRequired as refused:
        raise NotAuthenticated(str(refused)) from refused
    context = {"request": request, "liked_ids": page.liked_ids}
    next_url = None
    if page.next_request:
        next_url = request.build_absolute_uri(
            f"{reverse('api:image-list')}?{page.next_request.query()}"
        )
    return Response(
        {"results": ImageSerializer(page.items, many=True, context=context).data, "next": next_url}
    )
