"""A person's notifications over the API: the list, the unread count, and
marking them read. Only one's own: another person's notification is a 404."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from notifications import notify
from notifications.models import Notification

from ..serializers.notifications import (
    MarkedSerializer,
    MarkReadSerializer,
    NotificationSerializer,
    UnreadCountSerializer,
)

NotificationPage = inline_serializer(
    "NotificationPage",
    {
        "next": serializers.URLField(allow_null=True, help_text="The next page, or null."),
        "previous": serializers.URLField(allow_null=True, help_text="The page before, or null."),
        "results": NotificationSerializer(many=True),
    },
)


class NotificationPagination(CursorPagination):
    ordering = ("-updated", "-id")
    page_size = 50


@extend_schema(
    responses={200: NotificationPage},
    summary="My notifications, latest first (cursor pages of 50)",
    tags=["notifications"],
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def notification_list(request):
    paginator = NotificationPagination()
    page = paginator.paginate_queryset(notify.for_person(request.user), request)
    return paginator.get_paginated_response(NotificationSerializer(page, many=True).data)


@extend_schema(
    responses={200: UnreadCountSerializer},
    summary="How many of my notifications are unread",
    tags=["notifications"],
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def unread_count(request):
    return Response({"unread": notify.unread_count(request.user)})


@extend_schema(
    request=MarkReadSerializer,
    responses={
        200: MarkedSerializer,
        400: OpenApiResponse(description='Bad input: `{"ids": [message…]}`.'),
    },
    operation_id="v1_notifications_read_many",
    summary="Mark my notifications read (those named, or all)",
    tags=["notifications"],
)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def mark_read(request):
    body = MarkReadSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    ids = body.validated_data.get("ids")
    return Response({"marked": notify.mark_read(request.user, ids)})


@extend_schema(
    request=None,
    responses={200: NotificationSerializer, 404: OpenApiResponse(description="Not yours.")},
    operation_id="v1_notifications_read_one",
    summary="Mark one notification read",
    tags=["notifications"],
)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def mark_one_read(request, notification_id):
    notification = get_object_or_404(Notification, pk=notification_id, recipient=request.user)
    notify.mark_read(request.user, [notification.pk])
    notification = notify.for_person(request.user).get(pk=notification.pk)
    return Response(NotificationSerializer(notification).data, status=status.HTTP_200_OK)
