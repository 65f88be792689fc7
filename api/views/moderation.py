"""Reporting, and the staff's moderation queue, over the API: the same
functions as the pages (moderation.reports, moderation.actions). The queue
and its actions are staff's: a 403 for anyone else signed in."""

from django.urls import reverse
from django.utils.http import urlencode
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import status
from rest_framework.decorators import api_view, permission_classes, throttle_classes
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.response import Response

from atelier.rate_limits import ReportThrottle
from moderation import actions, queue, reports
from moderation.targets import any_target, named_target, visible_target

from ..errors import TOO_MANY, ErrorSerializer
from ..serializers.moderation import (
    ActionDoneSerializer,
    ActionRequestSerializer,
    QueueSerializer,
    ReportByIdSerializer,
    ReportByNameSerializer,
    ReportRequestSerializer,
    ReportSerializer,
)

NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such content, or not yours to see.")
STAFF_ONLY = OpenApiResponse(ErrorSerializer, description="Only staff moderate.")
BAD_CURSOR = OpenApiResponse(ErrorSerializer, description="A `cursor` this queue did not make.")


@extend_schema(
    request=PolymorphicProxySerializer(
        component_name="NewReport",
        serializers=[ReportByNameSerializer, ReportByIdSerializer],
        resource_type_field_name=None,
    ),
    responses={
        201: ReportSerializer,
        400: OpenApiResponse(
            description="Bad fields, your own content, or already reported by you: `{detail}`."
        ),
        404: NOT_FOUND,
        429: TOO_MANY,
    },
    summary="Report content to the moderators",
    description="An image, a comment, a topic or a profile, with one of the reasons; "
    "named by `target` as its URLs name it (id, topic slug, username) or by `target_id`. "
    "One open report per person and target; your own content cannot be reported.",
    tags=["moderation"],
)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
@throttle_classes([ReportThrottle])
def report_create(request):
    body = ReportRequestSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    if "target" in data:
        target = named_target(request.user, data["kind"], data["target"])
    else:
        target = visible_target(request.user, data["kind"], data["target_id"])
    try:
        made = reports.report(request.user, target, data["reason"], data.get("text", ""))
    except reports.ReportRefused as refused:
        raise ValidationError({"detail": refused.message}) from refused
    return Response(ReportSerializer(made).data, status=status.HTTP_201_CREATED)


@extend_schema(
    parameters=[
        OpenApiParameter(
            "cursor", OpenApiTypes.STR, description="From the previous page's `next` link."
        )
    ],
    responses={200: QueueSerializer, 403: STAFF_ONLY, 404: BAD_CURSOR},
    summary="Open reports, grouped by what they report (staff; keyset pages)",
    description=f"The target reported first comes first, {queue.CASES_SHOWN} targets a page; "
    f"each with how many open reports it has and the first {queue.REPORTS_SHOWN} of them. "
    "`next` links to the following page (null on the last).",
    tags=["moderation"],
)
@api_view(["GET"])
@permission_classes([IsAdminUser])
def report_queue(request):
    try:
        cases, later = queue.open_cases(request.query_params.get("cursor") or None)
    except queue.InvalidCursor as error:
        raise NotFound("Invalid cursor.") from error
    next_url = None
    if later:
        query = urlencode({"cursor": later})
        next_url = request.build_absolute_uri(f"{reverse('api:moderation-queue')}?{query}")
    return Response(QueueSerializer({"results": cases, "next": next_url}).data)


@extend_schema(
    request=ActionRequestSerializer,
    responses={
        200: ActionDoneSerializer,
        400: OpenApiResponse(description="Bad fields, or an action refused: `{detail}`."),
        403: STAFF_ONLY,
        404: NOT_FOUND,
    },
    summary="Moderate content (staff)",
    description="`hide` / `restore` / `delete` the content, `dismiss` its reports, "
    "`suspend` / `unsuspend` its owner's account (a profile's: the person). `reason` is "
    "shown to the person. Every open report of the target is resolved.",
    tags=["moderation"],
)
@api_view(["POST"])
@permission_classes([IsAdminUser])
def moderate(request, kind, target_id):
    target = any_target(kind, target_id)
    if target is None:
        raise NotFound(f"This {kind} is gone.")
    body = ActionRequestSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    try:
        done = actions.apply(request.user, data["action"], target, data.get("reason", ""))
    except actions.ActionRefused as refused:
        raise ValidationError({"detail": refused.message}) from refused
    return Response({"detail": done})
