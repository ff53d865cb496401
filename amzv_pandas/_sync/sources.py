"""What a dataset can hold: a report type, or a Data Kiosk source (``"vendor_analytics:<view>"``).

The one place that tells them apart by name (:func:`source_view`) and knows the columns of each
when no row is there (:func:`empty_frame`, for :func:`~amzv_pandas._sync.dataset.read_synced`).
It imports no other sync module, so the sync, dataset and Vendor Analytics modules all may use it.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
from typing import Any, Mapping

import pandas as pd

__all__ = ["SOURCE", "ALL_MARKETPLACES", "source_view", "empty_frame"]

#: The source name ``amzv.sync`` takes: ``"vendor_analytics"`` or ``"vendor_analytics:<view>"``.
SOURCE = "vendor_analytics"
#: The ``marketplace_id`` of a pair whose one query answers every marketplace of its account (a
#: Vendor Analytics sync without ``marketplace=``): its meta folder is ``marketplace_id=ALL``, its
#: rows are filed under each row's own ``marketplace_id=`` folder.
ALL_MARKETPLACES = "ALL"


def source_view(name: Any) -> str | None:
    """``"vendor_analytics:sourcing"`` → ``"sourcing"``, ``"vendor_analytics"`` → ``""``; None for a report type."""
    if not isinstance(name, str):
        return None
    head, sep, view = name.strip().partition(":")
    if head.lower() != SOURCE:
        return None
    return view.strip() if sep else ""


def empty_frame(description: Mapping[str, Any] | None) -> pd.DataFrame:
    """The typed frame with no row of the dataset ``description`` (``dataset.json``'s report type and
    options), without the partition columns; a frame without columns when they cannot be told."""
    if description is None:
        return pd.DataFrame()
    name = description.get("report_type")
    options = dict(description.get("report_options") or {})
    with contextlib.suppress(Exception):  # an unknown or damaged description: no columns to promise
        view = source_view(name)
        if view is None:
            from .._specs.registry import get_report_type

            return get_report_type(name).empty_frame()
        return _vendor_analytics_empty(view or "manufacturing", options)
    return pd.DataFrame()


def _vendor_analytics_empty(view: str, options: Mapping[str, Any]) -> pd.DataFrame:
    """The columns a Vendor Analytics query of these options returns (its GraphQL built, no call)."""
    from .._datakiosk.flatten import empty_frame as dk_empty
    from .._specs.datakiosk.build import plan_query
    from .._specs.datakiosk.catalogue import selection_tree

    today = _dt.datetime.now(_dt.timezone.utc).date()
    aggregate_by = options.get("aggregate_by", "DAY")
    back = {"DAY": 5, "WEEK": 40, "MONTH": 100}.get(aggregate_by, 5)  # holds a whole period of each kind
    plan = plan_query(today - _dt.timedelta(days=back), today - _dt.timedelta(days=5), view=view,
                      aggregate_by=aggregate_by, metrics=options.get("metrics"),
                      group_by=options.get("group_by") or (), totals=bool(options.get("totals")),
                      currency=options.get("currency"), today=today)
    frame = dk_empty(selection_tree(plan.checked))
    # The marketplace is the partition (its folder), never a column of the files.
    return frame.drop(columns=[c for c in ("marketplaceId",) if c in frame.columns])
