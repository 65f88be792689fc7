"""Authentication with the project's API tokens, ``Authorization: Token <key>``
or ``Authorization: Bearer <key>``: for DRF views, and (``accepts_api_token``)
for the plain views that serve files, whose URLs the API hands out."""

from functools import wraps

from django.http import JsonResponse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from . import tokens
from .suspension import suspension_message


class ApiTokenAuthentication(BaseAuthentication):
    keywords = ("token", "bearer")
    # What a 401 names in ``WWW-Authenticate``.
    www_authenticate = "Token"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].decode("latin-1").lower() not in self.keywords:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid token header. The token must be one string without spaces."
            )
        try:
            plaintext = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        return self.authenticate_credentials(plaintext)

    def authenticate_credentials(self, plaintext):
        token = tokens.find_token(plaintext)
        if token is None:
            owner = tokens.inactive_owner(plaintext)
            message = suspension_message(owner) if owner is not None else None
            raise exceptions.AuthenticationFailed(message or "Invalid token.")
        return token.user, token

    def authenticate_header(self, request):
        return self.www_authenticate


def accepts_api_token(view):
    """Let a plain Django view be opened with the API's token as well as with
    a session: a script that got a file's URL from the API fetches it with
    the header it already sends. A bad token is a 401, never the login page
    (a client cannot follow that); no header leaves the view as it was."""
    authentication = ApiTokenAuthentication()

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            found = authentication.authenticate(request)
        except exceptions.AuthenticationFailed as refused:
            return JsonResponse(
                {"detail": str(refused.detail)},
                status=401,
                headers={"WWW-Authenticate": authentication.www_authenticate},
            )
        if found is not None:
            request.user = found[0]
        return view(request, *args, **kwargs)

    return wrapper


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "tokenAuth"
    match_subclasses = True

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from /me/tokens/ or POST /api/v1/auth/token/: "
            "`Authorization: Bearer <token>` (or `Token <token>`).",
        }
