"""The run loop against a fake Data Kiosk: paging, no data, FATAL, CANCELLED, refusals, cache, resume, queue."""

from __future__ import annotations

import concurrent.futures as cf
import json
import threading
import warnings

import pandas as pd
import pytest

from amzv_pandas._datakiosk import queue
from amzv_pandas._datakiosk.api import query_data_kiosk, read_vendor_analytics
from amzv_pandas._datakiosk.results import ResultCache
from amzv_pandas.exceptions import (ConfigurationError, NoDataWarning, QueryFatalError, ReportFatalError, ReportTimeout,
                                   StaleCacheWarning)

from .fake import FakeDataKiosk, jsonl, line

START, END = "2026-09-01", "2026-09-02"  # final (more than 3 days back)
KW = dict(metrics=["traffic.glanceViews"], progress_bar_type=None, poll_interval=0.01)


def group(asin, views):
    return {"groupByKey": {"asin": asin}, "metrics": {"traffic": {"glanceViews": views}}}


PAGES = [jsonl(line("2026-09-01", [group("A1", 1), group("A2", 2)])),
         jsonl(line("2026-09-01", [group("A3", 3)]), line("2026-09-02", [group("A1", 4)]))]


@pytest.fixture
def fake(tmp_path):
    return FakeDataKiosk(tmp_path, PAGES, polls=2)


def test_every_page_is_fetched_and_joined(fake):
    df = read_vendor_analytics(START, END, client=fake, **KW)
    assert df["asin"].tolist() == ["A1", "A2", "A3", "A1"]
    assert df["traffic_glanceViews"].tolist() == [1, 2, 3, 4]
    assert fake.calls["createQuery"] == 2 and fake.calls["getDocument"] == 2
    assert "paginationToken" not in fake.bodies[0] and fake.bodies[1]["paginationToken"] == "tok-1"
    assert fake.bodies[0]["query"] == fake.bodies[1]["query"]
    meta = df.attrs["amzv"]
    assert meta["query_ids"] == ["q1", "q2"] and meta["document_ids"] == ["doc-0", "doc-1"]
    assert meta["pages"] == 2 and meta["retention"] == "P30D" and "manufacturingView" in meta["query"]
    assert meta["from_cache"] is False and meta["start"] == START


def test_repeat_call_is_a_cache_hit_with_zero_calls(fake):
    first = read_vendor_analytics(START, END, client=fake, **KW)
    before = fake.total_calls
    again = read_vendor_analytics(START, END, client=fake, **KW)
    assert fake.total_calls == before
    pd.testing.assert_frame_equal(first, again)
    assert again.attrs["amzv"]["from_cache"] is True and again.attrs["amzv"]["query_ids"] == ["q1", "q2"]
    # a damaged frame is rebuilt from the verified pages, still without a call
    result = ResultCache.for_client(fake, first.attrs["amzv"]["query_sha256"], START, END)
    cached = result.store.entry(result.key)
    cached.meta()
    # whichever format the cache chose (a split Arrow file or memory-mapped IPC), the one file it recorded
    frame_file = cached.frame_path(result.variant)
    assert frame_file.exists() and list(cached.path.glob("frame-*")) == [frame_file]
    damaged = b"garbage" + frame_file.read_bytes()[7:]
    frame_file.write_bytes(damaged)
    with pytest.warns(StaleCacheWarning, match="rebuilt"):
        third = read_vendor_analytics(START, END, client=fake, **KW)
    assert fake.total_calls == before
    pd.testing.assert_frame_equal(first, third)
    assert frame_file.exists() and frame_file.read_bytes() != damaged  # rewritten from the pages
    fourth = read_vendor_analytics(START, END, client=fake, **KW)  # the rebuilt frame verifies
    assert fake.total_calls == before and fourth.attrs["amzv"]["from_cache"] is True
    pd.testing.assert_frame_equal(first, fourth)
    fresh = read_vendor_analytics(START, END, client=fake, refresh=True, **KW)
    assert fake.calls["createQuery"] == 4 and fresh.attrs["amzv"]["from_cache"] is False


def test_recent_ranges_are_cached_only_with_always(tmp_path):
    import datetime as dt

    day = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    fake = FakeDataKiosk(tmp_path, [jsonl(line(day, [group("A1", 1)]))])
    read_vendor_analytics(day, day, client=fake, **KW)
    read_vendor_analytics(day, day, client=fake, **KW)
    assert fake.calls["createQuery"] == 2
    read_vendor_analytics(day, day, client=fake, cache="always", **KW)
    calls = fake.total_calls
    hit = read_vendor_analytics(day, day, client=fake, cache="always", **KW)
    assert fake.total_calls == calls and hit.attrs["amzv"]["from_cache"] is True


