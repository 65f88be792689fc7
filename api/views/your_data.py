"""A person's own data over the API: the export ZIP and leaving
(gallery.your_data, as Settings' "Download my data" and "Delete my account")."""

from django.http import FileResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes, throttle_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from atelier.rate_limits import AccountDeletionThrottle, ExportThrottle
from gallery.your_data import AlreadyBuilding, build_export, delete_account, export_name

from ..errors import ErrorSerializer

ZIP = "application/zip"


@extend_schema(
    methods=["POST"],
    request=None,
    responses={
        (200, "application/zip"): OpenApiResponse(
            description="A ZIP: images/<id>-<name>.<ext> (the original files) with "
            "images/<id>-<name>.json beside each (its recipe and fields), and profile.json "
            "(profile, topics, comments, liked image ids, follows, subscriptions)."
        ),
        409: ErrorSerializer,
        429: ErrorSerializer,
    },
    summary="Download all my data as a ZIP",
    tags=["profiles"],
)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
@throttle_classes([ExportThrottle])
def export(request):
    try:
        target = build_export(request.user)
    except AlreadyBuilding as refused:
        return Response({"detail": str(refused)}, status=status.HTTP_409_CONFLICT)
    response = FileResponse(
        target,
        as_attachment=True,
        filename=export_name(request.user),
        content_type="application/zip",
    )
    response["Cache-Control"] = "private, no-store"
    return response


class AccountDeletionSerializer(serializers.Serializer):
    password = serializers.CharField(help_text="Your password, to confirm it is you.")


@extend_schema(
    methods=["POST"],
    request=AccountDeletionSerializer,
    responses={
        204: None,
        400: OpenApiResponse(description="`{password: [why]}`: nothing was deleted."),
        429: ErrorSerializer,
    },
    summary="Delete my account, my images and their files, topics and likes",
    tags=["profiles"],
)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
@throttle_classes([AccountDeletionThrottle])
def leave(request):
    data = request.data
    password = data.get("password") if hasattr(data, "get") else None
    if not isinstance(password, str) or not request.user.check_password(password):
        return Response(
            {"password": ["That is not your password; nothing was deleted."]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    delete_account(request.user)
    return Response(status=status.HTTP_204_NO_CONTENT)
