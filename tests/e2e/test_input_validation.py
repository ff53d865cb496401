"""Every bad input is refused before any request (issue 10, points 4, 11, 14, 15, 16).

One sandbox counts every request (token endpoint included); each test asserts both that the
error is a clean ``AmzvError`` naming the parameter and that nothing reached the server.
The property-based test at the end drives the public functions with generated wrong values.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import amzv_pandas as amzv
from amzv_pandas._catalog import api as catalog_api
from amzv_pandas._frontends import accessor as accessor
from amzv_pandas._util.checks import check_readable_dir, check_writable_dir
from amzv_pandas.exceptions import (
    AmzvError,
    CachePathError,
    ConfigurationError,
    SyncError,
    UnknownReportTypeError,
)
from amzv_pandas._specs.marketplaces import get_marketplace
from amzv_pandas._specs.registry import REPORT_TYPES, get_report_type, resolve_report_type

SALES = "GET_VENDOR_SALES_REPORT"
TYPO = "GET_VENDOR_SALES_RPORT"
TODAY = dt.date.today()


@pytest.fixture(scope="module")
def sandbox_options() -> dict[str, Any]:
    return {"speed": 1000, "processing_seconds": 0.5}


@pytest.fixture(scope="module")
def shared_client(server: Any) -> Iterator[Any]:
    with server.client(marketplace="US") as c:
        yield c


@pytest.fixture
def client_options(tmp_path: Path) -> dict[str, Any]:
    return {"marketplace": "US", "cache_dir": tmp_path / "cache"}


def refused(sb: Any, client: Any, call: Callable[[], Any], parameter: str,
            cls: type[Exception] = ConfigurationError) -> Exception:
    """``call()`` raises ``cls`` naming ``parameter``, and no request was sent."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(cls) as info:
            call()
    err = info.value
    assert isinstance(err, AmzvError)
    assert getattr(err, "parameter", None) == parameter, (err, getattr(err, "parameter", None))
    assert parameter in str(err)
    assert sb.stats()["calls"] == {}
    assert sum(client.calls.values()) == 0
    return err


# --------------------------------------------------------------------------- 14: report types


@pytest.mark.parametrize("verb", ["read_report", "get_report", "list_reports", "list_report_schedules", "sync"])
def test_a_misspelled_type_is_refused_everywhere_with_did_you_mean(sb, client, tmp_path, verb):
    calls = {
        "read_report": lambda: amzv.read_report(TYPO, "2025-01-05", "2025-01-11", client=client),
        "get_report": lambda: amzv.get_report(report_type=TYPO, client=client),
        "list_reports": lambda: amzv.list_reports(TYPO, client=client),
        "list_report_schedules": lambda: amzv.list_report_schedules([SALES, TYPO], client=client),
        "sync": lambda: amzv.sync(TYPO, tmp_path / "ds", start="2025-01-01", client=client),
    }
    parameter = "report_types" if verb.startswith("list") else "report_type"
    err = refused(sb, client, calls[verb], parameter, UnknownReportTypeError)
    assert err.suggestions[0] == SALES
    assert f"did you mean {SALES!r}" in str(err) and "allow_unknown=True" in str(err)
    assert not (tmp_path / "ds").exists()


def test_allow_unknown_sends_a_new_type_but_still_checks_its_shape(sb, client):
    df = amzv.list_reports("GET_BRAND_NEW_REPORT", allow_unknown=True, client=client)
    assert df.empty and sb.stats()["calls"].get("getReports") == 1
    sb.reset_stats()
    client.calls.clear()
    refused(sb, client, lambda: amzv.list_reports("GET BRAND NEW", allow_unknown=True, client=client),
            "report_types")
    refused(sb, client, lambda: amzv.read_report("GET_X?", allow_unknown=True, client=client), "report_type")
    refused(sb, client, lambda: amzv.read_report(SALES, allow_unknown="yes", client=client), "allow_unknown")


