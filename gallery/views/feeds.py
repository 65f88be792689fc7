"""Pages that show feeds: the home page, Explore, My images, and ``/feed/``,
the partial (a page of tiles and the "load more" sentinel) that htmx fetches
for infinite scroll and that topic and profile pages embed."""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from ..feeds import (
    FEEDS,
    PUBLIC_FEEDS,
    WINDOW_LABELS,
    FeedError,
    FeedRequest,
    LoginRequired,
    load_page,
    parse_request,
)
from ..follows import suggestions
from ..hot_pages import hot_page
from ..models import Topic

HOME_FEEDS = ("recent", "subscribed", "following")


@require_GET
@hot_page("home", default_feed="popular")
def home(request):
    """Visitors: the landing page over the Popular feed. People logged in:
    their Recent and Subscribed feeds."""
    if not request.user.is_authenticated:
        query = request.GET.copy()
        query["feed"] = "popular"
        return _feed_view(request, "gallery/home.html", query, feeds=("popular",))
    return _feed_view(request, "gallery/home.html", request.GET, feeds=HOME_FEEDS)


@require_GET
@hot_page("explore")
def explore(request):
    return _feed_view(request, "gallery/explore.html", request.GET, feeds=PUBLIC_FEEDS)


@login_required
@require_GET
def mine(request):
    return _feed_view(request, "gallery/mine.html", request.GET, feeds=("mine",))


@require_GET
@hot_page("feed_page")
def feed_page(request):
    """One page of any feed as a partial: tiles and the next sentinel."""
    try:
        page = load_page(request.user, parse_request(request.GET, feeds=tuple(FEEDS)))
    except FeedError as error:
        return render(request, "gallery/_feed_error.html", {"error": error.message}, status=400)
    except LoginRequired as refused:
        return render(request, "gallery/_feed_error.html", {"error": str(refused)}, status=403)
    return render(request, "gallery/_feed_page.html", _page_context(page, request.user))


def _feed_view(request, template, query, *, feeds):
    """Render ``template`` over the first feed of ``feeds`` (or the one asked for)."""
    try:
        feed_request = parse_request(query, feeds=feeds, default=feeds[0])
        page = load_page(request.user, feed_request)
    except FeedError as error:
        return render(request, "gallery/feed_error.html", {"error": error.message}, status=400)
    except LoginRequired:
        return redirect_to_login(request.get_full_path())
    context = _page_context(page, request.user)
    context["tabs"] = _tabs(request.path, feed_request, feeds)
    if feed_request.feed == "popular":
        context["windows"] = _windows(request.path, feed_request)
    context["clear"] = {
        name: f"{request.path}?{feed_request.query(**{name: '', 'cursor': ''})}"
        for name in ("topic", "user", "q")
    }
    if feed_request.topic:
        context["topic"] = (
            Topic.objects.filter(slug=feed_request.topic).only("name", "slug").first()
        )
    if feed_request.user:  # linked only if they exist: "a/b" has no profile URL
        context["person"] = (
            get_user_model().objects.filter(username=feed_request.user).only("username").first()
        )
    return render(request, template, context)


def _page_context(page, viewer) -> dict:
    context = {"page": page, "feed_request": page.request, "images": page.items}
    if page.feed.name == "following" and not page.items and not page.request.filtered:
        context["suggestions"] = suggestions(viewer)  # who to follow, on the empty state
    if page.next_request:
        query = page.next_request.query()
        context["next_url"] = f"{reverse('gallery:feed_page')}?{query}"
        context["more_url"] = f"{_full_page_url(page.request.feed)}?{query}"
    return context


def _full_page_url(feed: str) -> str:
    return reverse("gallery:mine") if feed == "mine" else reverse("gallery:explore")


def _tabs(path, current: FeedRequest, feeds) -> list[dict]:
    if len(feeds) < 2:
        return []
    return [
        {
            "name": name,
            "label": FEEDS[name].label,
            "icon": FEEDS[name].icon,
            "url": f"{path}?{current.query(feed=name, cursor='', window='all')}",
            "active": name == current.feed,
        }
        for name in feeds
    ]


def _windows(path, current: FeedRequest) -> list[dict]:
    return [
        {
            "label": label,
            "url": f"{path}?{current.query(window=window, cursor='')}",
            "active": window == current.window,
        }
        for window, label in WINDOW_LABELS.items()
    ]
