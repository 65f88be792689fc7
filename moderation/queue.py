"""The staff's queue: open reports grouped by what they report, the target
reported first at the top, CASES_SHOWN a page, each with the content (or
None when it is gone), how many open reports it has and the first of them."""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core import signing
from django.db.models import Exists, F, OuterRef, Q, Window
from django.db.models.functions import RowNumber

from gallery.counts import total
from gallery.models import Comment, Image, Topic

from .models import Report
from .targets import target_url

CASES_SHOWN = 50
# A case lists its first reports; ``report_count`` says how many are open.
REPORTS_SHOWN = 20
CURSOR_SALT = "moderation.queue"


class InvalidCursor(ValueError):
    pass


@dataclass
class Case:
    kind: str
    target_id: int
    owner: object  # the user whose content it is
    report_count: int = 0  # open reports, of which ``reports`` holds the first
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

    @property
    def more_reports(self) -> int:
        return self.report_count - len(self.reports)


def _open():
    return Report.objects.filter(resolved_at__isnull=True)


def _same_target():
    return _open().filter(kind=OuterRef("kind"), target_id=OuterRef("target_id"))


def open_cases(after: str | None = None, limit: int = CASES_SHOWN) -> tuple[list[Case], str | None]:
    """One page of cases, the target reported first first, after the signed
    cursor ``after`` (InvalidCursor for one this did not make), and the
    cursor of the next page, or None. A case is keyed by its target's first
    open report: a keyset on (created, id) over the open reports' partial
    index, so page 10 costs what page 1 does; in all, one query for the
    page's cases, one for their reports and one a kind of target."""
    earlier = _same_target().filter(
        Q(created__lt=OuterRef("created")) | Q(created=OuterRef("created"), pk__lt=OuterRef("pk"))
    )
    firsts = (
        _open()
        .filter(~Exists(earlier))
        .annotate(open_count=total(_same_target()))
        .select_related("target_owner__profile")
        .order_by("created", "id")
    )
    if after:
        moment, pk = _read_cursor(after)
        firsts = firsts.filter(Q(created__gt=moment) | Q(created=moment, pk__gt=pk))
    heads = list(firsts[: limit + 1])
    cursor = _cursor(heads[limit - 1]) if len(heads) > limit else None
    cases = {
        (head.kind, head.target_id): Case(
            head.kind, head.target_id, head.target_owner, head.open_count
        )
        for head in heads[:limit]
    }
    _load_reports(cases)
    _load_targets(cases)
    return list(cases.values()), cursor


def _cursor(report) -> str:
    return signing.dumps([report.created.isoformat(), report.pk], salt=CURSOR_SALT)


def _read_cursor(after: str) -> tuple[datetime, int]:
    try:
        moment, pk = signing.loads(after, salt=CURSOR_SALT)
        return datetime.fromisoformat(moment), int(pk)
    except (signing.BadSignature, TypeError, ValueError) as exc:
        raise InvalidCursor("not a cursor of the queue") from exc


def _load_reports(cases: dict) -> None:
    """The first REPORTS_SHOWN open reports of each case, in one query."""
    if not cases:
        return
    which = Q()
    for kind in {kind for kind, _ in cases}:
        which |= Q(kind=kind, target_id__in=[t for k, t in cases if k == kind])
    numbered = (
        _open()
        .filter(which)
        .annotate(
            n=Window(
                RowNumber(),
                partition_by=[F("kind"), F("target_id")],
                order_by=[F("created").asc(), F("id").asc()],
            )
        )
        .filter(n__lte=REPORTS_SHOWN)
        .select_related("reporter")
        .order_by("created", "id")
    )
    for report in numbered:
        cases[(report.kind, report.target_id)].reports.append(report)


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