def test_the_rule_lives_in_the_registry():
    assert resolve_report_type("get_vendor_sales_report") is REPORT_TYPES[SALES]
    with pytest.raises(UnknownReportTypeError) as info:
        resolve_report_type("GET_MERCHANT_LISTING_DATA")
    assert info.value.suggestions[0] == "GET_MERCHANT_LISTINGS_DATA"
    assert not resolve_report_type("GET_NEW_TYPE_2030", allow_unknown=True).known
    # Names Amazon returns stay lenient (a generic entry), so listing and parsing never break.
    assert not get_report_type("GET_NEW_TYPE_2030").known


def test_a_300_character_report_type_is_a_clean_error(sb, client):
    err = refused(sb, client, lambda: amzv.read_report("GET_" + "X" * 296, "2025-01-05", client=client),
                  "report_type")
    assert "300 characters" in str(err) and len(str(err)) < 400


# --------------------------------------------------------------------------- 4: paths before any call


@pytest.mark.parametrize("kind", ["file", "under-file", "nul", "long-component"])
def test_path_problems_are_found_before_any_report_is_created(sb, client, tmp_path, kind):
    afile = tmp_path / "a-file"
    afile.write_text("x")
    bad = {"file": afile, "under-file": afile / "sub", "nul": str(tmp_path / "a\0b"),
           "long-component": tmp_path / ("d" * 256)}[kind]
    with pytest.raises(CachePathError) as info:
        check_writable_dir(bad, "cache_dir")
    assert info.value.parameter == "cache_dir"
    refused(sb, client, lambda: amzv.sync(SALES, bad, start="2025-01-01", end="2025-01-03", client=client),
            "path", CachePathError)
    if kind in ("file", "under-file"):
        refused(sb, client, lambda: amzv.read_synced(bad), "path", CachePathError) if kind == "file" else None


