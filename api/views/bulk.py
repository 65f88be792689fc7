"""Bulk actions over the API: publish, unlist, make private, move to a topic
or delete many images at once. The rules are gallery.bulk_actions' (My
images' selection calls the same function): all or nothing, each refused
image named, at most MAX_IDS ids."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from gallery import bulk_actions

from ..serializers.bulk import BulkActionSerializer, BulkRefusedSerializer, BulkResultSerializer


@extend_schema(
    request=BulkActionSerializer,
    responses={200: BulkResultSerializer, 400: BulkRefusedSerializer},
    summary="Change or delete many images at once",
    description="All or nothing: if any image is not yours to change (or does not "
    f"exist), nothing changes and each is named. At most {bulk_actions.MAX_IDS} ids.",
    tags=["images"],
)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def image_bulk(request):
    data = request.data if isinstance(request.data, dict) else {}
    try:
        result = bulk_actions.apply(
            request.user,
            str(data.get("action", "")),
            data.get("ids", []),
            topic=str(data.get("topic") or ""),
        )
    except bulk_actions.BulkError as error:
        body = {
            "detail": error.message,
            "field": error.field,
            "refused": [{"id": pk, "reason": why} for pk, why in error.refused.items()],
        }
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    return Response({"action": result.action, "count": result.count, "ids": result.ids})
