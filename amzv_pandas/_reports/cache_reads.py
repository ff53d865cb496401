"""Serving windows from the on-disk report cache: a stored frame, or the stored document parsed.

:func:`from_cache` serves one window of a run (a corrupt entry is deleted, warned about and
fetched again); :func:`cached_by_id` finds a report fetched earlier by its id.
"""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING, Any

import pandas as pd

from .._cache.store import ReportCache
from .._parsers.document import TruncatedDocument, parse_document
from .._specs.marketplaces import get_marketplace
from .._specs.registry import get_report_type
from ..exceptions import CacheIntegrityError, ConfigurationError, StaleCacheWarning
from .assemble import assemble
from .plan import DEFAULT_POLL_INTERVAL, Plan, Window, check_quotechar, check_section
from .run import Run

if TYPE_CHECKING:
    from .._transport.http import Transport

__all__ = ["from_cache", "cached_by_id"]

logger = logging.getLogger("amzv_pandas._reports.run")




def from_cache(run: Run, w: Window) -> pd.DataFrame | None:
    entry = run.cache.entry(w.key)
    if not entry.exists():
        return None
    meta = entry.meta() or {}
    try:
        frame = entry.read_frame(run.variant)
        if frame is None:  # no frame for this section/quoting/parser yet: parse the stored document
            entry.verify_document()
            path = entry.document_path
            frame = parse_document(path, meta, run.rt, section=run.plan.section, quotechar=run.plan.quotechar,
                                   default_encoding=run.default_encoding, limits=run.limits)
            try:
                entry.write_frame(run.variant, frame)
            except Exception as exc:  # pragma: no cover - Arrow cannot hold the frame
                logger.warning("could not cache the parsed frame: %s", exc)
    except (CacheIntegrityError, TruncatedDocument) as exc:
        entry.delete()
        warnings.warn(f"cached {run.rt.name} document for {w.label_start} → {w.label_end} was corrupt ({exc}); "
                      "it was deleted and will be downloaded again", StaleCacheWarning, stacklevel=3)
        return None
    w.report_id = meta.get("report_id")
    w.document_id = meta.get("document_id")
    w.from_cache = True
    w.status = "CACHED"
    w.done = True
    w.rows = len(frame)
    return frame


def cached_by_id(store: ReportCache, client: "Transport", report_id: str, section: str | None,
                  quotechar: Any) -> pd.DataFrame | None:
    """A cached document of ``report_id`` (fetched by read_report or get_report), parsed."""
    for entry in store.entries():
        meta = entry.meta() or {}
        if meta.get("report_id") != report_id or entry.key.region != client.region \
                or entry.key.account != client.account_key:
            continue
        rt = get_report_type(entry.key.report_type)
        try:
            markets = [get_marketplace(m) for m in entry.key.marketplace_ids] or [get_marketplace("US")]
        except ConfigurationError:
            markets = [get_marketplace("US")]
        w = Window(0, entry.key.start, entry.key.end, None, None, dict(entry.key.options), entry.key, None, True)
        plan = Plan(rt, markets, dict(entry.key.options), check_section(section, rt),
                     check_quotechar(quotechar, rt), [w], entry.key.start, entry.key.end)
        run = Run(client, plan, store, DEFAULT_POLL_INTERVAL, False, "warn")
        frame = from_cache(run, w)
        if frame is not None:
            return assemble(run, {0: frame})
    return None
