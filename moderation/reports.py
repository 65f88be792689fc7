"""Reporting content to the moderators: one open report per person and
target, never of one's own content. The page and the API both call
``report``; the rate limit is the views' (atelier.rate_limits.REPORTS).

Staff are told when a target gets its first open report (not once a
report: the queue gathers the rest), through notifications, which batch
them into one unread line each and leave out staff who muted the kind."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from notifications.notify import Kind, notify_each

from .models import Report
from .targets import Target


class ReportRefused(ValueError):
    """A report that cannot be made, with the sentence saying why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def report(user, target: Target, reason: str, text: str = "") -> Report:
    if target.owner_id is None:  # a comment kept after its author left
        raise ReportRefused(
            "Its author deleted their account: the image's owner or staff can delete it."
        )
    if target.owner_id == user.pk:
        raise ReportRefused(f"You can't report {_own(target)}.")
    try:
        with transaction.atomic():
            made = Report.objects.create(
                reporter=user,
                kind=target.kind,
                target_id=target.id,
                target_owner_id=target.owner_id,
                reason=reason,
                text=text.strip(),
            )
            if _open_reports(target) == 1:
                _tell_staff(user, target)
            return made
    except IntegrityError:  # one_open_report_per_person
        raise ReportRefused(
            f"You have already reported {target.label}: the moderators will look at it."
        ) from None


def _open_reports(target: Target) -> int:
    return Report.objects.filter(
        resolved_at__isnull=True, kind=target.kind, target_id=target.id
    ).count()


def _tell_staff(reporter, target: Target) -> None:
    staff = get_user_model().objects.filter(is_staff=True, is_active=True)
    text = _named(target)
    notify_each(staff.values_list("pk", flat=True), Kind.REPORT, actor=reporter, text=text)


def _named(target: Target) -> str:
    """What the notification says was reported."""
    if target.kind == Report.Kind.IMAGE:
        return f"the image “{target.obj.display_title}”"
    if target.kind == Report.Kind.TOPIC:
        return f"the topic “{target.obj.name}”"
    if target.kind == Report.Kind.COMMENT:
        return "a comment"
    return target.label


def _own(target: Target) -> str:
    return "your own profile" if target.kind == Report.Kind.PROFILE else f"your own {target.kind}"
