"""How the compatible facades know the caller: HTTP Basic with the account's
username and an API token (A1111's ``--api-auth``), or ``Bearer <token>``
(OpenAI's clients). Tokens are checked by the project's own token
authentication (accounts.tokens), so revoking a token takes effect here too."""

import base64
import binascii

from django.utils.crypto import constant_time_compare
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from accounts.token_auth import ApiTokenAuthentication


class BearerTokenAuthentication(ApiTokenAuthentication):
    """``Authorization: Bearer <token>`` (``Token <token>`` too); a 401 asks
    for a bearer token, as OpenAI's API does."""

    www_authenticate = "Bearer"


class BasicTokenAuthentication(BaseAuthentication):
    """``Authorization: Basic base64(username:token)``; the password is an API
    token, never the account's password."""

    www_authenticate_realm = "atelier"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise exceptions.AuthenticationFailed("Invalid basic authentication header.") from exc
        username, colon, token = decoded.partition(":")
        if not colon or not token:
            raise exceptions.AuthenticationFailed("Incorrect username or password")
        try:
            user, auth = ApiTokenAuthentication().authenticate_credentials(token)
        except exceptions.AuthenticationFailed as exc:
            raise exceptions.AuthenticationFailed("Incorrect username or password") from exc
        if not constant_time_compare(user.get_username(), username):
            raise exceptions.AuthenticationFailed("Incorrect username or password")
        return user, auth

    def authenticate_header(self, request):
        return f'Basic realm="{self.www_authenticate_realm}"'


A1111_AUTHENTICATION = [BasicTokenAuthentication, ApiTokenAuthentication]
OPENAI_AUTHENTICATION = [BearerTokenAuthentication]