def test_done_without_document_is_an_empty_typed_frame_with_a_warning(tmp_path):
    fake = FakeDataKiosk(tmp_path, outcome="EMPTY")
    with pytest.warns(NoDataWarning, match="no data"):
        df = read_vendor_analytics(START, END, client=fake, **KW)
    assert len(df) == 0 and list(df.columns) == ["startDate", "endDate", "marketplaceId", "asin",
                                                 "traffic_glanceViews"]
    assert df["traffic_glanceViews"].dtype == "Int64" and str(df["startDate"].dtype) == "datetime64[us]"


def test_the_no_data_warning_names_the_callers_line(tmp_path):
    import amzv_pandas as amzv

    fake = FakeDataKiosk(tmp_path, outcome="EMPTY")
    q = ('query { analytics_vendorAnalytics_2024_09_30 { manufacturingView(startDate: "2026-09-01", '
         'endDate: "2026-09-02", aggregateBy: DAY) { startDate metrics { groupByKey { asin } '
         'metrics { traffic { glanceViews } } } } } }')
    with pytest.warns(NoDataWarning) as seen:
        amzv.read_vendor_analytics(START, END, client=fake, **KW)
        amzv.query_data_kiosk(q, client=fake, progress_bar_type=None, poll_interval=0.01)
    assert [w.filename for w in seen] == [__file__, __file__]


def test_cancelled_is_an_empty_frame_with_a_warning(tmp_path):
    fake = FakeDataKiosk(tmp_path, outcome="CANCELLED")
    with pytest.warns(NoDataWarning, match="CANCELLED"):
        df = read_vendor_analytics(START, END, client=fake, **KW)
    assert df.empty and "traffic_glanceViews" in df


GRAPHQL_ERRORS = json.dumps([{
    "message": "Exception while fetching data (/analytics_vendorAnalytics_2024_09_30/manufacturingView) : The same "
               "start and end dates must be requested for Daily Inventory metrics.",
    "locations": [{"line": 3, "column": 5}], "path": ["analytics_vendorAnalytics_2024_09_30", "manufacturingView"],
    "extensions": {"classification": "GraphQLPublicFatalException"}}]).encode()


@pytest.mark.parametrize("doc, said", [
    (GRAPHQL_ERRORS, "The same start and end dates must be requested"),
    (json.dumps({"errorMessage": "Unauthorized to access requested fields."}).encode(), "Unauthorized to access"),
])
def test_fatal_raises_with_amazons_message(tmp_path, doc, said):
    fake = FakeDataKiosk(tmp_path, outcome="FATAL", error_doc=doc, gzip_docs=True)
    with pytest.raises(QueryFatalError, match=said) as info:
        read_vendor_analytics(START, END, client=fake, **KW)
    assert isinstance(info.value, ReportFatalError) and info.value.query_id == "q1"
    assert said in info.value.reason
    assert "secret" not in str(info.value)


def test_refusals_are_waited_out_and_retried(tmp_path):
    fake = FakeDataKiosk(tmp_path, PAGES[:1], refusals=3)
    df = read_vendor_analytics(START, END, client=fake, **KW)
    assert len(df) == 2 and fake.calls["createQuery"] == 4


def test_bad_input_sends_nothing(fake):
    for kw in ({"metrics": ["trafic"]}, {"group_by": "asn"}, {"view": "retail"}, {"marketplace": "XX"},
               {"cache": "sometimes"}, {"timeout": -1}, {"progress_bar_type": "fancy"}):
        with pytest.raises(ConfigurationError):
            read_vendor_analytics(START, END, client=fake, **{**KW, **kw})
    with pytest.raises(ConfigurationError, match="line 1"):
        query_data_kiosk("query { analytics_vendorAnalytics_2024_09_30 { nope } }", client=fake)
    assert fake.total_calls == 0


@pytest.mark.parametrize("args, kw, parameter, words", [
    ((START, END), {"metrics": ["trafic.glanceViews"]}, "metrics", "did you mean 'traffic.glanceViews'"),
    ((START, END), {"metrics": ["traffic.glanceView"]}, "metrics", "did you mean 'traffic.glanceViews'"),
    ((START, END), {"group_by": ("asn",)}, "group_by", "did you mean 'asin'"),
    ((START, END), {"aggregate_by": "HOUR"}, "aggregate_by", "'DAY', 'WEEK', 'MONTH'"),
    ((START, END), {"view": "manufactoring"}, "view", "did you mean 'manufacturing'"),
    (("today-800", "today-10"), {}, "start", "two years"),
    (("2026-09-30", "2026-09-01"), {}, "start", "start"),
    (("today-3", "today+2"), {}, "end", "future"),
    ((START, END), {"currency": "US dollars"}, "currency", "ISO 4217"),
    ((START, END), {"dtype_backend": "pyarow"}, "dtype_backend", "did you mean 'pyarrow'"),
])
def test_every_bad_argument_is_refused_naming_it_with_zero_requests(fake, args, kw, parameter, words):
    with pytest.raises(ConfigurationError, match=words) as info:
        read_vendor_analytics(*args, client=fake, **{**KW, **kw})
    assert info.value.parameter == parameter
    assert fake.total_calls == 0


