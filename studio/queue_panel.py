"""The queue panel of the Generate and job pages: a person's recent and
running jobs with a thumbnail each (the first image, or the live preview),
status, progress and the prompt's start.

The panel polls itself (htmx, every ``POLL_SECONDS``) only while one of its
jobs is queued or running, so an idle page asks nothing. Two queries a poll:
the jobs, and their images' thumbnails.
"""

import uuid

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import render

from gallery.models import Image

from .models import GenerationJob

SHOWN = 8
POLL_SECONDS = 2


def recent_jobs(user, current=None) -> list[GenerationJob]:
    """The person's ``SHOWN`` latest jobs, newest first, each with ``thumb``
    (its first image or None) and ``is_current`` (the page's own job)."""
    images = Image.objects.only("id", "thumbnail", "thumb_width", "thumb_height").order_by("id")
    jobs = list(
        GenerationJob.objects.filter(owner=user)
        .defer("error_details")
        .prefetch_related(Prefetch("images", queryset=images, to_attr="shown_images"))[:SHOWN]
    )
    for job in jobs:
        job.thumb = job.shown_images[0] if job.shown_images else None
        job.is_current = current is not None and job.pk == current
    return jobs


def panel_context(user, current=None) -> dict:
    jobs = recent_jobs(user, current)
    return {
        "queue_jobs": jobs,
        "queue_live": any(not job.is_finished for job in jobs),
        "queue_poll_seconds": POLL_SECONDS,
        "queue_current": current,
    }


@login_required
def queue_panel(request):
    """The panel alone, for its own polling (``?current=<job id>`` marks the page's job)."""
    current = request.GET.get("current") or None
    context = panel_context(request.user, _job_id(current))
    return render(request, "studio/_queue_panel.html", context)


def _job_id(value):
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None
