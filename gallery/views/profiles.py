"""A person's public page."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..profiles import public_person
from ..topics import topics_for

TOPICS_SHOWN = 24


@require_GET
def profile(request, username):
    person = public_person(username, with_counts=True)
    if person is None:
        raise Http404("No such person.")
    context = {
        "person": person,
        "counts": person.counts,
        "is_me": request.user.pk == person.pk,
        "topics": list(
            topics_for(request.user).filter(owner=person).order_by("-id")[:TOPICS_SHOWN]
        ),
    }
    return render(request, "gallery/profiles/detail.html", context)
