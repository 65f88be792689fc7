"""Hot pages: the pages that are the same for every visitor, kept in Django's
cache (Redis when CACHE_URL is set, files otherwise) for a short time.

Only anonymous GETs of the first page of Popular are kept: the visitor home
page, ``/explore/?feed=popular`` and its ``/feed/`` partial, each with no
filter and no cursor (a ``window`` is allowed). A logged-in page never is: its
CSRF token, likes and unread counts are that person's. A visitor's page
holds one thing of its own, the CSRF token in base.html's ``csrf-token``
meta tag (htmx sends it): the page is kept without it and each visitor's is
put back on the way out, which also sets their CSRF cookie as an uncached
page would. A page with any other token (a form) or a flash message is not
kept.

Freshness: every cached page's key holds a version, and ``changed()`` bumps
it (after the transaction commits) whenever a public image appears, changes,
goes private or is deleted: a visitor sees it at once, and an unpublished
image never lingers. Likes do not bump it: a page lives
ATELIER_HOT_PAGE_SECONDS (10) at most, so a like shows within that. Bumping
on every like was measured (bench/hot_pages.py, bench/RESULTS.md): at ~5
likes a second the hit rate fell to 90% and the p50 rose by half, and it
falls further as likes grow with the audience; a count 10 s late costs nothing.

Hits and misses are counted in ``atelier_hot_pages_total{feed, result}``.
"""

import logging
import re
import uuid
from functools import wraps

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_vary_headers

from atelier.metrics import HOT_PAGES

from .feeds import WINDOWS

log = logging.getLogger(__name__)

VERSION_KEY = "hot-pages:version"
KEPT_HEADERS = ("Content-Type", "Content-Language")
ALLOWED_PARAMS = {"feed", "window"}
# The token's value in the meta tag (templates/base.html); the cut keeps the tag.
TOKEN_VALUE = re.compile(rb'(?<=<meta name="csrf-token" content=")[^"]*(?=">)')


def changed() -> None:
    """The public feeds changed: cached pages are stale once this commits."""
    transaction.on_commit(_bump, robust=True)


def _bump() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def _version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        if not cache.add(VERSION_KEY, version, None):  # another process set one first
            version = cache.get(VERSION_KEY, version)
    return version


def _cacheable(request, default_feed: str | None) -> bool:
    if request.method != "GET" or request.user.is_authenticated:
        return False
    params = request.GET
    if set(params) - ALLOWED_PARAMS or any(len(params.getlist(name)) > 1 for name in params):
        return False
    if params.get("feed", default_feed) != "popular":
        return False
    return params.get("window", "all") in WINDOWS


def hot_page(feed: str, *, default_feed: str | None = None):
    """Cache the view's anonymous first page of Popular, counted as ``feed``.
    ``default_feed``: the feed the view shows without ``?feed=``."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            seconds = settings.ATELIER_HOT_PAGE_SECONDS
            if seconds <= 0 or not _cacheable(request, default_feed):
                return view(request, *args, **kwargs)
            if len(get_messages(request)):  # a flash message is this visitor's
                return view(request, *args, **kwargs)
            query = "&".join(f"{name}={request.GET[name]}" for name in sorted(request.GET))
            try:
                key = f"hot-pages:{_version()}:{request.path}?{query}"
                kept = cache.get(key)
            except Exception:  # the cache is down: the page is rendered, as without it
                log.warning("hot pages: the cache cannot be read", exc_info=True)
                return view(request, *args, **kwargs)
            if kept is not None:
                HOT_PAGES.labels(feed, "hit").inc()
                response = _from_cache(request, kept)
            else:
                HOT_PAGES.labels(feed, "miss").inc()
                response = view(request, *args, **kwargs)
                if (entry := _entry(response)) is not None:
                    try:
                        cache.set(key, entry, seconds)
                    except Exception:
                        log.warning("hot pages: the cache cannot be written", exc_info=True)
            patch_vary_headers(response, ("Cookie",))
            return response

        return wrapper

    return decorate


def _entry(response) -> dict | None:
    """What to keep of a visitor's page: its status, headers, and its body
    cut at the CSRF token's value (if it has one); None if it cannot be shared."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return None
    body = response.content
    parts = TOKEN_VALUE.split(body)
    if len(parts) > 2 or b"csrfmiddlewaretoken" in body:
        return None
    headers = {name: response[name] for name in KEPT_HEADERS if name in response}
    return {"status": response.status_code, "headers": headers, "parts": parts}


def _from_cache(request, kept: dict) -> HttpResponse:
    body = kept["parts"][0]
    if len(kept["parts"]) == 2:  # a full page; the /feed/ partial has no meta tag
        body += get_token(request).encode() + kept["parts"][1]
    response = HttpResponse(body, status=kept["status"])
    for name, value in kept["headers"].items():
        response[name] = value
    return response
