"""Public profiles over the API, and editing one's own."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.forms import ProfileForm
from accounts.models import Profile
from gallery import nsfw
from gallery.profiles import public_person

from ..errors import form_errors
from ..serializers.profiles import MyProfileSerializer, ProfileSerializer, ProfileUpdateSerializer
from .topics import text_input


def _profile_body(request, username: str) -> dict:
    """The person's public profile with their counts (one query), or a 404."""
    person = public_person(username, with_counts=True)
    if person is None:
        raise NotFound("No such person.")
    return ProfileSerializer(person, context={"request": request}).data


class ProfileDetail(APIView):
    """Anyone's public profile, with counts that include public images only."""

    permission_classes = [AllowAny]

    @extend_schema(summary="A public profile", responses={200: ProfileSerializer})
    def get(self, request, username):
        return Response(_profile_body(request, username))


class MyProfile(APIView):
    """The caller's own profile."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary="My profile", responses={200: MyProfileSerializer})
    def get(self, request):
        profile, _ = Profile.objects.get_or_create(user=request.user)
        return Response(_my_profile_body(request, profile))

    @extend_schema(
        summary="Edit my profile",
        request=ProfileUpdateSerializer,
        responses={
            200: MyProfileSerializer,
            400: OpenApiResponse(description="Bad input: `{field: [message…]}`."),
        },
    )
    def patch(self, request):
        profile, _ = Profile.objects.get_or_create(user=request.user)
        given = text_input(request, ("display_name", "bio", "nsfw_preference"))
        form = ProfileForm(
            {"display_name": profile.display_name, "bio": profile.bio, **given}, instance=profile
        )
        if not form.is_valid():
            return Response(form_errors(form), status=status.HTTP_400_BAD_REQUEST)
        form.save()
        nsfw.remember(request.user, profile.nsfw_preference)
        return Response(_my_profile_body(request, profile))


def _my_profile_body(request, profile) -> dict:
    """The public profile with the settings only its person sees."""
    return {
        **_profile_body(request, request.user.username),
        "nsfw_preference": profile.nsfw_preference,
    }
