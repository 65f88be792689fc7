"""API tokens: made, checked and revoked here, and nowhere else.

A token is a random secret (256 bits, URL-safe). The database keeps only its
SHA-256, so a copy of the database gives no working token; the plaintext is
returned once, by ``create_token``, to be shown to its owner."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.utils import timezone

from .models import ApiToken

# A secret longer than this is not one of ours: refused before hashing.
MAX_TOKEN_LENGTH = 128
# ``last_used`` is written at most this often per token.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_token(user, name: str) -> tuple[ApiToken, str]:
    """Make a token for ``user``; returns the row and the plaintext (shown once)."""
    plaintext = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[: ApiToken.NAME_MAX_LENGTH],
        prefix=plaintext[: ApiToken.PREFIX_LENGTH],
        key_hash=hash_token(plaintext),
    )
    return token, plaintext


def find_token(plaintext: str) -> ApiToken | None:
    """The live token with this secret, its active user loaded; else None.
    Marks it used (at most once a minute)."""
    if not plaintext or len(plaintext) > MAX_TOKEN_LENGTH:
        return None
    digest = hash_token(plaintext)
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=digest, revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.key_hash, digest):
        return None
    if not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used is None or now - token.last_used >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now
    return token


def inactive_owner(plaintext: str):
    """The inactive (e.g. suspended) owner of this live token, or None: what
    ``find_token`` refused, so that the refusal can say why."""
    if not plaintext or len(plaintext) > MAX_TOKEN_LENGTH:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(plaintext), revoked_at__isnull=True, user__is_active=False)
        .first()
    )
    return token.user if token else None


def authenticate(plaintext: str):
    """The user this token belongs to, or None (unknown, revoked, inactive)."""
    token = find_token(plaintext)
    return token.user if token else None


def revoke(token: ApiToken) -> None:
    """Revoke at once: the next request with this token is refused."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def live_tokens(user):
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True)
