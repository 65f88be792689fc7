"""Bulk actions over the API: publish, unlist, make private, mark or unmark
NSFW, move to a topic or delete many images at once. The rules are gallery.bulk_actions' (My
images' selection calls the same function): all or nothing, each refused
image named, at most MAX_IDS ids."""

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.exceptions import ParseError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from gallery import bulk_actions

from ..parsers import JSONParser
from ..serializers.bulk import BulkActionSerializer, BulkRefusedSerializer, BulkResultSerializer


@extend_schema(
    request=BulkActionSerializer,
    responses={
        200: BulkResultSerializer,
        400: BulkRefusedSerializer,
        403: BulkRefusedSerializer,
        404: BulkRefusedSerializer,
    },
    summary="Change or delete many images at once",
    description="All or nothing: if any image is not yours to change (403) or does not "
    "exist (404), nothing changes and each is named in `refused`. At most "
    f"{bulk_actions.MAX_IDS} ids; more is a 400. A JSON body only.",
    tags=["images"],
)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
@parser_classes([JSONParser])
def image_bulk(request):
    try:
        body = BulkActionSerializer(data=request.data)
    except ParseError as error:  # not JSON, or nested too deep: the same shape of answer
        return Response(_refused("body", str(error.detail)), status=400)
    if not body.is_valid():
        field, messages = next(iter(body.errors.items()))
        detail = messages[0] if isinstance(messages, list) else messages
        if isinstance(detail, dict):  # one item of the ids list
            detail = next(iter(detail.values()))[0]
        return Response(_refused(field, str(detail)), status=400)
    data = body.validated_data
    try:
        result = bulk_actions.apply(
            request.user, data["action"], data["ids"], topic=data.get("topic", "")
        )
    except bulk_actions.BulkError as error:
        return Response(_refused(error.field, error.message, error.refused), status=error.status)
    return Response({"action": result.action, "count": result.count, "ids": result.ids})


def _refused(field: str, detail: str, refused: dict | None = None) -> dict:
    return {
        "detail": detail,
        "field": field,
        "refused": [{"id": pk, "reason": why} for pk, why in (refused or {}).items()],
    }