def test_a_malformed_query_names_its_line_and_column_with_zero_requests(fake):
    q = "query {\n  analytics_vendorAnalytics_2024_09_30 {\n    manufacturingView(startDate: \"2026-09-01\" {"
    with pytest.raises(ConfigurationError, match=r"line 3, column \d+") as info:
        query_data_kiosk(q, client=fake)
    assert info.value.parameter == "query" and fake.total_calls == 0


def test_threads_at_once_all_complete_despite_the_service_refusing(tmp_path, monkeypatch):
    # The library allows 4 at once, the service only 1: its 429s are waited out and retried.
    monkeypatch.setattr(queue, "MAX_NON_TERMINAL", 4)
    fake = FakeDataKiosk(tmp_path, PAGES[:1], polls=3, service_limit=1)
    days = [f"2026-08-{d:02d}" for d in range(1, 7)]
    with cf.ThreadPoolExecutor(6) as pool:
        frames = list(pool.map(lambda d: read_vendor_analytics(d, d, client=fake, timeout=60, **KW), days))
    assert all(len(f) == 2 for f in frames) and fake.max_active == 1
    assert fake.refused > 0 and fake.calls["createQuery"] == len(days) + fake.refused


def test_marketplace_filters_rows(tmp_path):
    fake = FakeDataKiosk(tmp_path, [jsonl(line("2026-09-01", [group("A1", 1)]),
                                          line("2026-09-01", [group("A1", 2)], market="A2EUQ1WTGCTBG2"))])
    df = read_vendor_analytics(START, END, client=fake, marketplace="CA", **KW)
    assert df["marketplaceId"].tolist() == ["A2EUQ1WTGCTBG2"] and df["traffic_glanceViews"].tolist() == [2]


def test_a_restarted_kernel_resumes_the_query_in_flight(tmp_path):
    fake = FakeDataKiosk(tmp_path, PAGES[:1], polls=10 ** 6)
    with pytest.raises(ReportTimeout, match="q1") as info:
        read_vendor_analytics(START, END, client=fake, timeout=0.2, **KW)
    assert info.value.report_ids == ["q1"]
    fake.polls = 1  # Amazon finishes it meanwhile
    df = read_vendor_analytics(START, END, client=fake, **KW)
    assert fake.calls["createQuery"] == 1 and df.attrs["amzv"]["query_ids"] == ["q1"]


def test_a_query_older_than_its_retention_is_not_reused(tmp_path):
    fake = FakeDataKiosk(tmp_path, PAGES[:1], polls=10 ** 6)
    with pytest.raises(ReportTimeout):
        read_vendor_analytics(START, END, client=fake, timeout=0.2, **KW)
    index = tmp_path / "datakiosk" / "inflight.json"
    data = json.loads(index.read_text())
    for rec in data["reports"].values():
        rec["created_at"] = "2026-10-01T00:00:00+00:00"  # > 30 days (P30D) before today
    index.write_text(json.dumps(data))
    fake.polls = 1
    df = read_vendor_analytics(START, END, client=fake, **KW)
    assert fake.calls["createQuery"] == 2 and df.attrs["amzv"]["query_ids"] == ["q2"]


def test_concurrent_calls_never_exceed_the_per_account_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(queue, "MAX_NON_TERMINAL", 2)
    fake = FakeDataKiosk(tmp_path, PAGES[:1], polls=3)
    days = [f"2026-08-{d:02d}" for d in range(1, 9)]
    with cf.ThreadPoolExecutor(6) as pool:
        frames = list(pool.map(lambda d: read_vendor_analytics(d, d, client=fake, **KW), days))
    assert len(frames) == 8 and all(len(f) == 2 for f in frames)
    assert fake.calls["createQuery"] == 8 and fake.max_active <= 2


def test_query_data_kiosk_runs_any_query(fake):
    q = ('query { analytics_vendorAnalytics_2024_09_30 { manufacturingView(startDate: "2026-09-01", '
         'endDate: "2026-09-02", aggregateBy: DAY) { startDate metrics { groupByKey { asin } '
         'metrics { traffic { glanceViews } } } } } }')
    df = query_data_kiosk(q, client=fake, progress_bar_type=None, poll_interval=0.01)
    assert df.columns.tolist() == ["startDate", "asin", "traffic_glanceViews"] and len(df) == 4
    assert df.attrs["amzv"]["query"] == q and df.attrs["amzv"]["retention"] == "P30D"
    calls = fake.total_calls
    # the same query laid out differently is the same cache entry
    query_data_kiosk(q.replace(" ", "\n  "), client=fake, progress_bar_type=None)
    assert fake.total_calls == calls


