"""Building a Vendor Analytics query from metric names, with every check made before any call.

:func:`plan_query` checks ``view``, ``aggregate_by``, ``metrics``, ``group_by``, ``currency``
and the dates (two years back at most, not in the future, start before end; WEEK/MONTH
clipped to whole periods as the dataset does), then writes the GraphQL text, which
:func:`~amzv_pandas._specs.datakiosk.schema.check_query` validates with graphql-core.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any, Sequence

from ...exceptions import ConfigurationError
from ..._util.checks import check_choice, check_str_list, did_you_mean, invalid
from ..date_range import DateRange
from ..periods import period_end, period_start
from .catalogue import AMOUNT, VIEWS, Metric, group_by_fields, metric_catalogue
from .schema import VENDOR_ANALYTICS, CheckedQuery, check_query, two_years_back

__all__ = ["AGGREGATIONS", "QueryPlan", "plan_query", "resolve_metrics", "resolve_group_by", "clip_range",
           "build_text",
           "check_dates", "check_currency", "SAME_DAY_GROUP"]

AGGREGATIONS = ("DAY", "WEEK", "MONTH")
#: Daily inventory metrics must ask for one day (live service: FATAL otherwise).
SAME_DAY_GROUP = "productAvailability"


@dataclass(frozen=True)
class QueryPlan:
    """What :func:`plan_query` decided: the checked query and the inputs it came from."""

    checked: CheckedQuery
    view: str
    aggregate_by: str
    start: _dt.date
    end: _dt.date
    metrics: tuple[Metric, ...]
    group_by: tuple[str, ...]
    totals: bool
    currency: str | None
    #: Metrics left out of ``metrics=None`` and why (e.g. daily inventory over several days).
    skipped: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return self.checked.text

    @property
    def retention(self) -> str | None:
        """The query's retention: the shortest of its fields' (createQuery's rule)."""
        days = [(m.retention_days, m.retention) for m in self.metrics if m.retention_days is not None]
        return min(days)[1] if days else "P30D"


def resolve_metrics(metrics: Any, view: str) -> tuple[Metric, ...]:
    """Metric groups (``"orders"``), dotted paths (``"traffic.glanceViews"``) or prefixes -> leaves.

    ``None`` selects every metric that is not list-valued. Unknown names raise with a
    did-you-mean among the view's groups and paths.
    """
    catalogue = metric_catalogue(view)
    if metrics is None:
        return tuple(m for m in catalogue if not m.in_list)
    names = check_str_list(metrics, "metrics", what="a metric group or dotted metric path")
    assert names is not None
    groups = sorted({m.group for m in catalogue})
    prefixes = sorted({".".join(m.path.split(".")[:i]) for m in catalogue for i in range(1, m.path.count(".") + 2)})
    chosen: dict[str, Metric] = {}
    for name in names:
        found = [m for m in catalogue if m.path == name or m.path.startswith(name + ".")]
        if not found:
            close = did_you_mean(name, prefixes)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            other = [v for v in VIEWS if v != view and any(
                m.path == name or m.path.startswith(name + ".") for m in metric_catalogue(v))]
            where = f"; it belongs to view={other[0]!r}" if other else ""
            raise invalid("metrics", name, f"a group ({', '.join(groups)}) or a dotted path of view={view!r}, "
                          "see amzv.vendor_analytics_metrics()", f"is not a metric of this view{hint}{where}")
        for m in found:
            chosen.setdefault(m.path, m)
    return tuple(chosen.values())


def resolve_group_by(group_by: Any) -> tuple[str, ...]:
    """GroupByAttributes field names, checked (did-you-mean)."""
    fields = group_by_fields()
    names = check_str_list(group_by, "group_by", what="a GroupByAttributes field")
    assert names is not None
    return tuple(check_choice(n, "group_by", list(fields), case_insensitive=True) for n in names)


def clip_range(start: _dt.date, end: _dt.date, aggregate_by: str) -> tuple[_dt.date, _dt.date]:
    """Whole periods inside ``start`` → ``end`` (a mid-week start moves to the next Sunday)."""
    if aggregate_by == "DAY":
        return start, end
    first = period_start(start, aggregate_by)
    if first != start:
        first = period_end(start, aggregate_by) + _dt.timedelta(days=1)
    last = period_end(end, aggregate_by)
    if last != end:
        last = period_start(end, aggregate_by) - _dt.timedelta(days=1)
    if first > last:
        unit = aggregate_by.lower()
        raise ConfigurationError(
            f"start={start} → end={end} holds no whole {unit} (aggregate_by={aggregate_by!r}: Data Kiosk keeps "
            f"only whole {unit}s{', Sunday to Saturday' if unit == 'week' else ''}); e.g. start="
            f"{period_start(start, aggregate_by)}, end={period_end(start, aggregate_by)}",
            parameter="start", value=str(start), allowed=f"a range holding at least one whole {unit}")
    return first, last


def check_dates(start: Any, end: Any, today: _dt.date | None = None) -> tuple[_dt.date, _dt.date]:
    """``start`` → ``end`` resolved (date grammar), end not in the future, start at most two years back."""
    rng = DateRange.parse(start, end).resolve(today=today)
    day0 = today or _dt.datetime.now(_dt.timezone.utc).date()
    if rng.end > day0:
        raise ConfigurationError(f"end={rng.end} is in the future (today is {day0}); Data Kiosk has no data "
                                 "for it", parameter="end", value=str(rng.end), allowed=f"a date up to {day0}")
    earliest = two_years_back(day0)
    if rng.start < earliest:
        raise ConfigurationError(f"start={rng.start} is more than two years back; the dataset's startDate must be "
                                 f"on or after {earliest}", parameter="start", value=str(rng.start),
                                 allowed=f"a date from {earliest} to {day0}")
    return rng.start, rng.end


def check_currency(currency: Any) -> str | None:
    """An ISO 4217 code (upper case), or None."""
    if currency is None:
        return None
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency.strip()):
        raise invalid("currency", currency, "an ISO 4217 code such as 'USD' or 'EUR', or None",
                      "is not a currency code")
    return currency.strip().upper()


