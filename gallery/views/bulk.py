"""Bulk actions of a page of images (My images, a topic, a job's results):
the selection's form posts here. Without JavaScript's confirm(), the page
asks once, naming how many images. Then back to the page the form names
(``next``, a path on this site), else to My images."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .. import bulk_actions
from ..models import Topic

DONE = {
    "publish": "Published",
    "unlist": "Unlisted",
    "make_private": "Made private",
    "mark_nsfw": "Marked NSFW",
    "unmark_nsfw": "Unmarked NSFW",
    "move": "Moved",
    "delete": "Deleted",
}


@login_required
@require_POST
def bulk(request):
    action = request.POST.get("action", "")
    ids = request.POST.getlist("ids")
    topic = request.POST.get("topic", "").strip()
    back = _back(request)
    context = {
        "action": action,
        "topic": topic,
        "ids": ids[: bulk_actions.MAX_IDS],
        "back": back,
    }
    try:
        if request.POST.get("confirmed") != "1":
            bulk_actions.parse_ids(ids)
            if action not in bulk_actions.ACTIONS:
                raise bulk_actions.BulkError("action", "Choose what to do with the images.")
            context["label"] = bulk_actions.ACTION_LABELS[action]
            context["topic_name"] = (
                Topic.objects.filter(slug=topic).values_list("name", flat=True).first()
            )
            return render(request, "gallery/bulk_confirm.html", context)
        result = bulk_actions.apply(request.user, action, ids, topic=topic)
    except bulk_actions.BulkError as error:
        context["error"] = error
        return render(request, "gallery/bulk_confirm.html", context, status=error.status)
    noun = "image" if result.count == 1 else "images"
    messages.success(request, f"{DONE[result.action]} {result.count} {noun}.")
    return redirect(back)


def _back(request) -> str:
    """Where to go afterwards: the form's ``next`` if it is a path on this
    site, else My images."""
    back = request.POST.get("next", "")
    if back.startswith("/") and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return reverse("gallery:mine")
