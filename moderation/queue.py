"""The staff's queue: open reports grouped by what they report, the target
reported first at the top, each with the content (or None when it is gone)
and every report's reason."""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model

from gallery.models import Comment, Image, Topic

from .models import Report
from .targets import target_url

CASES_SHOWN = 50
# Open reports read for one page of the queue: a target reported by many
# people takes many of them, so a page may show fewer than CASES_SHOWN.
REPORTS_READ = 1000


@dataclass
class Case:
    kind: str
    target_id: int
    owner: object  # the user whose content it is
    target: object | None = None  # None once deleted
    reports: list = field(default_factory=list)

    @property
    def first_reported(self) -> datetime:
        return self.reports[0].created

    @property
    def url(self) -> str:
        return target_url(self.kind, self.target) if self.target is not None else ""

    @property
    def reasons(self) -> list[str]:
        return sorted({report.get_reason_display() for report in self.reports})

    @property
    def owner_suspended(self) -> bool:
        return not self.owner.is_active


def open_cases(limit: int = CASES_SHOWN) -> list[Case]:
    reports = (
        Report.objects.filter(resolved_at__isnull=True)
        .select_related("reporter", "target_owner__profile")
        .order_by("created", "id")[:REPORTS_READ]
    )
    cases: dict[tuple[str, int], Case] = {}
    for report in reports:
        key = (report.kind, report.target_id)
        if key not in cases:
            if len(cases) == limit:
                continue
            cases[key] = Case(report.kind, report.target_id, report.target_owner)
        cases[key].reports.append(report)
    _load_targets(cases)
    return list(cases.values())


LOADERS = {
    Report.Kind.IMAGE: lambda: Image.objects.all(),
    Report.Kind.COMMENT: lambda: Comment.objects.all(),
    Report.Kind.TOPIC: lambda: Topic.objects.all(),
    Report.Kind.PROFILE: lambda: get_user_model().objects.select_related("profile"),
}


def _load_targets(cases: dict) -> None:
    """One query per kind."""
    for kind, rows in LOADERS.items():
        ids = [target_id for case_kind, target_id in cases if case_kind == kind]
        if ids:
            found = rows().in_bulk(ids)
            for target_id in ids:
                cases[(kind, target_id)].target = found.get(target_id)
