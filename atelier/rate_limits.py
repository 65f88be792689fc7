"""Rate limits per person and per IP address, counted in Django's cache.

A rate is written ``"<count>/<period>"`` with the period ``s``, ``m``, ``h`` or
``d``, optionally with a number in front (``"30/m"``, ``"100/10m"``); an empty
value or ``"0"`` turns the limit off. Each limit names the setting that holds
its rate, so the numbers come from the environment (.env.example).

Counting is a fixed window per key: the first hit in a window creates the
counter with the window's remaining time as its expiry, later hits increment
it, and a request past the count is refused until the window ends (that wait
is the ``Retry-After``). The counters live in the ``default`` cache, which is
shared by every web process (a file cache under ATELIER_VAR_DIR, or Redis).

Three ways in: ``check()`` for a view that answers for itself, the
``rate_limit_page`` decorator for page views (a 429 page, or a short message
for htmx) and the DRF throttle classes for the API and the facades."""

from __future__ import annotations

import hashlib
import math
import re
import time
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.shortcuts import render
from rest_framework.throttling import BaseThrottle

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def parse_rate(text) -> Rate | None:
    """``"30/m"`` → Rate(30, 60); None (no limit) for an empty value or ``"0"``."""
    text = str(text or "").strip()
    if text in ("", "0"):
        return None
    match = re.fullmatch(r"(\d+)\s*/\s*(\d*)\s*([smhd])", text)
    if not match:
        raise ImproperlyConfigured(f"Bad rate {text!r}: write it as e.g. '30/m' or '100/10m'.")
    count, multiple, unit = match.groups()
    if int(count) == 0:
        return None
    return Rate(int(count), int(multiple or 1) * UNITS[unit])


@dataclass(frozen=True)
class Limit:
    name: str  # the counter's name in the cache
    setting: str  # the settings attribute holding the rate
    per: str  # "user" (an anonymous caller counts by IP), "ip" or "username" (and IP)

    def rate(self) -> Rate | None:
        return parse_rate(getattr(settings, self.setting, ""))


GENERATIONS = Limit("generations", "ATELIER_RATE_GENERATIONS", "user")
GENERATIONS_PER_IP = Limit("generations-ip", "ATELIER_RATE_GENERATIONS_IP", "ip")
TOKEN_AUTH_PER_IP = Limit("token-auth-ip", "ATELIER_RATE_TOKEN_AUTH_IP", "ip")
TOKEN_AUTH_PER_USERNAME = Limit("token-auth-username-ip", "ATELIER_RATE_TOKEN_AUTH", "username")
COMMENTS = Limit("comments", "ATELIER_RATE_COMMENTS", "user")
UPLOADS = Limit("uploads", "ATELIER_RATE_UPLOADS", "user")
EXPORTS = Limit("exports", "ATELIER_RATE_EXPORTS", "user")
ACCOUNT_DELETION = Limit("account-deletion", "ATELIER_RATE_ACCOUNT_DELETION", "user")
REPORTS = Limit("reports", "ATELIER_RATE_REPORTS", "user")


def client_ip(request) -> str:
    """The caller's address as django-allauth sees it (ALLAUTH_TRUSTED_PROXY_COUNT
    says how many X-Forwarded-For hops to trust), so every limit agrees."""
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter().get_client_ip(request)
    except PermissionDenied:
        return "unknown"


def _identity(request, limit: Limit, username) -> str | None:
    if limit.per == "username":
        if username is None or username == "":
            return None
        # With the address: counted per username alone, anyone could lock
        # its owner out by asking with wrong passwords.
        return f"username:{str(username).casefold()}@ip:{client_ip(request)}"
    user = getattr(request, "user", None)
    if limit.per == "user" and user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_ip(request)}"


def _count(key: str, ttl: int) -> int:
    """One more hit on ``key``; the count so far. Redis and the in-memory
    cache increment atomically and keep the expiry; other backends' ``incr``
    would reset it, so they read and write (a race may miss a hit, never
    refuse one too many)."""
    cache = caches["default"]
    if cache.add(key, 1, ttl):
        return 1
    if isinstance(cache, RedisCache | LocMemCache):
        try:
            return cache.incr(key)
        except ValueError:  # expired in between
            cache.add(key, 1, ttl)
            return 1
    value = (cache.get(key) or 0) + 1
    cache.set(key, value, ttl)
    return value


