"""The Models page: every person sees the models they may use and where each
stands; staff also see disabled ones and download, cancel, delete and
enable/disable them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import model_actions
from .model_status import DOWNLOADING, hub_reachable, settings_summary, statuses
from .models import ModelPreset
from .presets import enabled_presets
from .workers import fleet, workers_by_model


def _context(request) -> dict:
    staff = request.user.is_staff
    presets = ModelPreset.objects.all() if staff else enabled_presets()
    reachable = hub_reachable()
    found = statuses(presets, reachable=reachable)
    workers = fleet() if staff else []
    having = workers_by_model(workers)
    for status in found:  # which live workers have it (staff: where jobs for it run)
        status.workers = having.get(status.key, [])
    return {
        "fleet": workers,
        "statuses": found,
        "hub_reachable": reachable,
        "manage": staff,
        "downloading": any(s.state == DOWNLOADING for s in found),
        "where": settings_summary() if staff else None,
    }


@login_required
def models_page(request):
    return render(request, "studio/models.html", _context(request))


@login_required
def models_list(request):
    """The live list, polled by htmx while a download runs."""
    return render(request, "studio/_models_list.html", _context(request))


def _staff_action(action):
    @login_required
    @require_POST
    def view(request, key):
        if not request.user.is_staff:
            raise PermissionDenied("Only staff manage models.")
        preset = get_object_or_404(ModelPreset, key=key)
        outcome = action(request, preset)
        if request.htmx:  # the list again, and the outcome in the page's messages
            context = {**_context(request), "outcome": outcome}
            return render(request, "studio/_models_list.html", context)
        (messages.success if outcome.ok else messages.error)(request, outcome.message)
        return redirect("studio:models")

    view.__name__ = action.__name__
    return view


@_staff_action
def model_download(request, preset):
    return model_actions.download(preset)


@_staff_action
def model_cancel(request, preset):
    return model_actions.cancel(preset)


@_staff_action
def model_delete(request, preset):
    return model_actions.delete_files(preset)


@_staff_action
def model_enable(request, preset):
    return model_actions.set_enabled(preset, request.POST.get("enabled") == "1")