def test_a_cache_dir_that_became_a_file_fails_before_create_report(sb, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    with sb.client(marketplace="US", cache_dir=cache) as c:
        cache.rmdir()
        cache.write_text("not a directory")  # e.g. a mistyped path to an existing file
        for call in (lambda: amzv.read_report(SALES, "2025-01-05", "2025-01-11", progress_bar_type=None, client=c),
                     lambda: amzv.read_report(SALES, "2025-01-05", cache=False, progress_bar_type=None, client=c),
                     lambda: amzv.get_report("123", progress_bar_type=None, client=c),
                     lambda: amzv.sync(SALES, tmp_path / "ds", start="2025-01-01", end="2025-01-03",
                                       progress_bar_type=None, client=c)):
            err = refused(sb, c, call, "cache_dir", CachePathError)
            assert "is a file" in str(err)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_directory_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(CachePathError, match="not writable"):
            check_writable_dir(locked / "ds", "path")
    finally:
        locked.chmod(0o700)


def test_read_synced_and_sync_history_agree_on_a_folder_never_synced(tmp_path):
    for path in (tmp_path / "missing", tmp_path):
        with pytest.raises(SyncError, match="run amzv.sync"):
            amzv.read_synced(path)
        with pytest.raises(SyncError, match="run amzv.sync"):
            amzv.sync_history(path)
    afile = tmp_path / "f"
    afile.write_text("")
    for verb in (amzv.read_synced, amzv.sync_history):
        with pytest.raises(CachePathError, match="is a file"):
            verb(afile)
        with pytest.raises(CachePathError, match="NUL"):
            verb("a\0b")
    assert check_readable_dir(tmp_path / "missing", "path") == tmp_path / "missing"


# --------------------------------------------------------------------------- 11: ids steer nothing


@pytest.mark.parametrize("rid", ["../../../sellers/v1/marketplaceParticipations", "1?marketplaceIds=X", "1/2",
                                 "1#x", "..", " ", "", 12345, None])
def test_a_report_id_cannot_steer_the_request(sb, client, rid):
    if rid is None:
        refused(sb, client, lambda: amzv.get_report(None, client=client), "report_id")
        return
    err = refused(sb, client, lambda: amzv.get_report(rid, client=client), "report_id")
    assert err.value == rid


def test_a_valid_report_id_is_sent_as_one_path_segment(sb, client):
    from amzv_pandas.exceptions import NotFound

    with pytest.raises(NotFound):
        amzv.get_report("999999999", client=client, progress_bar_type=None)
    assert sb.stats()["calls"].get("getReport") == 1


# --------------------------------------------------------------------------- 15: other inputs


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda c: amzv.read_report(SALES, "2025-01-05", report_options=["reportPeriod", "DAY"], client=c),
         "report_options"),
        # several marketplaces of one region are read one report each; of several regions, refused
        (lambda c: amzv.read_report(SALES, "2025-01-05", marketplace=["US", "DE"], client=c), "marketplace"),
        (lambda c: amzv.read_report("GET_VENDOR_FORECASTING_REPORT", marketplace="US,JP".split(","), client=c),
         "marketplace"),
        (lambda c: amzv.list_report_schedules(42, client=c), "report_types"),
        (lambda c: amzv.search_catalog_items("tv", locale="english", client=c), "locale"),
        (lambda c: amzv.search_catalog_items("tv", keywords_locale="en-us", client=c), "keywords_locale"),
        (lambda c: amzv.search_catalog_items("tv", brand_names=[], client=c), "brand_names"),
        (lambda c: amzv.search_catalog_items("tv", seller_id="A1?x=1", client=c), "seller_id"),
        (lambda c: pd.DataFrame({"asin": ["B000000001"]}).amzv.enrich(use_cache="no", client=c), "use_cache"),
        (lambda c: pd.DataFrame({"asin": ["B000000001"]}).amzv.enrich(cache_ttl=dt.timedelta(-1), client=c),
         "cache_ttl"),
        (lambda c: amzv.sync(SALES, None, start="2025-01-01", client=c), "path"),
        (lambda c: amzv.sync(SALES, "ds", start="2025-01-01", budget=float("nan"), client=c), "budget"),
        (lambda c: amzv.sync(SALES, "ds", start="2025-01-01", budget=float("inf"), client=c), "budget"),
        # a dataset holds several marketplaces, of the account's one region
        (lambda c: amzv.sync(SALES, "ds", start="2025-01-01", marketplace=["US", "DE"], client=c), "marketplace"),
        (lambda c: amzv.sync(SALES, "ds", start="2025-01-01", report_options=[("a", "b")], client=c),
         "report_options"),
        (lambda c: amzv.report_types(family="vendors"), "family"),
        (lambda c: amzv.read_report(SALES, "2025-01-05", timeout=float("inf"), client=c), "timeout"),
    ],
)
def test_other_inputs_are_refused_before_any_call(sb, client, tmp_path, monkeypatch, call, parameter):
    monkeypatch.chdir(tmp_path)
    refused(sb, client, lambda: call(client), parameter)
    assert not (tmp_path / "ds").exists()


def test_read_synced_names_end_for_a_bad_end(tmp_path):
    (tmp_path / "_amzv_sync").mkdir()
    with pytest.raises(ConfigurationError) as info:
        amzv.read_synced(tmp_path, end="bogus")
    assert info.value.parameter == "end"


def test_an_empty_asin_list_is_an_empty_typed_frame_without_calls(sb, client):
    df = amzv.get_catalog_items([], included_data=["summaries", "images"], client=client)
    assert df.empty and list(df.columns) == list(catalog_api.catalog_columns(["summaries", "images"]))
    assert sb.stats()["calls"] == {}


def test_a_real_time_report_may_still_span_marketplaces():
    # Only the types whose schema says "one marketplace per account" are restricted.
    assert REPORT_TYPES[SALES].single_marketplace
    assert not REPORT_TYPES["GET_VENDOR_REAL_TIME_SALES_REPORT"].single_marketplace
    REPORT_TYPES["GET_VENDOR_REAL_TIME_SALES_REPORT"].check_marketplaces(["US", "CA"])


# --------------------------------------------------------------------------- 16: progress passed through


