"""Following people over the API. The rules are gallery.follows' (the pages
call the same functions): twice is once, oneself is a 400."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from gallery import follows
from gallery.profiles import public_person

from ..serializers.follows import FollowStateSerializer

NOT_FOUND = OpenApiResponse(description="No such person.")


@extend_schema(
    methods=["POST"],
    request=None,
    responses={
        201: FollowStateSerializer,
        200: FollowStateSerializer,
        400: OpenApiResponse(description="Following yourself: `{detail}`."),
        404: NOT_FOUND,
    },
    summary="Follow a person",
    description="Idempotent: 201 when this call started following, 200 (nothing changed) "
    "when you already did. Their public images then fill the `following` feed "
    "(`GET /api/v1/images/?feed=following`).",
    tags=["profiles"],
)
@extend_schema(
    methods=["DELETE"],
    request=None,
    responses={204: None, 404: NOT_FOUND},
    summary="Stop following a person",
    description="Idempotent: 204 whether or not you followed them.",
    tags=["profiles"],
)
@api_view(["POST", "DELETE"])
@permission_classes([IsAuthenticated])
def profile_follow(request, username):
    person = public_person(username)
    if person is None:
        raise NotFound("No such person.")
    if request.method == "DELETE":
        follows.unfollow(request.user, person)
        return Response(status=status.HTTP_204_NO_CONTENT)
    try:
        created = follows.follow(request.user, person)
    except follows.FollowError as refused:
        raise ValidationError({"detail": str(refused)}) from refused
    followers, following = follows.follow_counts(person)
    body = {"following": True, "follower_count": followers, "following_count": following}
    return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
