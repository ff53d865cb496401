"""The metric catalogue of a view and the shape of a query's answer, read from the SDL.

:func:`metric_catalogue` walks a view's metrics type (``ManufacturingViewMetrics``...) down to
its leaves: each leaf is a :class:`Metric` (dotted path, group, GraphQL type, whether it sits in a
list, retention, description). ``Amount`` is a leaf (it becomes ``_amount`` + ``_currency``).
:func:`selection_tree` turns a checked query into the tree of :class:`Node` the document's
lines follow, so the parser knows every field's type before it reads a byte.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Iterator

from graphql import (FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLList, GraphQLNonNull,
                     GraphQLObjectType, GraphQLSchema, InlineFragmentNode, SelectionSetNode)

from .schema import VENDOR_ANALYTICS, CheckedQuery, load_schema, retention_days

__all__ = ["Metric", "Node", "VIEWS", "AMOUNT", "metric_catalogue", "group_by_fields", "selection_tree",
           "unwrap"]

#: ``view=`` name -> (root field, its metrics type, its grouped type).
VIEWS: dict[str, tuple[str, str, str]] = {
    "manufacturing": ("manufacturingView", "ManufacturingViewMetrics", "ManufacturingViewMetricsGroupedBy"),
    "sourcing": ("sourcingView", "SourcingViewMetrics", "SourcingViewMetricsGroupedBy"),
}
#: The object type flattened to two columns.
AMOUNT = "Amount"


def unwrap(gtype: object) -> tuple[object, bool]:
    """(named type, whether a list wraps it) of a GraphQL output type."""
    is_list = False
    while isinstance(gtype, (GraphQLNonNull, GraphQLList)):
        if isinstance(gtype, GraphQLList):
            is_list = True
        gtype = gtype.of_type
    return gtype, is_list


def _retention(fdef: object) -> str | None:
    node = getattr(fdef, "ast_node", None)
    for d in getattr(node, "directives", None) or ():
        if d.name.value == "resultRetention":
            for arg in d.arguments:
                if arg.name.value == "duration":
                    return getattr(arg.value, "value", None)
    return None


@dataclass(frozen=True)
class Metric:
    """One leaf metric of a view."""

    view: str
    path: str  # "orders.orderedUnitsWithRevenue.units"
    group: str  # "orders"
    type: str  # Long, Float, Int, String, Date, Amount
    in_list: bool  # under a list-valued field (weekly forecasts)
    retention: str | None  # ISO 8601 duration, e.g. "P30D"
    description: str

    @property
    def retention_days(self) -> int | None:
        return retention_days(self.retention)


def _walk(view: str, otype: GraphQLObjectType, prefix: tuple[str, ...], in_list: bool,
          context: str = "") -> Iterator[Metric]:
    for name, fdef in otype.fields.items():
        named, is_list = unwrap(fdef.type)
        path = prefix + (name,)
        text = " ".join((fdef.description or "").split())
        if isinstance(named, GraphQLObjectType) and named.name != AMOUNT:
            # a shared value type (UnitsWithValue...) says "Number of units.": keep what it measures
            yield from _walk(view, named, path, in_list or is_list, text if prefix else "")
            continue
        ret = _retention(fdef)
        if named.name == AMOUNT:
            ret = ret or _retention(named.fields["amount"])
        yield Metric(view, ".".join(path), path[0], named.name, in_list or is_list, ret,
                     f"{context} ({text})" if context else text)


@functools.lru_cache(maxsize=None)
def metric_catalogue(view: str, dataset: str = VENDOR_ANALYTICS) -> tuple[Metric, ...]:
    """Every leaf metric of ``view`` (``"manufacturing"`` or ``"sourcing"``), in SDL order."""
    schema = load_schema(dataset)
    otype = schema.get_type(VIEWS[view][1])
    assert isinstance(otype, GraphQLObjectType)
    return tuple(_walk(view, otype, (), False))


@functools.lru_cache(maxsize=None)
def group_by_fields(dataset: str = VENDOR_ANALYTICS) -> dict[str, str]:
    """GroupByAttributes field -> its type name (``asin`` -> ``String``, ``msrp`` -> ``Amount``)."""
    otype = load_schema(dataset).get_type("GroupByAttributes")
    assert isinstance(otype, GraphQLObjectType)
    return {name: unwrap(f.type)[0].name for name, f in otype.fields.items()}  # type: ignore[attr-defined]


@dataclass
class Node:
    """One selected field: its JSON key, its named type, list-valuedness and children (None: leaf)."""

    key: str
    type: str
    is_list: bool = False
    children: list["Node"] | None = None
    retention: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def leaves(self) -> Iterator["Node"]:
        if self.children is None:
            yield self
        else:
            for c in self.children:
                yield from c.leaves()


def _fields(sel: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode]) -> Iterator[FieldNode]:
    for s in (sel.selections if sel else ()):
        if isinstance(s, FieldNode):
            yield s
        elif isinstance(s, InlineFragmentNode):
            yield from _fields(s.selection_set, fragments)
        elif isinstance(s, FragmentSpreadNode):
            yield from _fields(fragments[s.name.value].selection_set, fragments)


def _node(schema: GraphQLSchema, parent: GraphQLObjectType, fnode: FieldNode,
          fragments: dict[str, FragmentDefinitionNode], merged: dict[str, Node]) -> Node | None:
    name = fnode.name.value
    if name == "__typename":
        return Node(fnode.alias.value if fnode.alias else name, "String")
    fdef = parent.fields[name]
    named, is_list = unwrap(fdef.type)
    key = fnode.alias.value if fnode.alias else name
    if not isinstance(named, GraphQLObjectType):
        return Node(key, named.name, is_list, None, _retention(fdef))  # type: ignore[attr-defined]
    node = merged.get(key) or Node(key, named.name, is_list, [], _retention(fdef))
    kids = {c.key: c for c in node.children or []}
    for sub in _fields(fnode.selection_set, fragments):
        child = _node(schema, named, sub, fragments, kids)
        if child is not None and child.key not in kids:
            kids[child.key] = child
            node.children.append(child)  # type: ignore[union-attr]
    return node if key not in merged else None


def selection_tree(checked: CheckedQuery) -> Node:
    """The tree of the view's selection: what one line of the data document holds."""
    schema = load_schema(checked.dataset)
    fragments = {d.name.value: d for d in checked.document.definitions if isinstance(d, FragmentDefinitionNode)}
    root_type = schema.get_type(f"{checked.dataset[0].upper()}{checked.dataset[1:]}")
    assert isinstance(root_type, GraphQLObjectType)
    view = _node(schema, root_type, checked.view, fragments, {})
    assert view is not None
    view.is_list = False  # the document holds one line per element of the view
    return view