def _selection(paths: Sequence[tuple[str, str]], indent: str) -> str:
    """Nested selection text of dotted ``paths`` (each with its leaf type)."""
    tree: dict[str, Any] = {}
    for path, leaf_type in paths:
        node = tree
        parts = path.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = {"amount": {}, "currencyCode": {}} if leaf_type == AMOUNT else {}

    def render(node: dict[str, Any], pad: str) -> list[str]:
        out = []
        for name, sub in node.items():
            if sub:
                out.append(f"{pad}{name} {{")
                out.extend(render(sub, pad + "  "))
                out.append(f"{pad}}}")
            else:
                out.append(f"{pad}{name}")
        return out

    return "\n".join(render(tree, indent))


def build_text(view: str, aggregate_by: str, start: _dt.date, end: _dt.date, metrics: Sequence[Metric],
               group_by: Sequence[str], totals: bool, currency: str | None) -> str:
    """The GraphQL text of a Vendor Analytics query (one view, one dataset)."""
    field = VIEWS[view][0]
    args = f'startDate: "{start}", endDate: "{end}", aggregateBy: {aggregate_by}'
    if currency:
        args += f', currencyCode: "{currency}"'
    paths = [(m.path, m.type) for m in metrics]
    body = ["      startDate", "      endDate", "      marketplaceId"]
    if totals:
        body += ["      totals {", _selection(paths, "        "), "      }"]
    else:
        kinds = group_by_fields()
        body += ["      metrics {", "        groupByKey {", _selection([(g, kinds[g]) for g in group_by], "          "),
                 "        }", "        metrics {", _selection(paths, "          "), "        }", "      }"]
    return "\n".join([f"query {{", f"  {VENDOR_ANALYTICS} {{", f"    {field}({args}) {{", *body, "    }", "  }",
                      "}"]) + "\n"


def plan_query(start: Any, end: Any, *, view: Any = "manufacturing", aggregate_by: Any = "DAY", metrics: Any = None,
               group_by: Any = ("asin",), totals: Any = False, currency: Any = None,
               today: _dt.date | None = None) -> QueryPlan:
    """Check every argument and build the query; no call is made.

    Raises
    ------
    ConfigurationError
        Naming the parameter, the value and what is allowed (did-you-mean for names).
    """
    view = check_choice(view, "view", list(VIEWS))
    aggregate_by = check_choice(aggregate_by, "aggregate_by", list(AGGREGATIONS))
    if not isinstance(totals, bool):
        raise invalid("totals", totals, [True, False], "must be True or False")
    chosen = resolve_metrics(metrics, view)
    groups = () if totals else resolve_group_by(group_by)
    cur = check_currency(currency)
    first, last = check_dates(start, end, today)
    first, last = clip_range(first, last, aggregate_by)
    skipped: tuple[str, ...] = ()
    if aggregate_by == "DAY" and first != last and any(m.group == SAME_DAY_GROUP for m in chosen):
        if metrics is not None:
            raise ConfigurationError(
                f"metrics: {SAME_DAY_GROUP} with aggregate_by='DAY' needs start == end (Amazon: \"The same start "
                f"and end dates must be requested for Daily Inventory metrics.\"); got {first} → {last}",
                parameter="metrics", value=metrics, allowed=f"one day, WEEK/MONTH, or metrics without {SAME_DAY_GROUP}")
        skipped = tuple(m.path for m in chosen if m.group == SAME_DAY_GROUP)
        chosen = tuple(m for m in chosen if m.group != SAME_DAY_GROUP)
    text = build_text(view, aggregate_by, first, last, chosen, groups, totals, cur)
    return QueryPlan(check_query(text), view, aggregate_by, first, last, chosen, groups, totals, cur, skipped)