def clock() -> float:
    """Now, in seconds (tests replace it to stay inside one window)."""
    return time.time()


def hit(limit: Limit, identity: str) -> int | None:
    """Count one request for ``identity``; the seconds to wait if it is over
    the limit, else None."""
    rate = limit.rate()
    if rate is None:
        return None
    now = clock()
    window = int(now // rate.seconds)
    remaining = (window + 1) * rate.seconds - now
    digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    key = f"atelier:rl:{limit.name}:{rate.count}/{rate.seconds}:{digest}:{window}"
    if _count(key, math.ceil(remaining) + 1) <= rate.count:
        return None
    return max(1, math.ceil(remaining))


def check(request, *limits: Limit, username=None) -> int | None:
    """Count this request against each limit; the longest wait among those
    it is over, or None when it may go on."""
    waits = []
    for limit in limits:
        identity = _identity(request, limit, username)
        if identity is not None:
            waits.append(hit(limit, identity))
    waits = [wait for wait in waits if wait is not None]
    return max(waits) if waits else None


def too_many_message(wait: int) -> str:
    return f"Too many requests: please wait {wait} second{'s' if wait != 1 else ''} and try again."


def too_many_page(request, wait: int):
    """The 429 answer of a page: the error page, or for htmx a short message."""
    if request.htmx:
        context = {"message": too_many_message(wait)}
        response = render(request, "_too_many.html", context, status=429)
    else:
        context = {"message": too_many_message(wait), "retry_after": wait}
        response = render(request, "429.html", context, status=429)
    response["Retry-After"] = str(wait)
    return response


def rate_limit_page(*limits: Limit, methods=("POST",), respond=None):
    """Limit a page view's ``methods``. Over the limit it answers
    ``respond(request, wait, *args, **kwargs)`` if given (e.g. the form again
    with an error), else the 429 page; either way with ``Retry-After``."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in methods:
                wait = check(request, *limits)
                if wait is not None:
                    if respond is None:
                        response = too_many_page(request, wait)
                    else:
                        response = respond(request, wait, *args, **kwargs)
                    response.status_code = 429
                    response["Retry-After"] = str(wait)
                    return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# ---- The API: DRF throttles (DRF answers 429 with Retry-After) ----------------


class LimitThrottle(BaseThrottle):
    """Counts the ``methods`` requests of a view against ``limits``."""

    limits: tuple[Limit, ...] = ()
    methods = frozenset({"POST"})

    def username(self, request):
        return None

    def allow_request(self, request, view):
        if request.method not in self.methods:
            return True
        self.retry_after = check(request, *self.limits, username=self.username(request))
        return self.retry_after is None

    def wait(self):
        return getattr(self, "retry_after", None)


class GenerationThrottle(LimitThrottle):
    limits = (GENERATIONS, GENERATIONS_PER_IP)


class TokenAuthThrottle(LimitThrottle):
    limits = (TOKEN_AUTH_PER_IP, TOKEN_AUTH_PER_USERNAME)

    def username(self, request):
        data = request.data
        return data.get("username") if hasattr(data, "get") else None


class CommentThrottle(LimitThrottle):
    limits = (COMMENTS,)


class UploadThrottle(LimitThrottle):
    limits = (UPLOADS,)


class ExportThrottle(LimitThrottle):
    limits = (EXPORTS,)


class AccountDeletionThrottle(LimitThrottle):
    limits = (ACCOUNT_DELETION,)


class ReportThrottle(LimitThrottle):
    limits = (REPORTS,)


# ---- django-allauth's own limits (signup, login, failed logins) --------------

ALLAUTH_ACTIONS = {"account_signup": "signup", "account_login": "login"}


def allauth_429(request):
    """``handler429`` for django-allauth's limits (ACCOUNT_RATE_LIMITS): our
    429 page, with ``Retry-After`` the longest period of the action's rates
    (allauth does not say how long is left)."""
    from allauth.account import app_settings
    from allauth.core.internal.ratelimit import parse_rates

    match = getattr(request, "resolver_match", None)
    action = ALLAUTH_ACTIONS.get(match.url_name if match else "", "")
    rates = parse_rates(app_settings.RATE_LIMITS.get(action)) if action else []
    wait = math.ceil(max((rate.duration for rate in rates), default=60))
    return too_many_page(request, wait)
