"""My images' bulk actions: the selection's form posts here. Without
JavaScript's confirm(), the page asks once, naming how many images."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
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
    context = {"action": action, "topic": topic, "ids": ids[: bulk_actions.MAX_IDS]}
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
    return redirect("gallery:mine")