def test_progress_bar_shows_query_status(fake):
    seen = []

    class Bar:
        def update(self, n=1):
            seen.append(("update", n))

        def set_description_str(self, text, refresh=True):
            seen.append(text)

        def close(self):
            seen.append("closed")

    read_vendor_analytics(START, END, client=fake, **{**KW, "progress_bar_type": Bar()})
    assert any("q1 IN_PROGRESS page 1" in s for s in seen if isinstance(s, str))
    assert seen.count(("update", 1)) == 2 and seen[-1] == "closed"


def test_no_thread_left_behind(fake):
    before = threading.active_count()
    read_vendor_analytics(START, END, client=fake, **KW)
    assert threading.active_count() <= before


def test_waiting_for_a_slot_counts_against_the_timeout(tmp_path, monkeypatch):
    monkeypatch.setattr(queue, "MAX_NON_TERMINAL", 1)
    fake = FakeDataKiosk(tmp_path, PAGES[:1], polls=10 ** 6)
    started = threading.Event()
    fake.on_create = started.set
    with cf.ThreadPoolExecutor(1) as pool:
        holder = pool.submit(read_vendor_analytics, "2026-08-01", "2026-08-01", client=fake, timeout=2.0, **KW)
        assert started.wait(10)
        with pytest.raises(ReportTimeout, match="no query slot"):
            read_vendor_analytics("2026-08-02", "2026-08-02", client=fake, timeout=0.3, **KW)
        with pytest.raises(ReportTimeout):
            holder.result(30)
    assert fake.calls["createQuery"] == 1


def test_a_page_that_does_not_parse_is_not_kept(tmp_path):
    from amzv_pandas.exceptions import ParseError

    fake = FakeDataKiosk(tmp_path, [b'{"startDate": 5, "metrics": "x"}\n'])
    for _ in range(2):
        with pytest.raises(ParseError):
            read_vendor_analytics(START, START, client=fake, **KW)
    assert fake.calls["createQuery"] == 2
    assert not list((tmp_path / "datakiosk").glob("DATA_KIOSK/*/document.gz"))


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from amzv_pandas.exceptions import AmzvError  # noqa: E402

WRONG = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                  st.text(max_size=12), st.lists(st.text(max_size=6), max_size=3), st.binary(max_size=4),
                  st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
PARAMS = ("start", "end", "view", "aggregate_by", "metrics", "group_by", "totals", "currency", "marketplace",
          "cache", "refresh", "progress_bar_type", "timeout", "poll_interval")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(param=st.sampled_from(PARAMS), value=WRONG)
def test_generated_wrong_values_are_clean_errors_before_any_call(tmp_path, param, value):
    fake = FakeDataKiosk(tmp_path, outcome="EMPTY")
    kw = {"start": START, "end": START, **KW, "progress_bar_type": None, param: value}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            read_vendor_analytics(kw.pop("start"), kw.pop("end"), client=fake, **kw)
    except AmzvError as exc:
        assert fake.total_calls == 0, (param, value, exc)
    # (a value that happens to be valid just runs)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.one_of(st.text(max_size=60), st.none(), st.integers()))
def test_generated_queries_are_clean_errors_before_any_call(tmp_path, query):
    fake = FakeDataKiosk(tmp_path, outcome="EMPTY")
    with pytest.raises(AmzvError):
        query_data_kiosk(query, client=fake, progress_bar_type=None)
    assert fake.total_calls == 0


def test_the_queue_is_per_account(tmp_path, monkeypatch):
    monkeypatch.setattr(queue, "MAX_NON_TERMINAL", 1)
    busy = FakeDataKiosk(tmp_path / "a", PAGES[:1], polls=10 ** 6)
    other = FakeDataKiosk(tmp_path / "b", PAGES[:1])
    other.account_key = "another-account"
    started = threading.Event()
    busy.on_create = started.set
    with cf.ThreadPoolExecutor(1) as pool:
        holder = pool.submit(read_vendor_analytics, "2026-08-01", "2026-08-01", client=busy, timeout=1.5, **KW)
        assert started.wait(10)
        df = read_vendor_analytics("2026-08-02", "2026-08-02", client=other, timeout=5, **KW)
        assert len(df) == 2  # not held up by the first account's query
        with pytest.raises(ReportTimeout):
            holder.result(30)
