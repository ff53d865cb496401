"""The ``df.amzv`` DataFrame accessor.

Importing this module only registers the accessor: the catalog code, the
client and Parquet are imported inside :meth:`AmzvAccessor.enrich`.

>>> df.amzv.enrich(asin_col="asin", included_data=["summaries", "salesRanks"])  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import threading
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from .._util.time import utc_now
from ..exceptions import ConfigurationError, StaleCacheWarning

__all__ = ["AmzvAccessor", "DEFAULT_CACHE_TTL", "clear_enrich_cache"]

#: How long a catalog row fetched by ``enrich`` is reused (memory and disk).
DEFAULT_CACHE_TTL = timedelta(days=7)

_FETCHED = "_fetched_at"  # UTC time the row was fetched
_FOUND = "_found"         # False: asked, Amazon returned nothing (so it is not asked again)

# (account_key, marketplace_id, included_data) -> frame indexed by ASIN, with _FETCHED/_FOUND
_MEMORY: dict[tuple[str, str, tuple[str, ...]], pd.DataFrame] = {}
_LOCK = threading.Lock()


def clear_enrich_cache() -> None:
    """Forget the catalog rows ``enrich`` keeps in memory (the disk cache stays)."""
    with _LOCK:
        _MEMORY.clear()


@pd.api.extensions.register_dataframe_accessor("amzv")
class AmzvAccessor:
    """amzv_pandas helpers on any DataFrame (``df.amzv``)."""

    def __init__(self, pandas_obj: pd.DataFrame) -> None:
        self._obj = pandas_obj

    def enrich(
        self,
        asin_col: str = "asin",
        included_data: str | Sequence[str] = ("summaries",),
        marketplace: Any = None,
        client: Any = None,
        *,
        cache_ttl: timedelta | None = DEFAULT_CACHE_TTL,
        use_cache: bool = True,
        progress_bar_type: Any = "auto",
    ) -> pd.DataFrame:
        """Join catalog columns onto the frame by its ASIN column.

        Each distinct ASIN is fetched once, in batches of 20 per
        ``searchCatalogItems`` call, and kept in memory for the session and on
        disk under ``client.cache_dir / "catalog"`` (one Parquet file per
        account, marketplace and ``included_data``) for ``cache_ttl``. ASINs Amazon
        does not return get empty catalog columns (and a
        :class:`~amzv_pandas.exceptions.MissingItemsWarning` the first time).

        Parameters
        ----------
        asin_col : str, default "asin"
            The column holding ASINs (missing values are left unenriched).
        included_data : str or sequence of str, default ("summaries",)
            Catalog sections to add (see :func:`amzv_pandas._catalog.api.catalog_columns`).
        marketplace : str or Marketplace, optional
            One marketplace (default: the client's).
        client : Client, optional
            Default: :func:`amzv_pandas.get_default_client`.
        cache_ttl : timedelta or None, default 7 days
            Reuse cached rows younger than this (``timedelta(0)``: never); ``None``: forever.
        use_cache : bool, default True
            ``False`` fetches every ASIN again (and refreshes the caches). Only ``True`` or
            ``False``: ``"no"`` is refused rather than read as true.
        progress_bar_type : {"auto", "tqdm", "tqdm_notebook", None}, default "auto"
            Bar over the fetch batches.

        Returns
        -------
        DataFrame
            A copy of the frame, same index and row order, with the catalog
            columns appended (``asin`` and ``marketplace_id`` excepted; a name
            the frame already has gets the suffix ``"_catalog"``).
        """
        from .._catalog.arguments import single_marketplace  # the catalog's own argument rules
        from .._catalog.flatten import catalog_columns, is_missing, normalize_included_data
        from .._facade import api  # the calls: the default client, the catalog lookup
        from .._util.progress import validate_progress_bar_type
        from .._util.checks import check_bool, check_writable_dir

        df = self._obj
        try:
            present = asin_col in df.columns
        except TypeError:  # an unhashable label (a list...) is no column either
            present = False
        if not present:
            msg = f"asin_col={asin_col!r:.80} is not a column of the frame; columns are {list(map(str, df.columns))}"
            raise ConfigurationError(msg, parameter="asin_col", value=asin_col, allowed=list(map(str, df.columns)))
        sections = normalize_included_data(included_data)
        marketplace = single_marketplace(marketplace)
        if cache_ttl is not None and (not isinstance(cache_ttl, timedelta) or cache_ttl < timedelta(0)):
            msg = f"cache_ttl={cache_ttl!r:.80} is not allowed; use a datetime.timedelta >= 0 or None"
            raise ConfigurationError(msg, parameter="cache_ttl", value=cache_ttl, allowed="timedelta >= 0 or None")
        use_cache = check_bool(use_cache, "use_cache")
        validate_progress_bar_type(progress_bar_type)
        client = api.resolve_client(client)
        mp = client.resolve_marketplace(marketplace)
        # The rows fetched are written under the cache dir (also with use_cache=False): check it first.
        check_writable_dir(client.cache_dir, "cache_dir")

        keys = df[asin_col].map(lambda v: None if is_missing(v) else (str(v).strip() or None))
        wanted = list(dict.fromkeys(k for k in keys if k is not None))
        columns = catalog_columns(sections)
        cache_key = (str(client.account_key), mp.marketplace_id, sections)

        with _LOCK:
            known = _MEMORY.get(cache_key)
        path = _cache_path(Path(client.cache_dir), cache_key)
        if known is None and use_cache:
            known = _read_disk(path, columns)
        if known is None:
            known = _empty_known(columns)
        now = utc_now()
        if use_cache:
            fresh = known[_FETCHED] >= (now - cache_ttl) if cache_ttl is not None else known[_FETCHED].notna()
            have = set(known.index[fresh.fillna(False).to_numpy(dtype=bool)])
        else:
            have = set()
        todo = [a for a in wanted if a not in have]

        if todo:
            fetched = api.get_catalog_items(todo, marketplace=mp, included_data=sections, client=client,
                                          progress_bar_type=progress_bar_type)
            fetched = fetched.drop_duplicates("asin").set_index("asin", drop=False)
            new = fetched.reindex(pd.Index(todo, dtype="str", name="asin"))
            new["asin"] = new.index.astype("str")
            new[_FOUND] = pd.array([a in fetched.index for a in todo], dtype="boolean")
            new[_FETCHED] = pd.Series(now, index=new.index, dtype="datetime64[us, UTC]")
            new = new.astype(columns)
            known = pd.concat([known.drop(index=[a for a in todo if a in known.index]), new])
            _write_disk(path, known)  # use_cache=False refreshes the cache too
        with _LOCK:
            _MEMORY[cache_key] = known

        lookup = known.drop(columns=["asin", "marketplace_id", _FETCHED, _FOUND])
        added = lookup.reindex(pd.Index(keys.tolist(), dtype=object))
        added.index = df.index
        added = added.rename(columns=lambda c: f"{c}_catalog" if c in df.columns else c)
        return pd.concat([df, added], axis=1)


def _empty_known(columns: dict[str, str]) -> pd.DataFrame:
    known = pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    known[_FOUND] = pd.Series(dtype="boolean")
    known[_FETCHED] = pd.Series(dtype="datetime64[us, UTC]")
    known.index = pd.Index([], dtype="str", name="asin")
    return known


def _cache_path(root: Path, key: tuple[str, str, tuple[str, ...]]) -> Path:
    account, marketplace_id, sections = key
    digest = hashlib.sha256(json.dumps([account, marketplace_id, list(sections)]).encode()).hexdigest()[:16]
    return root / "catalog" / f"{marketplace_id}-{digest}.parquet"


def _read_disk(path: Path, columns: dict[str, str]) -> pd.DataFrame | None:
    if not path.exists():
        return None
    try:
        known = pd.read_parquet(path)
        if "attributes" in known.columns:  # stored as JSON text: free-form dicts have no fixed schema
            known["attributes"] = known["attributes"].map(lambda s: json.loads(s) if isinstance(s, str) else None)
        known = known.astype(columns)
        known[_FOUND] = known[_FOUND].astype("boolean")
        known[_FETCHED] = pd.to_datetime(known[_FETCHED], utc=True).astype("datetime64[us, UTC]")
        known.index = pd.Index(known["asin"], dtype="str", name="asin")
        return known
    except Exception as exc:  # unreadable or from another schema: fetch again
        warnings.warn(f"catalog cache {path} was unusable ({exc}); fetching again", StaleCacheWarning, stacklevel=3)
        path.unlink(missing_ok=True)
        return None


def _write_disk(path: Path, known: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    out = known.reset_index(drop=True)
    if "attributes" in out.columns:
        out["attributes"] = out["attributes"].map(lambda a: json.dumps(a) if a is not None else None).astype("str")
    from .._util.files import atomic_write

    with atomic_write(path, fsync=False) as fh:  # a cache: losing it to a power cut costs a refetch
        out.to_parquet(fh, index=False)
