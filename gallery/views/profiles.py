"""A person's public page, and following them."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import follows
from ..profiles import public_person
from ..topics import topics_for_cards

TOPICS_SHOWN = 24


@require_GET
def profile(request, username):
    person = public_person(username, with_counts=True, viewer=request.user)
    if person is None:
        raise Http404("No such person.")
    context = {
        "person": person,
        "counts": person.counts,
        "followers": person.counts.followers,
        "following_count": person.counts.following,
        "following": person.followed,
        "is_me": request.user.pk == person.pk,
        "topics": list(
            topics_for_cards(request.user).filter(owner=person).order_by("-id")[:TOPICS_SHOWN]
        ),
    }
    return render(request, "gallery/profiles/detail.html", context)


@require_http_methods(["POST", "DELETE"])
def profile_follow(request, username):
    """POST follows, DELETE unfollows; twice changes nothing. Following
    oneself is refused with a message (a 400 for htmx)."""
    person = _person(username)
    if not request.user.is_authenticated:
        return _login_first(request, person)
    if request.method == "DELETE":
        follows.unfollow(request.user, person)
    else:
        try:
            follows.follow(request.user, person)
        except follows.FollowError as refused:
            if request.htmx:
                return HttpResponse(str(refused), status=400, content_type="text/plain")
            messages.error(request, str(refused))
    return _after_follow(request, person)


@require_POST
def profile_unfollow(request, username):
    """The same as DELETE on profile_follow, for forms without htmx."""
    person = _person(username)
    if not request.user.is_authenticated:
        return _login_first(request, person)
    follows.unfollow(request.user, person)
    return _after_follow(request, person)


def _person(username):
    person = public_person(username)
    if person is None:
        raise Http404("No such person.")
    return person


def _login_first(request, person):
    login = redirect_to_login(reverse("gallery:profile", args=[person.username]))
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = login.url
        return response
    return login


def _after_follow(request, person):
    if request.htmx:
        context = {"person": person, "following": follows.is_following(request.user, person)}
        return render(request, "gallery/_follow_button.html", context)
    return redirect("gallery:profile", username=person.username)
