"""Logging in for an API token."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import parsers, renderers, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.tokens import create_token
from atelier.rate_limits import TokenAuthThrottle

from ..errors import TOO_MANY
from ..parsers import JSONParser
from ..serializers.tokens import TokenRequestSerializer


class TokenView(APIView):
    """Exchange a username and password for a new API token (named "API login
    <date>", listed and revocable at /me/tokens/ like any other)."""

    throttle_classes = (TokenAuthThrottle,)  # attempts per IP, and per username and IP
    permission_classes = ()
    parser_classes = (parsers.FormParser, parsers.MultiPartParser, JSONParser)
    renderer_classes = (renderers.JSONRenderer,)

    @extend_schema(
        request=inline_serializer(
            "TokenRequest",
            {"username": serializers.CharField(), "password": serializers.CharField()},
        ),
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            429: TOO_MANY,
        },
    )
    def post(self, request, *args, **kwargs):
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        name = f"API login {timezone.localdate():%Y-%m-%d}"
        _, plaintext = create_token(serializer.validated_data["user"], name)
        return Response({"token": plaintext})