def test_all_skus_with_progress_none_draws_no_bar(sb, client, capsys):
    seller = sb.data.sellers[0]
    df = amzv.get_catalog_items(skus="all", seller_id=seller, client=client, progress_bar_type=None)
    assert len(df) and sb.stats()["calls"].get("createReport") == 1  # the listings report was read
    err = capsys.readouterr().err
    assert "GET_MERCHANT_LISTINGS_ALL_DATA" not in err and "it/s" not in err and "%|" not in err and "B/s" not in err


# --------------------------------------------------------------------------- property-based


def _not_in(choices: Any, *, upper: bool = False) -> Callable[[Any], bool]:
    norm = {str(c).strip().lower() for c in choices}
    return lambda v: not (isinstance(v, str) and v.strip().lower() in norm)


def _not_marketplace(v: Any) -> bool:
    try:
        get_marketplace(v)
    except Exception:
        return True
    return False


def _not_date(v: Any) -> bool:
    try:
        amzv.DateRange.parse(v)
    except Exception:
        return True
    return False


# wrong values of each kind
NOT_BOOL = st.one_of(st.integers(), st.floats(allow_nan=True), st.text(max_size=5), st.none(),
                     st.lists(st.booleans(), max_size=2))
NOT_POSITIVE = st.one_of(st.floats(max_value=0), st.integers(max_value=0), st.just(float("nan")),
                         st.just(float("inf")), st.text(max_size=3), st.booleans(), st.lists(st.integers(), max_size=1))
NOT_COUNT = st.one_of(st.integers(max_value=0), st.floats(), st.text(max_size=3), st.booleans(),
                      st.lists(st.integers(), max_size=1))
NOT_TYPE = st.one_of(st.text(max_size=120), st.integers(), st.lists(st.integers(), min_size=1, max_size=2),
                     st.from_regex(r"GET_[A-Z_]{3,30}", fullmatch=True)).filter(
    lambda v: not (isinstance(v, str) and v.strip().upper() in REPORT_TYPES))
NOT_TYPES = st.one_of(st.integers(), st.just([]), st.lists(st.integers(), min_size=1, max_size=2),
                      st.from_regex(r"GET_[A-Z]{3,12}_X", fullmatch=True), st.text(min_size=1, max_size=20)).filter(
    lambda v: not (isinstance(v, str) and v.strip().upper() in REPORT_TYPES))
NOT_MARKET = st.one_of(st.text(max_size=6), st.integers(), st.just(["US", "DE"]), st.just([])).filter(
    lambda v: isinstance(v, list) or _not_marketplace(v))
NOT_ONE_MARKET = st.one_of(NOT_MARKET, st.just(["US", "MX"]), st.just("US,CA"))
# listing filters take several marketplaces: only unknown ones (or none at all) are wrong
NOT_MARKETS = st.one_of(st.text(max_size=6).filter(_not_marketplace), st.integers(), st.just([]),
                        st.lists(st.sampled_from(["ZZ", 42, None]), min_size=1, max_size=2))
NOT_DATE = st.one_of(st.from_regex(r"[a-z]{3,8}", fullmatch=True), st.lists(st.integers(), max_size=2),
                     st.integers(max_value=-1), st.floats(allow_nan=True), st.dictionaries(st.text(max_size=2),
                                                                                           st.integers(), max_size=1),
                     st.dates(min_value=TODAY + dt.timedelta(days=3))).filter(
    lambda v: not isinstance(v, str) or _not_date(v))
NOT_MAPPING = st.one_of(st.lists(st.text(max_size=4), max_size=3), st.integers(), st.text(min_size=1, max_size=5),
                        st.dictionaries(st.from_regex(r"[a-z]{3,10}", fullmatch=True), st.just("x"),
                                        min_size=1, max_size=1).filter(
                            lambda d: not set(d) & {"reportPeriod", "distributorView", "sellingProgram"}))
NOT_INCLUDED = st.one_of(st.text(min_size=1, max_size=10), st.integers(), st.just([]),
                         st.lists(st.integers(), min_size=1, max_size=2)).filter(
    lambda v: not (isinstance(v, str) and all(p.strip().lower() in {s.lower() for s in catalog_api.INCLUDED_DATA}
                                              for p in v.split(",") if p.strip()) and v.strip(" ,")))
