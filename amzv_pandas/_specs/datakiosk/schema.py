"""The Data Kiosk datasets we ship (their SDL) and the checks of a query against them.

Each dataset is one versioned root field of ``Query`` (``analytics_vendorAnalytics_2024_09_30``)
described by the SDL copied from Amazon (``<dataset>.graphql`` next to this module). Schemas are
built once with graphql-core's ``build_schema``; :func:`check_query` parses and validates a query
with graphql-core (the reference implementation: no hand-written GraphQL parsing) and adds
the service's own rules: one dataset, one view, no introspection, 8,000 characters after
unnecessary whitespace is removed.
"""

from __future__ import annotations

import datetime as _dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import (DocumentNode, FieldNode, GraphQLError, GraphQLSchema, OperationDefinitionNode, build_schema,
                     parse, print_ast, validate)
from graphql.utilities import strip_ignored_characters

from ...exceptions import ConfigurationError
from ..._util.checks import did_you_mean

__all__ = ["DATASETS", "VENDOR_ANALYTICS", "MAX_QUERY_CHARS", "CheckedQuery", "load_schema", "check_query",
           "canonical_query", "retention_days"]

HERE = Path(__file__).parent
VENDOR_ANALYTICS = "analytics_vendorAnalytics_2024_09_30"
#: The datasets whose SDL ships in the package (root field of ``Query``).
DATASETS: tuple[str, ...] = (VENDOR_ANALYTICS,)
#: createQuery's limit, counted after unnecessary whitespace is removed (model).
MAX_QUERY_CHARS = 8000


@functools.lru_cache(maxsize=None)
def load_schema(dataset: str = VENDOR_ANALYTICS) -> GraphQLSchema:
    """The graphql-core schema of a shipped dataset (built once per process)."""
    if dataset not in DATASETS:
        close = did_you_mean(dataset, DATASETS)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigurationError(f"dataset {dataset!r} is not shipped{hint}; allowed: {', '.join(DATASETS)}",
                                 parameter="query", value=dataset, allowed=list(DATASETS))
    return build_schema((HERE / f"{dataset}.graphql").read_text("utf-8"))


@dataclass(frozen=True)
class CheckedQuery:
    """A query that passed every check: its text, AST, dataset and the one view it selects."""

    text: str
    document: DocumentNode
    dataset: str
    view: FieldNode  # the selected view field (``manufacturingView(...)``)

    @property
    def canonical(self) -> str:
        """The printed AST: equal for queries that differ only in layout or comments."""
        return print_ast(self.document)

    def arguments(self) -> dict[str, Any]:
        """The view's literal arguments (variables are not supported by createQuery)."""
        out: dict[str, Any] = {}
        for arg in self.view.arguments or ():
            value = arg.value
            out[arg.name.value] = getattr(value, "value", None)
        return out


def _where(error: GraphQLError) -> str:
    locs = error.locations or []
    return f" (line {locs[0].line}, column {locs[0].column})" if locs else ""


def _refuse(why: str, query: str, error: GraphQLError | None = None) -> ConfigurationError:
    where = _where(error) if error is not None else ""
    msg = f"query is not a valid Data Kiosk query{where}: {why}"
    return ConfigurationError(msg, parameter="query", value=query[:200],
                              allowed=f"a GraphQL query of one shipped dataset ({', '.join(DATASETS)})")


def canonical_query(text: str) -> str:
    """``text`` reprinted by graphql-core (layout and comments do not matter)."""
    return print_ast(parse(text))


def check_query(query: Any) -> CheckedQuery:
    """Parse and validate ``query`` against its dataset's SDL, and apply the service's rules.

    Raises
    ------
    ConfigurationError
        Not a string, a syntax error or a validation error (with its line and column), an
        unknown dataset (did-you-mean), introspection, several views, or more than
        :data:`MAX_QUERY_CHARS` characters after whitespace removal; ``parameter="query"``.
    """
    if not isinstance(query, str) or not query.strip():
        raise ConfigurationError(f"query={query!r:.80} must be a non-empty GraphQL query string",
                                 parameter="query", value=query, allowed="a GraphQL query string")
    try:
        document = parse(query)
    except GraphQLError as exc:
        raise _refuse(exc.message, query, exc) from None
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(ops) != 1 or ops[0].operation.value != "query":
        raise _refuse("it must hold exactly one query operation", query)
    op = ops[0]
    if op.variable_definitions:
        raise _refuse("variables are not supported by createQuery; write the values into the query", query)
    roots = [s for s in op.selection_set.selections if isinstance(s, FieldNode)]
    if any(r.name.value.startswith("__") for r in roots):
        raise _refuse("introspection is not allowed", query)
    if len(roots) != 1 or len(op.selection_set.selections) != 1:
        raise _refuse("select exactly one dataset field at the top level, e.g. " + VENDOR_ANALYTICS, query)
    dataset = roots[0].name.value
    if dataset not in DATASETS:
        close = did_you_mean(dataset, DATASETS)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        err = GraphQLError("", nodes=[roots[0]])
        raise _refuse(f"dataset {dataset!r} is not one we ship{hint}; allowed: {', '.join(DATASETS)}", query, err)
    schema = load_schema(dataset)
    errors = validate(schema, document)
    if errors:
        more = [f"{e.message}{_where(e)}" for e in errors[1:3]]
        raise _refuse("; ".join([errors[0].message, *more]), query, errors[0])
    views = [s for s in (roots[0].selection_set.selections if roots[0].selection_set else ())]
    if len(views) != 1 or not isinstance(views[0], FieldNode):
        raise _refuse("a query may select only one view of the dataset (e.g. manufacturingView)", query)
    if any(v.name.value.startswith("__") for v in views):
        raise _refuse("introspection is not allowed", query)
    size = len(strip_ignored_characters(query))
    if size > MAX_QUERY_CHARS:
        raise _refuse(f"it has {size} characters after whitespace removal; createQuery takes at most "
                      f"{MAX_QUERY_CHARS}", query)
    return CheckedQuery(query, document, dataset, views[0])


def retention_days(value: str | None) -> int | None:
    """Days of an ISO 8601 ``PnD``/``PnW`` duration (the ``@resultRetention`` form), else None."""
    if not value or not value.startswith("P"):
        return None
    body = value[1:]
    try:
        if body.endswith("D"):
            return int(body[:-1])
        if body.endswith("W"):
            return 7 * int(body[:-1])
    except ValueError:
        return None
    return None


def two_years_back(today: _dt.date) -> _dt.date:
    """The earliest start the dataset accepts: the same day two years before ``today``."""
    try:
        return today.replace(year=today.year - 2)
    except ValueError:  # 29 February
        return today.replace(year=today.year - 2, day=28)
