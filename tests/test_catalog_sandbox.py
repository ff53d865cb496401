"""Catalog functions end to end against the built-in sandbox (real HTTP on 127.0.0.1).

Skipped until the sandbox's data module exists. The sandbox's catalog has
"Coffee" in 70 % of titles, so the keyword ``coffee`` always has many pages.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import pytest

pytest.importorskip("amzv_pandas.sandbox.data")

import amzv_pandas.accessor as accessor  # noqa: E402
from amzv_pandas import sandbox  # noqa: E402
from amzv_pandas.catalog import catalog_columns, get_catalog_items, search_catalog_items  # noqa: E402
from amzv_pandas.exceptions import ConfigurationError, MissingItemsWarning  # noqa: E402

OP = "searchCatalogItems"


@pytest.fixture(scope="module")
def sb() -> Iterator[Any]:
    with sandbox.serve(speed=50) as server:
        yield server


@pytest.fixture()
def client(sb: Any, tmp_path: Path) -> Iterator[Any]:
    sb.reset_stats()
    accessor.clear_enrich_cache()
    with sb.client(marketplace="US", cache_dir=tmp_path) as c:
        yield c


def calls(sb: Any) -> int:
    return sb.stats()["calls"].get(OP, 0)


def test_search_pages_up_to_max_results(sb: Any, client: Any) -> None:
    df = search_catalog_items("coffee", max_results=45, client=client, progress_bar_type=None)
    assert len(df) == 45 and df["asin"].is_unique
    assert calls(sb) == 3  # pages of 20
    assert df.attrs["amzv"]["truncated"] is True
    assert list(df.columns) == list(catalog_columns(["summaries"]))
    assert df["item_name"].str.contains("coffee", case=False).all()


def test_search_everything_respects_the_cap(sb: Any, client: Any) -> None:
    df = search_catalog_items("coffee", max_results=None, client=client, progress_bar_type=None)
    total = df.attrs["amzv"]["number_of_results"]
    assert len(df) == min(total, 1000)
    assert calls(sb) == math.ceil(len(df) / 20)


def test_lookup_batches_and_reports_missing(sb: Any, client: Any) -> None:
    found = search_catalog_items("coffee", max_results=45, client=client, progress_bar_type=None)["asin"].tolist()
    sb.reset_stats()
    wanted = found[::-1] + ["B0NOTREAL0"] + found[:5]  # duplicates asked once
    with pytest.warns(MissingItemsWarning, match="B0NOTREAL0"):
        df = get_catalog_items(wanted, included_data=["summaries", "salesRanks", "dimensions"], client=client,
                               progress_bar_type=None)
    assert calls(sb) == 3  # 46 distinct ids: 20 + 20 + 6
    assert df["asin"].tolist() == found[::-1]
    assert df.attrs["amzv"]["missing"] == ["B0NOTREAL0"]
    assert {c: str(t) for c, t in df.dtypes.items()} == catalog_columns(["summaries", "salesRanks", "dimensions"])


def test_enrich_fetches_each_asin_once(sb: Any, client: Any) -> None:
    found = search_catalog_items("coffee", max_results=25, client=client, progress_bar_type=None)["asin"].tolist()
    frame = pd.DataFrame({"asin": found + found[:10], "units": range(35)}, index=range(100, 135))
    sb.reset_stats()
    out = frame.amzv.enrich(client=client, progress_bar_type=None)
    assert calls(sb) == 2
    assert out.index.equals(frame.index) and out["item_name"].notna().all()
    frame.amzv.enrich(client=client, progress_bar_type=None)
    assert calls(sb) == 2  # cached


def test_validation_sends_nothing(sb: Any, client: Any) -> None:
    with pytest.raises(ConfigurationError):
        search_catalog_items("coffee", included_data=["offers"], client=client)
    with pytest.raises(ConfigurationError):
        search_catalog_items(identifiers=[f"B{i:09d}" for i in range(21)], identifiers_type="ASIN", client=client)
    assert calls(sb) == 0
