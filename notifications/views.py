"""The notification pages: the list, the navbar's polled count, marking read,
and the per-kind opt-out."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import notify
from .models import Notification

PAGE_SIZE = 50


@login_required
@require_GET
def notification_list(request):
    """The newest notifications, PAGE_SIZE at a time; "Older" follows a keyset
    cursor (?after=…), so a long history costs what the first page does."""
    cursor = request.GET.get("after") or None
    status, error = 200, ""
    try:
        items, older = notify.page(request.user, cursor, PAGE_SIZE)
    except notify.InvalidCursor:
        items, older = notify.page(request.user, None, PAGE_SIZE)
        cursor, status = None, 400
        error = "That link to older notifications is not valid; here are the newest."
    context = {
        "notifications": items,
        "older": older,
        "paged": bool(cursor),
        "error": error,
    }
    return render(request, "notifications/list.html", context, status=status)


@require_GET
def unread_badge(request):
    """The navbar's badge alone, which the navbar polls (one COUNT)."""
    return render(request, "notifications/_badge.html")


@login_required
@require_POST
def mark_read(request, notification_id):
    notification = get_object_or_404(Notification, pk=notification_id, recipient=request.user)
    notify.mark_read(request.user, [notification.pk])
    if request.htmx:
        notification.refresh_from_db()
        response = render(request, "notifications/_item.html", {"n": notification})
        response["HX-Trigger"] = "notifications-changed"  # the navbar's badge recounts
        return response
    return redirect("notifications:list")


@login_required
@require_POST
def mark_all_read(request):
    changed = notify.mark_read(request.user)
    messages.success(request, f"Marked {changed} notification{'s' if changed != 1 else ''} read.")
    return redirect("notifications:list")


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request):
    kinds = notify.kinds_for(request.user)
    if request.method == "POST":
        wanted = set(request.POST.getlist("kind"))
        notify.set_muted_kinds(request.user, {value for value, _ in kinds} - wanted)
        messages.success(request, "Your notification settings were saved.")
        return redirect("notifications:settings")
    muted = notify.muted_kinds(request.user)
    choices = [(value, label, value not in muted) for value, label in kinds]
    return render(request, "notifications/settings.html", {"choices": choices})
