"""Data Kiosk queries in the sandbox: checks worded like Amazon's service, and execution with graphql-core.

:func:`check_query` applies createQuery's rules (the 8,000-character limit after unnecessary
whitespace is removed, one operation, no variables, no introspection, graphql-core validation
against the SDL with the problems worded like graphql-java, one view of one versioned domain,
the dates) and raises :class:`QueryRefused` for a 400. :func:`execute` runs a checked query with
``graphql_sync`` against resolvers reading :class:`~.vendor_analytics.AnalyticsModel`, so the
answer has exactly the selected fields, aliases included; each element of the view becomes one
JSONL line. A problem found while fetching (``productAvailability`` by DAY over several days,
an unsupported currency) comes back as the list of GraphQL errors Amazon puts in the error
document.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from graphql import (FieldNode, FragmentSpreadNode, GraphQLError, GraphQLSchema, InlineFragmentNode,
                     OperationDefinitionNode, build_schema, graphql_sync, parse, validate)
from graphql.utilities import strip_ignored_characters

from ... import _specs
from .util import FX
from .vendor_analytics import LEAVES, VIEW_GROUPS, AnalyticsModel, Period, NOT_DAILY

__all__ = ["DOMAIN", "MAX_QUERY_CHARS", "CheckedQuery", "QueryRefused", "check_query", "execute", "load_schema"]

DOMAIN = "analytics_vendorAnalytics_2024_09_30"
MAX_QUERY_CHARS = 8000
_SDL = Path(_specs.__file__).parent / "datakiosk" / f"{DOMAIN}.graphql"


class QueryRefused(Exception):
    """createQuery answers 400 InvalidInput with ``message`` and ``details``."""

    def __init__(self, message: str, details: str) -> None:
        super().__init__(f"{message}: {details}")
        self.message = message
        self.details = details


@functools.lru_cache(maxsize=None)
def load_schema() -> GraphQLSchema:
    """The Vendor Analytics schema (graphql-core ``build_schema`` of the shipped SDL)."""
    return build_schema(_SDL.read_text("utf-8"))


@dataclass(frozen=True)
class CheckedQuery:
    """A query createQuery accepted: its text, the view and its arguments."""

    text: str
    view: str
    aggregate_by: str
    start: date
    end: date
    currency: str | None
    groups: tuple[str, ...]  # metric groups selected anywhere (totals or metrics)


# -- checks -----------------------------------------------------------------------------------


def _fields(selection_set: Any, fragments: dict[str, Any]) -> list[FieldNode]:
    """The field nodes of a selection set, fragments expanded."""
    out: list[FieldNode] = []
    for sel in selection_set.selections if selection_set is not None else ():
        if isinstance(sel, FieldNode):
            out.append(sel)
        elif isinstance(sel, InlineFragmentNode):
            out += _fields(sel.selection_set, fragments)
        elif isinstance(sel, FragmentSpreadNode) and sel.name.value in fragments:
            out += _fields(fragments[sel.name.value].selection_set, fragments)
    return out


def _paths(doc: Any) -> dict[int, str]:
    """``id(node) -> 'a/b/c'`` for every field node and the argument nodes inside it."""
    fragments = {d.name.value: d for d in doc.definitions if d.kind == "fragment_definition"}
    out: dict[int, str] = {}

    def walk(selection_set: Any, prefix: str, depth: int) -> None:
        if depth > 30:
            return
        for sel in selection_set.selections if selection_set is not None else ():
            if isinstance(sel, FieldNode):
                path = f"{prefix}/{sel.name.value}" if prefix else sel.name.value
                out[id(sel)] = path
                out[id(sel.selection_set)] = path
                for arg in sel.arguments or ():
                    out[id(arg)] = out[id(arg.value)] = path
                walk(sel.selection_set, path, depth + 1)
            else:
                target = sel if isinstance(sel, InlineFragmentNode) else fragments.get(sel.name.value)
                if target is not None:
                    walk(target.selection_set, prefix, depth + 1)

    for d in doc.definitions:
        if isinstance(d, OperationDefinitionNode):
            walk(d.selection_set, "", 0)
    return out


_WORDING: tuple[tuple[re.Pattern[str], str, str], ...] = tuple((re.compile(p), kind, text) for p, kind, text in (
    (r"Cannot query field '(\w+)' on type '(\w+)'", "FieldUndefined", "Field '{0}' in type '{1}' is undefined"),
    (r"Argument '[\w.]+\((\w+):\)' of type '([^']+)' is required", "MissingFieldArgument",
     "Missing field argument '{0}'"),
    (r"Unknown argument '(\w+)' on field", "UnknownArgument", "Unknown field argument '{0}'"),
    (r"Value '(\w+)' does not exist in '(\w+)' enum", "WrongType",
     "argument value 'EnumValue{{name='{0}'}}' is not a valid '{1}' - Literal value not in allowable values "
     "for enum '{1}' - 'EnumValue{{name='{0}'}}'"),
    (r"Field '(\w+)' of type '([^']+)' must have a selection of subfields", "SubselectionRequired",
     "Subselection required for type '{1}' of field '{0}'"),
    (r"Field '(\w+)' must not have a selection since type '(\w+)' has no subfields", "SubselectionNotAllowed",
     "Subselection not allowed on leaf type '{1}' of field '{0}'"),
    (r"Unknown fragment '(\w+)'", "UndefinedFragment", "Undefined fragment {0}"),
))


def _java_wording(error: GraphQLError, paths: dict[int, str]) -> str:
    """A graphql-core validation error as graphql-java words it."""
    path = next((paths[id(n)] for n in error.nodes or () if id(n) in paths), "")
    for pattern, kind, text in _WORDING:
        m = pattern.search(error.message)
        if m:
            if kind == "FieldUndefined":
                path = path if path.endswith(m.group(1)) else f"{path}/{m.group(1)}".lstrip("/")
            return f"Validation error ({kind}@[{path}]) : {text.format(*m.groups())}"
    return f"Validation error (WrongType@[{path}]) : {error.message.rstrip('.')}"


def _refuse(details: str) -> QueryRefused:
    return QueryRefused("Invalid query.", details)


def check_query(text: Any, today: date) -> CheckedQuery:
    """createQuery's checks of ``query``; :class:`QueryRefused` for a 400.

    Parameters
    ----------
    text : Any
        The body's ``query`` value.
    today : date
        The service's date (UTC), for the two-year rule.
    """
    if not isinstance(text, str) or not text.strip():
        raise QueryRefused("Invalid input", "'query' is required and must be a non-empty string.")
    try:
        doc = parse(text)
    except GraphQLError as exc:
        loc = exc.locations[0] if exc.locations else None
        where = f" at line {loc.line} column {loc.column}" if loc else ""
        raise _refuse(f"Invalid Syntax : {exc.message.removeprefix('Syntax Error: ')}{where}") from None
    stripped = len(strip_ignored_characters(text))
    if stripped > MAX_QUERY_CHARS:
        raise QueryRefused("Invalid input", f"The query must be at most {MAX_QUERY_CHARS} characters after "
                                            f"unnecessary whitespace is removed; it has {stripped}.")
    ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
    if len(ops) != 1 or ops[0].operation.value != "query":
        raise _refuse("A query document must hold exactly one query operation.")
    if ops[0].variable_definitions:
        raise _refuse("Variables are not supported; write the values into the query.")
    if re.search(r"\b__(schema|type)\b", text) and any(
            f.name.value in ("__schema", "__type") for f in _fields(ops[0].selection_set, {})):
        raise _refuse("Introspection queries are not allowed.")
    errors = validate(load_schema(), doc)
    if errors:
        paths = _paths(doc)
        raise _refuse("; ".join(dict.fromkeys(_java_wording(e, paths) for e in errors)))
    fragments = {d.name.value: d for d in doc.definitions if d.kind == "fragment_definition"}
    roots = _fields(ops[0].selection_set, fragments)
    if any(f.name.value.startswith("__") for f in roots):
        raise _refuse("Introspection queries are not allowed.")
    if len(roots) != 1:
        raise _refuse("Versioned domain cannot select multiple query fields")
    views = [f for f in _fields(roots[0].selection_set, fragments) if not f.name.value.startswith("__")]
    if len(views) != 1:
        raise _refuse("Versioned domain cannot select multiple query fields")
    view = views[0]
    args = {a.name.value: a.value for a in view.arguments or ()}
    path = f"{DOMAIN}/{view.name.value}"
    dates = {}
    for name in ("startDate", "endDate"):
        node = args[name]
        try:
            dates[name] = date.fromisoformat(node.value) if node.kind == "string_value" and len(node.value) == 10 \
                else None
        except ValueError:
            dates[name] = None
        if dates[name] is None:
            raise _refuse(f"Validation error (WrongType@[{path}]) : argument '{name}' with value "
                          f"'{getattr(node, 'value', node.kind)}' is not a valid 'Date' - Invalid RFC3339 full date")
    start, end = dates["startDate"], dates["endDate"]
    if end < start:
        raise QueryRefused("Invalid input", f"endDate {end} must not be before startDate {start}.")
    try:
        limit = today.replace(year=today.year - 2)
    except ValueError:  # 29 February
        limit = today.replace(year=today.year - 2, day=28)
    if start < limit:
        raise QueryRefused("Invalid input", f"The startDate {start} must be no more than two years ago "
                                            f"(on or after {limit}).")
    currency = args.get("currencyCode")
    groups: list[str] = []
    for f in _fields(view.selection_set, fragments):
        if f.name.value == "totals":
            groups += [g.name.value for g in _fields(f.selection_set, fragments)]
        elif f.name.value == "metrics":
            for sub in _fields(f.selection_set, fragments):
                if sub.name.value == "metrics":
                    groups += [g.name.value for g in _fields(sub.selection_set, fragments)]
    return CheckedQuery(text=text, view=view.name.value, aggregate_by=args["aggregateBy"].value, start=start,
                        end=end, currency=getattr(currency, "value", None), groups=tuple(dict.fromkeys(groups)))


# -- execution ----------------------------------------------------------------------------------


class _Fatal(Exception):
    """A problem found while fetching data: the query ends FATAL."""


def _amount(cents: Any, currency: str) -> dict[str, Any]:
    return {"amount": round(int(cents) / 100, 2), "currencyCode": currency}


def _metrics_rows(model: AnalyticsModel, c: dict[str, np.ndarray], groups: Sequence[str], currency: str,
                  daily: bool, topics: Sequence[str | None] | None, forecast: dict[str, np.ndarray] | None,
                  ) -> list[list[dict[str, Any]]]:
    """``[group][period] -> metrics dict`` of every metric group in ``groups``."""
    n_groups, n_periods = next(iter(c.values())).shape
    rows = [[{} for _ in range(n_periods)] for _ in range(n_groups)]
    for group in groups:
        if group == "forecasting":
            continue
        for path, kind, how in LEAVES.get(group, ()):
            head, _, tail = path.rpartition(".")
            if daily and head in NOT_DAILY:
                values, null = None, None
            else:
                values, null = model.leaf(c, kind, how)
            for g in range(n_groups):
                for p in range(n_periods):
                    target = rows[g][p].setdefault(group, {})
                    if head:
                        if values is None:
                            target[head] = None
                            continue
                        target = target.setdefault(head, {})
                    if values is None or (null is not None and null[g, p]):
                        target[tail] = None
                    elif kind == "amount":
                        target[tail] = _amount(values[g, p], currency)
                    elif kind == "long":
                        target[tail] = int(values[g, p])
                    else:
                        target[tail] = float(values[g, p])
    for g in range(n_groups):
        text = topics[g] if topics is not None else None
        review = None if text is None else {name: text for name in (
            "negativeReviewTopicImpactOnStarRating", "negativeReviewTopicTrends", "negativeReviewTopics",
            "positiveReviewTopicImpactOnStarRating", "positiveReviewTopicTrends", "positiveReviewTopics")}
        for p in range(n_periods):
            row = rows[g][p]
            if "customerSatisfaction" in row:
                row["customerSatisfaction"]["customerReturnTopics"] = (
                    None if text is None else {"browseNodeReturnTopicTrends": text, "browseNodeReturnTopics": text})
                row["customerSatisfaction"]["customerReviews"] = (
                    None if review is None else {"asinReviewTopics": review, "browseNodeReviewTopics": review})
            if forecast is not None and "forecasting" in groups:
                first = forecast["first"][p]
                row["forecasting"] = [
                    {"weekNumber": k + 1, "startDate": str(first + np.timedelta64(7 * k, "D")),
                     "endDate": str(first + np.timedelta64(7 * k + 6, "D")),
                     "demand": {s: int(forecast[s][g, p, k]) for s in ("mean", "p70", "p80", "p90")}}
                    for k in range(forecast["mean"].shape[2])]
    return rows


def _group_keys(info: Any) -> list[str]:
    """The ``groupByKey`` fields selected under ``metrics`` (they define the grouping)."""
    fragments = info.fragments
    keys: list[str] = []
    for node in info.field_nodes:
        for f in _fields(node.selection_set, fragments):
            if f.name.value != "metrics":
                continue
            for sub in _fields(f.selection_set, fragments):
                if sub.name.value == "groupByKey":
                    keys += [k.name.value for k in _fields(sub.selection_set, fragments)
                             if not k.name.value.startswith("__")]
    return list(dict.fromkeys(keys))


def execute(checked: CheckedQuery, model: AnalyticsModel, periods: Sequence[Period],
            marketplace_ids: Sequence[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """Run ``checked`` over ``periods``: (JSONL lines, None) or ([], GraphQL errors for the error document)."""
    currency = checked.currency or "USD"
    daily = checked.aggregate_by == "DAY"

    def view(info: Any, **args: Any) -> list[dict[str, Any]]:
        if currency not in FX:
            raise _Fatal(f"The currency code {currency} is not supported.")
        if daily and "productAvailability" in checked.groups and checked.start != checked.end:
            raise _Fatal("The same start and end dates must be requested for Daily Inventory metrics.")
        if not periods:
            return []
        comps = model.components(checked.view, periods, currency)
        groups = [g for g in checked.groups if g in VIEW_GROUPS[checked.view]]
        totals = model.reduce(comps, np.zeros(model.n_asins, dtype=np.int64), 1)
        keys = _group_keys(info)
        codes: dict[Any, int] = {}
        key_rows: list[dict[str, Any]] = []
        columns = {k: model.attribute(k, currency) for k in keys}
        index = np.zeros(model.n_asins, dtype=np.int64)
        for i in range(model.n_asins):
            key = {k: columns[k][i] for k in keys}
            marker = tuple(str(v) for v in key.values())
            if marker not in codes:
                codes[marker] = len(codes)
                key_rows.append(key)
            index[i] = codes[marker]
        grouped = model.reduce(comps, index, len(codes)) if keys else None
        per_asin = keys and "asin" in keys and len(codes) == model.n_asins
        topics = [model.return_topics(i) for i in range(model.n_asins)] if per_asin else None
        fc = model.forecast(periods, index, len(codes)) if keys and "forecasting" in groups else None
        fc_total = (model.forecast(periods, np.zeros(model.n_asins, dtype=np.int64), 1)
                    if "forecasting" in groups else None)
        total_rows = _metrics_rows(model, totals, groups, currency, daily, None, fc_total)[0]
        group_rows = _metrics_rows(model, grouped, groups, currency, daily, topics, fc) if grouped else []
        lines = []
        for p, period in enumerate(periods):
            for mid in marketplace_ids:
                lines.append({"startDate": period.start.isoformat(), "endDate": period.end.isoformat(),
                              "marketplaceId": mid, "totals": total_rows[p],
                              "metrics": [{"groupByKey": key_rows[g], "metrics": group_rows[g][p]}
                                          for g in range(len(group_rows))]})
        return lines

    root = {DOMAIN: {checked.view: view}}
    result = graphql_sync(load_schema(), checked.text, root_value=root)
    if result.errors:
        errors = []
        for e in result.errors:
            where = "/" + "/".join(str(p) for p in (e.path or [DOMAIN, checked.view]))
            errors.append({"message": f"Exception while fetching data ({where}) : {e.message}",
                           "locations": [{"line": loc.line, "column": loc.column} for loc in e.locations or ()],
                           "path": list(e.path or []),
                           "extensions": {"classification": "DataFetchingException",
                                          "GraphQLPublicFatalException": e.message}})
        return [], errors
    domain = (result.data or {}).get(DOMAIN) or {}
    lines = next(iter(domain.values()), None) or []
    return list(lines), None
