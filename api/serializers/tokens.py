"""Logging in for an API token."""

from rest_framework.authtoken.serializers import AuthTokenSerializer

from atelier.text import ApiTextField


class TokenRequestSerializer(AuthTokenSerializer):
    """DRF's, with text fields that take only storable text."""

    username = ApiTextField(write_only=True)
    password = ApiTextField(
        write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )
