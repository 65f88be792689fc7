"""Reporting content to the moderators: one open report per person and
target, never of one's own content. The page and the API both call
``report``; the rate limit is the views' (atelier.rate_limits.REPORTS)."""

from django.db import IntegrityError, transaction

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
            return Report.objects.create(
                reporter=user,
                kind=target.kind,
                target_id=target.id,
                target_owner_id=target.owner_id,
                reason=reason,
                text=text.strip(),
            )
    except IntegrityError:  # one_open_report_per_person
        raise ReportRefused(
            f"You have already reported {target.label}: the moderators will look at it."
        ) from None


def _own(target: Target) -> str:
    return "your own profile" if target.kind == Report.Kind.PROFILE else f"your own {target.kind}"
