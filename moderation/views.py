"""The moderation pages: reporting (anyone signed in), the staff's queue and
its actions (staff; a 403 for anyone else signed in, as the Models page's
staff actions)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from atelier import rate_limits

from . import actions, queue, reports
from .forms import ActionForm, ReportForm
from .targets import any_target, named_target


def _report_again(request, wait, kind, target_id):
    target = named_target(request.user, kind, target_id)
    form = ReportForm(request.POST)
    form.is_valid()
    form.add_error(None, rate_limits.too_many_message(wait))
    return render(request, "moderation/report.html", {"form": form, "target": target})


@login_required
@require_http_methods(["GET", "POST"])
@rate_limits.rate_limit_page(rate_limits.REPORTS, respond=_report_again)
def report(request, kind, target_id):
    target = named_target(request.user, kind, target_id)
    form = ReportForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                reports.report(request.user, target, data["reason"], data["text"])
            except reports.ReportRefused as refused:
                form.add_error(None, refused.message)
            else:
                messages.success(request, "Thank you: the moderators will look at it.")
                return redirect(target.url)
        status = 400
    context = {"form": form, "target": target}
    return render(request, "moderation/report.html", context, status=status)


def staff_only(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied("Only staff moderate.")
        return view(request, *args, **kwargs)

    return wrapper


@staff_only
@require_GET
def queue_page(request):
    """The open cases, CASES_SHOWN at a time; "Next" follows a keyset cursor
    (?after=…), as the notifications list does."""
    cursor = request.GET.get("after") or None
    status, error = 200, ""
    try:
        cases, later = queue.open_cases(cursor)
    except queue.InvalidCursor:
        cases, later = queue.open_cases()
        cursor, status = None, 400
        error = "That link to a later page of the queue is not valid; here is the first."
    context = {
        "cases": cases,
        "later": later,
        "cursor": cursor or "",
        "error": error,
        "actions": ActionForm.base_fields["action"].choices,
    }
    return render(request, "moderation/queue.html", context, status=status)


@staff_only
@require_POST
def act(request, kind, target_id):
    target = any_target(kind, target_id)
    form = ActionForm(request.POST)
    if target is None:
        messages.error(request, f"This {kind} is gone.")
    elif not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    else:
        data = form.cleaned_data
        try:
            done = actions.apply(request.user, data["action"], target, data["reason"])
        except actions.ActionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, done)
    # Back to the page the action was taken on (its cursor stays valid).
    after = request.POST.get("after", "")
    if after:
        return redirect(f"{reverse('moderation:queue')}?{urlencode({'after': after})}")
    return redirect("moderation:queue")
