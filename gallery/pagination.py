"""Keyset (cursor) pagination: a page starts after the last row of the one
before, found through an index, never by counting rows with OFFSET. Page 2 000
costs what page 1 costs (every read is an index seek, see ``_rows_after``), and
rows added between two pages can neither repeat a row nor skip one.

An ordering is a tuple of field (or annotation) names, descending where they
start with "-", ending with a unique tie-break (the id), e.g. ``("-created", "-id")``. The
cursor is the ordering's values for the last row shown, signed, so a client
can hold it but not forge or edit it.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core import signing
from django.db.models import Func, Q, QuerySet

PAGE_SIZE = 24


class InvalidCursor(ValueError):
    pass


def first_rows(queryset: QuerySet, limit: int) -> list:
    """How a page reads its rows unless told otherwise: the queryset's first ``limit``."""
    return list(queryset[:limit])


@dataclass
class Page:
    items: list
    next_cursor: str | None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


def paginate(
    queryset: QuerySet,
    ordering: Sequence[str],
    cursor: str | None = None,
    *,
    size: int = PAGE_SIZE,
    salt: str = "",
    fetch: Callable[[QuerySet, int], list] = first_rows,
) -> Page:
    """One page of ``queryset`` in ``ordering``, after ``cursor`` if given;
    ``fetch(queryset, limit)`` reads the rows of each query (it is given the
    queryset ordered and filtered). Raises InvalidCursor for a cursor this
    ordering (and ``salt``) did not make."""
    queryset = queryset.order_by(*ordering)
    if cursor:
        values = decode_cursor(cursor, ordering, salt=salt)
        rows = _rows_after(queryset, ordering, values, size + 1, fetch)
    else:
        rows = fetch(queryset, size + 1)
    items = rows[:size]
    next_cursor = None
    if len(rows) > size:
        next_cursor = encode_cursor(
            [_value(items[-1], key) for key in ordering], ordering, salt=salt
        )
    return Page(items=items, next_cursor=next_cursor)


def _rows_after(queryset, ordering, values, limit, fetch) -> list:
    """The first ``limit`` rows after ``values``, found by index seeks.

    When the first key rarely ties (a timestamp), one query does it: ``a <=
    x`` starts at the cursor in an index on (a, b), and the cursor's own row
    (with any other tied on ``a`` before it) is dropped from what it reads
    (``_rows_after_moment``). When it often ties (a count:
    most images have no like yet) that step would pass every tied row, so the
    rows are read in steps that each seek exactly (``a = x AND b < y``, then
    ``a < x``), stopping once the page is full. (A row value, ``(a, b) < (x,
    y)``, would be one query, but SQLite seeks on its first column only and
    PostgreSQL misjudges how many rows it matches.)"""
    if isinstance(values[0], datetime):
        return _rows_after_moment(queryset, ordering, values, limit, fetch)
    rows = []
    for step in steps_after(ordering, values):
        rows += fetch(queryset.filter(step), limit - len(rows))
        if len(rows) >= limit:
            break
    return rows


def _rows_after_moment(queryset, ordering, values, limit, fetch) -> list:
    """``_rows_after`` when the first key is a timestamp: one seek to the
    cursor's moment (``a <= x``) reads the page plus the cursor's own row (a
    timestamp rarely ties, and the tied rows at or before the cursor come
    first), which are dropped here. The filter stays a single range, cheap for
    the ORM to build and the database to plan. Should ties fill that read,
    the exact filter (``after``) reads the page again."""
    fields = _fields(ordering)
    read = limit + 1
    rows = fetch(queryset.filter(_from_first_value(fields, values)), read)
    start = 0  # the rows at or before the cursor come first
    while start < len(rows) and not _beyond(rows[start], fields, values):
        start += 1
    kept = rows[start:]
    if len(kept) >= limit or len(rows) < read:
        return kept[:limit]
    return fetch(queryset.filter(after(ordering, values)), limit)


def _beyond(row, fields, values) -> bool:
    """Whether ``row`` comes strictly after ``values`` in the ordering's ``fields``."""
    for (name, descending), value in zip(fields, values, strict=True):
        mine = getattr(row, name)
        if mine != value:
            return mine < value if descending else mine > value
    return False


def after(ordering: Sequence[str], values: Sequence) -> Q:
    """Rows after ``values`` in ``ordering``, as one filter whose first column
    gives the index a starting point: ``a <= x AND (a < x OR (a = x AND …))``."""
    fields = _fields(ordering)

    def beyond(i):
        name, descending = fields[i]
        strictly = Q(**{f"{name}__{'lt' if descending else 'gt'}": values[i]})
        if i == len(fields) - 1:
            return strictly
        return strictly | (Q(**{name: values[i]}) & beyond(i + 1))

    return _from_first_value(fields, values) & beyond(0)


def _from_first_value(fields, values) -> Q:
    """The rows whose first key is the cursor's or beyond it: where an index
    on the ordering starts reading."""
    first, descending = fields[0]
    return Q(**{f"{first}__{'lte' if descending else 'gte'}": values[0]})


def steps_after(ordering: Sequence[str], values: Sequence) -> list[Q]:
    """The rows after ``values`` in ``ordering``, as disjoint filters listed in
    that order: for (a desc, b desc), ``a = x AND b < y``, then ``a < x``."""
    fields = _fields(ordering)
    steps = []
    for i in reversed(range(len(fields))):
        name, descending = fields[i]
        step = Q(**{f"{name}__{'lt' if descending else 'gt'}": values[i]})
        for j in range(i):
            step &= Q(**{fields[j][0]: values[j]})
        steps.append(step)
    return steps


def _fields(ordering):
    return [(key.removeprefix("-"), key.startswith("-")) for key in ordering]


def encode_cursor(values: Sequence, ordering: Sequence[str], *, salt: str = "") -> str:
    return signing.dumps([_pack(v) for v in values], salt=_salt(ordering, salt), compress=False)


def decode_cursor(cursor: str, ordering: Sequence[str], *, salt: str = "") -> list:
    try:
        packed = signing.loads(cursor, salt=_salt(ordering, salt))
        if not isinstance(packed, list) or len(packed) != len(ordering):
            raise ValueError
        return [_unpack(v) for v in packed]
    except (signing.BadSignature, ValueError, TypeError, KeyError) as exc:
        raise InvalidCursor(
            "This cursor is not valid: use the `next` link of a previous page."
        ) from exc


def _salt(ordering, salt) -> str:
    return f"gallery.pagination:{salt}:{','.join(ordering)}"


def _value(item, key: str):
    return getattr(item, key.removeprefix("-"))


def _pack(value):
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"Cannot put {value!r} in a cursor")
    return value


def _unpack(value):
    if isinstance(value, dict):
        moment = datetime.fromisoformat(value["t"])
        if moment.tzinfo is None:
            raise ValueError("naive datetime in a cursor")
        return moment
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("unexpected value in a cursor")
    return value


class Unindexed(Func):
    """``+expression``: the same value, which no index answers. Steers the
    planner to the other index when the one on this column would be slower."""

    template = "+%(expressions)s"
