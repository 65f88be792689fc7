"""Counts and sums of related rows as subqueries of one plain aggregate.

Django writes ``rows.values(key).annotate(n=Count(...))`` as a subquery
grouped by ``key``; the database then groups rows it has already filtered
to one key. Without the GROUP BY it computes one plain aggregate, which is
cheaper (bench/feeds.py measures the profile and topic pages)."""

from django.db.models import F, Func, IntegerField, QuerySet, Subquery
from django.db.models.functions import Coalesce


def total(rows: QuerySet, function: str = "COUNT", column: str = "", *, distinct: bool = False):
    """``function`` (COUNT or SUM) of ``column`` over ``rows`` (a queryset
    filtered on the outer row with OuterRef), 0 when there are none. COUNT
    without a column counts rows (``COUNT(*)``, answered from any index)."""
    if not column:
        aggregate = Func(template=f"{function}(*)", output_field=IntegerField())
    else:
        template = "%(function)s(DISTINCT %(expressions)s)" if distinct else Func.template
        aggregate = Func(
            F(column), function=function, template=template, output_field=IntegerField()
        )
    return Coalesce(Subquery(rows.order_by().values(n=aggregate)), 0, output_field=IntegerField())