NOT_LOCALE = st.one_of(st.text(max_size=8), st.integers(), st.lists(st.text(max_size=2), max_size=1)).filter(
    lambda v: not (isinstance(v, str) and len(v.strip()) == 5 and v.strip()[2] == "_"
                   and v.strip()[:2].islower() and v.strip()[3:].isupper()))
BAD_ID = st.one_of(st.integers(), st.none(), st.text(min_size=1, max_size=12).map(lambda t: t + "/../x"),
                   st.text(max_size=6).map(lambda t: "1?" + t), st.just(""), st.just(".."))
BAD_PATH = st.one_of(st.none(), st.integers(), st.booleans(), st.just(""),
                     st.text(max_size=5).map(lambda t: t + "\0x"), st.just("x" * 256),
                     st.lists(st.text(max_size=3), max_size=2))
BAD_SECTION = st.one_of(st.text(max_size=10), st.integers(), st.lists(st.text(max_size=3), max_size=1)).filter(
    lambda v: not (isinstance(v, str) and v.strip() in ("salesAggregate", "salesByAsin")) and v is not None)
BAD_QUOTE = st.one_of(st.text(min_size=2, max_size=4), st.integers(), st.lists(st.text(max_size=1), max_size=1)).filter(
    lambda v: v != "auto")
def _not_metric(value: Any) -> bool:
    from amzv_pandas._specs.datakiosk.catalogue import metric_catalogue

    names = {".".join(m.path.split(".")[:i]) for v in ("manufacturing", "sourcing") for m in metric_catalogue(v)
             for i in range(1, m.path.count(".") + 2)}
    return not (isinstance(value, str) and value.strip() in names)


NOT_VIEW = st.one_of(st.text(max_size=14), st.integers(), st.none()).filter(_not_in(["manufacturing", "sourcing"]))
NOT_AGGREGATE = st.one_of(st.text(max_size=6), st.integers()).filter(lambda v: not (
    isinstance(v, str) and v.strip().upper() in ("DAY", "WEEK", "MONTH")))
NOT_METRIC = st.one_of(st.text(max_size=12), st.integers(), st.just([]), st.lists(st.integers(), min_size=1,
                                                                                   max_size=2)).filter(_not_metric)
NOT_GROUP_BY = st.one_of(st.text(max_size=8), st.integers(), st.just([1])).filter(lambda v: not (
    isinstance(v, str) and v.strip().lower() in ("asin", "brand", "parentasin", "vendorcode", "category",
                                                 "subcategory", "productgroup", "manufacturercode")))
NOT_QUERY = st.one_of(st.text(max_size=40), st.none(), st.integers(),
                      st.just("query { analytics_vendorAnalytics_2024_09_30 { manufacturingView { x } } }"))
NOT_TIMEDELTA = st.one_of(st.integers(), st.text(max_size=4), st.timedeltas(max_value=dt.timedelta(seconds=-1)))

NOT_STATUS = st.one_of(st.text(min_size=1, max_size=10), st.just([]), st.integers()).filter(
    _not_in(["CANCELLED", "DONE", "FATAL", "IN_PROGRESS", "IN_QUEUE"]))


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"asin": ["B000000001"]})


