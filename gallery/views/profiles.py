"""A person's public page."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..permissions import listed_images
from ..profiles import profile_counts, public_person
from ..topics import topics_for

FALLBACK_IMAGES = 48
TOPICS_SHOWN = 24


@require_GET
def profile(request, username):
    person = public_person(username)
    if person is None:
        raise Http404("No such person.")
    context = {
        "person": person,
        "counts": profile_counts(person),
        "is_me": request.user.pk == person.pk,
        "topics": list(
            topics_for(request.user).filter(owner=person).order_by("-id")[:TOPICS_SHOWN]
        ),
        # Only read if the feeds' partial view is missing (see the template).
        "images": listed_images().filter(owner=person)[:FALLBACK_IMAGES],
    }
    return render(request, "gallery/profiles/detail.html", context)