# (function, its base keyword arguments, the parameter, wrong values, other names it may report)
R = dict(report_type=SALES, start="2025-01-05", end="2025-01-11", progress_bar_type=None)
CASES: list[tuple[str, Callable[..., Any], dict[str, Any], str, Any, tuple[str, ...]]] = [
    ("read_report", amzv.read_report, R, "report_type", NOT_TYPE, ()),
    ("read_report", amzv.read_report, R, "start", NOT_DATE, ("end",)),
    ("read_report", amzv.read_report, R, "end", NOT_DATE, ("start",)),
    ("read_report", amzv.read_report, R, "marketplace", NOT_MARKET, ()),
    ("read_report", amzv.read_report, R, "report_options", NOT_MAPPING, ("*",)),
    ("read_report", amzv.read_report, R, "section", BAD_SECTION, ()),
    ("read_report", amzv.read_report, R, "quotechar", BAD_QUOTE, ()),
    ("read_report", amzv.read_report, R, "query_date_type", st.text(max_size=8), ()),
    ("read_report", amzv.read_report, R, "cache", NOT_BOOL.filter(_not_in(["always"])), ()),
    ("read_report", amzv.read_report, R, "refresh", NOT_BOOL, ()),
    ("read_report", amzv.read_report, R, "progress_bar_type",
     st.one_of(st.text(max_size=6), st.integers()).filter(_not_in(["auto", "tqdm", "tqdm_notebook"])), ()),
    ("read_report", amzv.read_report, R, "poll_interval", NOT_POSITIVE, ()),
    ("read_report", amzv.read_report, R, "timeout", NOT_POSITIVE, ()),
    ("read_report", amzv.read_report, R, "on_cancelled",
     st.one_of(st.text(max_size=6), st.integers(), st.none()).filter(_not_in(["warn", "raise", "ignore"])), ()),
    ("read_report", amzv.read_report, R, "allow_unknown", NOT_BOOL, ()),
    ("get_report", amzv.get_report, dict(report_id="1"), "report_id", BAD_ID, ()),
    ("get_report", amzv.get_report, dict(report_type=SALES), "report_type", NOT_TYPE, ()),
    ("get_report", amzv.get_report, dict(report_type=SALES), "section", BAD_SECTION, ()),
    ("get_report", amzv.get_report, dict(report_type=SALES), "quotechar", BAD_QUOTE, ()),
    ("get_report", amzv.get_report, dict(report_id="1"), "cache", NOT_BOOL, ()),
    ("get_report", amzv.get_report, dict(report_type=SALES), "marketplace", NOT_MARKET, ()),
    ("list_reports", amzv.list_reports, dict(report_types=SALES), "report_types", NOT_TYPES, ()),
    ("list_reports", amzv.list_reports, dict(report_types=SALES), "statuses", NOT_STATUS, ()),
    ("list_reports", amzv.list_reports, dict(report_types=SALES), "max_results", NOT_COUNT, ()),
    ("list_reports", amzv.list_reports, dict(report_types=SALES), "created_since", NOT_DATE, ()),
    ("list_reports", amzv.list_reports, dict(report_types=SALES), "marketplace", NOT_MARKETS, ()),
    ("list_reports", amzv.list_reports, dict(report_types=SALES), "allow_unknown", NOT_BOOL, ()),
    ("list_report_schedules", amzv.list_report_schedules, {}, "report_types", NOT_TYPES, ()),
    ("list_report_schedules", amzv.list_report_schedules, {}, "marketplace", NOT_MARKETS, ()),
    ("get_catalog_items", amzv.get_catalog_items, dict(asins=["B000000001"]), "asins",
     st.one_of(st.integers(), st.booleans(), st.floats(), st.lists(st.booleans(), min_size=1, max_size=2)), ()),
    ("get_catalog_items", amzv.get_catalog_items, dict(asins=["B000000001"]), "included_data", NOT_INCLUDED, ()),
    ("get_catalog_items", amzv.get_catalog_items, dict(asins=["B000000001"]), "marketplace", NOT_ONE_MARKET, ()),
    ("get_catalog_items", amzv.get_catalog_items, dict(skus=["a"], seller_id="S1"), "on_invalid_sku",
     st.one_of(st.text(max_size=6), st.integers(), st.none()).filter(_not_in(["raise", "skip"])), ()),
    # None is not bad here: it means the account's own selling partner id (the sandbox's client has one)
    ("get_catalog_items", amzv.get_catalog_items, dict(skus=["a"]), "seller_id",
     BAD_ID.filter(lambda v: v is not None), ()),
    ("search_catalog_items", amzv.search_catalog_items, dict(keywords="tv"), "locale", NOT_LOCALE, ()),
    ("search_catalog_items", amzv.search_catalog_items, dict(keywords="tv"), "keywords_locale", NOT_LOCALE, ()),
    ("search_catalog_items", amzv.search_catalog_items, dict(keywords="tv"), "max_results", NOT_COUNT, ()),
    ("search_catalog_items", amzv.search_catalog_items, dict(keywords="tv"), "included_data", NOT_INCLUDED, ()),
    ("search_catalog_items", amzv.search_catalog_items, dict(identifiers=["B000000001"]), "identifiers_type",
     st.one_of(st.text(max_size=6), st.integers()).filter(_not_in(catalog_api.IDENTIFIER_TYPES)), ()),
    ("search_catalog_items", amzv.search_catalog_items, dict(keywords="tv"), "keywords",
     st.one_of(st.integers(), st.just([]), st.just(" , "), st.lists(st.text(max_size=3), min_size=21, max_size=25,
                                                                     unique=True).filter(
         lambda ws: len({w.strip() for w in ws if w.strip()}) > 20)), ()),
    ("search_catalog_items", amzv.search_catalog_items, dict(keywords="tv"), "marketplace", NOT_ONE_MARKET, ()),
    ("sync", amzv.sync, dict(report_type=SALES, path="ds", start="2025-01-01", end="2025-01-03"), "report_type",
     NOT_TYPE, ()),
    ("sync", amzv.sync, dict(report_type=SALES, path="ds", start="2025-01-01", end="2025-01-03"), "path",
     BAD_PATH, ()),
    ("sync", amzv.sync, dict(report_type=SALES, path="ds", start="2025-01-01", end="2025-01-03"), "budget",
     st.one_of(st.floats(max_value=0), st.just(float("nan")), st.just(float("inf")), st.text(min_size=1, max_size=4)
               .filter(lambda t: not t.strip().rstrip("dhmsDHMS").replace(".", "").isdigit())), ()),
    ("sync", amzv.sync, dict(report_type=SALES, path="ds", start="2025-01-01", end="2025-01-03"), "report_options",
     NOT_MAPPING, ("*",)),
    ("sync", amzv.sync, dict(report_type=SALES, path="ds", start="2025-01-01", end="2025-01-03"), "marketplace",
     NOT_MARKETS, ()),  # a list of marketplaces is one dataset's
    ("sync", amzv.sync, dict(report_type=SALES, path="ds", end="2025-01-03"), "start", NOT_DATE, ("end",)),
    ("sync", amzv.sync, dict(report_type=SALES, path="ds", start="2025-01-01", end="2025-01-03"), "allow_unknown",
     NOT_BOOL, ()),
    ("read_vendor_analytics", amzv.read_vendor_analytics, dict(start="2026-09-01"), "view", NOT_VIEW, ()),
    ("read_vendor_analytics", amzv.read_vendor_analytics, dict(start="2026-09-01"), "aggregate_by", NOT_AGGREGATE,
     ()),
    ("read_vendor_analytics", amzv.read_vendor_analytics, dict(start="2026-09-01"), "metrics", NOT_METRIC, ()),
    ("read_vendor_analytics", amzv.read_vendor_analytics, dict(start="2026-09-01"), "group_by", NOT_GROUP_BY, ()),
    ("read_vendor_analytics", amzv.read_vendor_analytics, dict(start="2026-09-01"), "marketplace", NOT_ONE_MARKET,
     ()),
    ("read_vendor_analytics", amzv.read_vendor_analytics, dict(end="2026-09-01"), "start", NOT_DATE, ("end",)),
    ("query_data_kiosk", amzv.query_data_kiosk, {}, "query", NOT_QUERY, ()),
    ("sync_vendor_analytics", amzv.sync_vendor_analytics, dict(path="ds", start="today-30"), "path", BAD_PATH, ()),
    ("sync_vendor_analytics", amzv.sync_vendor_analytics, dict(path="ds", start="today-30"), "view", NOT_VIEW, ()),
    ("sync_vendor_analytics", amzv.sync_vendor_analytics, dict(path="ds", start="today-30"), "metrics", NOT_METRIC,
     ()),
    ("sync_vendor_analytics", amzv.sync_vendor_analytics, dict(path="ds", start="today-30"), "budget",
     st.one_of(st.floats(max_value=0), st.just(float("nan")), st.text(min_size=1, max_size=4)
               .filter(lambda t: not t.strip().rstrip("dhmsDHMS").replace(".", "").isdigit())), ()),
    ("sync_vendor_analytics", amzv.sync_vendor_analytics, dict(path="ds"), "start",
     st.one_of(NOT_DATE, st.just("today-800"), st.just("2020-01-01")), ("end",)),
    ("read_synced", amzv.read_synced, dict(path="ds"), "path", BAD_PATH, ()),
    ("sync_history", amzv.sync_history, dict(path="ds"), "path", BAD_PATH, ()),
    ("enrich", lambda **k: _frame().amzv.enrich(**k), {}, "use_cache", NOT_BOOL, ()),
    ("enrich", lambda **k: _frame().amzv.enrich(**k), {}, "cache_ttl", NOT_TIMEDELTA, ()),
    ("enrich", lambda **k: _frame().amzv.enrich(**k), {}, "asin_col",
     st.one_of(st.text(max_size=5).filter(lambda t: t != "asin"), st.integers(), st.lists(st.integers(), max_size=1)), ()),
    ("enrich", lambda **k: _frame().amzv.enrich(**k), {}, "included_data", NOT_INCLUDED, ()),
    ("enrich", lambda **k: _frame().amzv.enrich(**k), {}, "marketplace", NOT_ONE_MARKET, ()),
    ("report_types", amzv.report_types, {}, "family", st.one_of(st.text(max_size=6), st.integers()).filter(
        _not_in(["vendor", "seller"])), ()),
    ("DateRange.parse", amzv.DateRange.parse, {}, "start", NOT_DATE.filter(lambda v: not isinstance(v, dt.date)), ()),
    ("marketplaces", amzv.marketplaces, {}, "region", st.text(min_size=1, max_size=5).filter(
        _not_in(["NA", "EU", "UK-EU", "FE"])), ()),
]
_TAKES_CLIENT = {"read_report", "get_report", "list_reports", "list_report_schedules", "get_catalog_items",
                 "search_catalog_items", "sync", "enrich", "read_vendor_analytics", "query_data_kiosk",
                 "sync_vendor_analytics"}


def test_the_property_test_covers_enough_pairs():
    assert len({(name, parameter) for name, _, _, parameter, _, _ in CASES}) >= 40
    assert {name for name, *_ in CASES} >= {
        "read_report", "get_report", "list_reports", "list_report_schedules", "get_catalog_items",
        "search_catalog_items", "sync", "read_synced", "sync_history", "enrich", "report_types", "DateRange.parse"}


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[3]}" for c in CASES])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.filter_too_much,
                                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_wrong_values_are_refused_before_any_request(server, shared_client, tmp_path_factory, case, data):
    name, fn, base, parameter, strategy, others = case
    value = data.draw(strategy, label=parameter)
    kwargs = dict(base, **{parameter: value})
    if name in _TAKES_CLIENT:
        kwargs["client"] = shared_client
    if "path" in base and parameter != "path":
        kwargs["path"] = tmp_path_factory.mktemp("ds") / "ds"
    server.reset_stats()
    before = sum(shared_client.calls.values())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fn(**kwargs)
        except AmzvError as exc:
            err = exc
        else:
            raise AssertionError(f"{name}({parameter}={value!r}) was accepted")
    assert isinstance(err, (ConfigurationError, ValueError, TypeError)), repr(err)
    named = getattr(err, "parameter", None)
    assert named == parameter or named in others or "*" in others, (named, str(err))
    assert str(named) in str(err), str(err)
    assert server.stats()["calls"] == {}, (value, server.stats()["calls"])
    assert sum(shared_client.calls.values()) == before
    accessor.clear_enrich_cache()
