"""The form's parts, headless: date boxes, messages in the form's words, the preview and summary,
Show code, the run thread and Cancel, warnings, Export (no sandbox, no kernel)."""

from __future__ import annotations

import datetime as dt
import html
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytest.importorskip("ipywidgets")

import amzv_pandas as amzv  # noqa: E402
from amzv_pandas._frontends import form_call, form_code, form_messages, form_preview, form_run  # noqa: E402
from amzv_pandas._frontends.form_fields import HELP, LABEL_WIDTH, STYLE  # noqa: E402
from amzv_pandas._frontends.widgets import ReportForm  # noqa: E402
from amzv_pandas._specs import dates  # noqa: E402
from amzv_pandas._specs.marketplaces import get_marketplace  # noqa: E402
from amzv_pandas.exceptions import ConfigurationError, MissingItemsWarning  # noqa: E402

US = get_marketplace("US")


def specific_start(form: ReportForm, text: str) -> None:
    form.fields["Duration"].control.value = "Date Range"
    form.fields["Start Date"].control.value = "Specific"
    form.fields["Select Specific Start Date"].control.value = text


# ---------------------------------------------------------------------------- dates (item 1)


@pytest.mark.parametrize("text", ["", "   ", "2026-11-", "mm/02/275760", "2026-13-01", "today-"])
def test_an_empty_or_partial_date_is_an_error_and_run_sends_nothing(text: str) -> None:
    form = ReportForm()
    specific_start(form, text)
    assert list(form.errors) == ["Select Specific Start Date"]
    assert form.run_button.disabled
    message = form.errors["Select Specific Start Date"]
    assert "Select Specific Start Date" in message and "start" not in message.split()[0]
    assert "pandas" not in message and "datetime64" not in message
    calls: list[Any] = []
    form._function = lambda: lambda **kw: calls.append(kw)  # type: ignore[method-assign]
    assert form.run() is None and calls == []  # never a silently shrunk range


def test_the_request_is_exactly_the_boxes_text() -> None:
    form = ReportForm()
    specific_start(form, "2026-01-05")
    form.fields["End Date"].control.value = "Specific"
    form.fields["Select Specific End Date"].control.value = "today-20"  # the grammar works in either box
    assert form.value["start"] == "2026-01-05" and form.value["end"] == "today-20"
    form.fields["Select Specific End Date"].control.value = ""
    assert form.value["end"] == "" and form.run_button.disabled  # shown as sent: empty, refused


def test_each_date_box_shows_the_day_it_means() -> None:
    form = ReportForm()
    today = dates.resolve_today(tz=US)
    form.fields["Days Back to End At"].control.value = "4"
    day = today - dt.timedelta(days=4)
    assert form.fields["Days Back to End At"].echo.value.endswith(f"{day:%a} {day.isoformat()}</span>")
    specific_start(form, "2026-11-2")
    assert form.fields["Select Specific Start Date"].echo.value == ""  # nothing while it means nothing
    assert form_call.box_echo("Select Specific Start Date", "2024-03-01", US) == "= Fri 2024-03-01"


def test_two_bad_boxes_are_both_marked() -> None:
    form = ReportForm()
    specific_start(form, "")
    form.fields["Days Back to End At"].control.value = "soon"
    assert set(form.errors) == {"Select Specific Start Date", "Days Back to End At"}


def test_date_boxes_filled_from_code_hold_iso_text() -> None:
    form = ReportForm.from_call("read_report", report_type="GET_VENDOR_SALES_REPORT", marketplace="US",
                                start="2024-03-01", end="2024-03-09")
    assert form.fields["Select Specific Start Date"].control.value == "2024-03-01"
    assert form.value["start"] == "2024-03-01" and form.value["end"] == "2024-03-09"


# ---------------------------------------------------------------------------- messages (items 5, 6)


@pytest.mark.parametrize(
    ("message", "labels", "expected"),
    [
        ("days_back_to_start_from='abc' is not a date. Accepted: " + dates.ACCEPTED_FORMS,
         {"days_back_to_start_from": "Days Back to Start From"},
         "Days Back to Start From 'abc' is not a date. Accepted: " + form_messages.BOX_FORMS),
        ("seller_id is required with skus (Amazon's sellerId); got seller_id=None",
         {"seller_id": "Seller ID", "skus": "Enter Seller SKUs"},
         "Seller ID is required with Enter Seller SKUs (Amazon's sellerId); got Seller ID (empty)"),
        ("keywords=[] holds no word", {"keywords": "Query"}, "Query (empty) holds no word"),
        ("keywords: 30 words given, Amazon accepts at most 20", {"keywords": "Query"},
         "Query: 30 words given, Amazon accepts at most 20"),
        # English words stay words: only ``start=`` is a parameter
        ("the start must be before the end; start='today-1'", {"start": "Days Back to Start From"},
         "the start must be before the end; Days Back to Start From 'today-1'"),
        ("reportPeriod='DECADE' is not allowed", {"reportPeriod": "Report Period"},
         "Report Period 'DECADE' is not allowed"),
        ("reportOptions['currencyCode']='dollars' is not a currency code", {"currencyCode": "Currency Code"},
         "Currency Code 'dollars' is not a currency code"),
        ("marketplace='IE' is in region EU; create a Client(marketplace='IE')", {"marketplace": "Market Place"},
         "Market Place 'IE' is in region EU; create a Client(marketplace='IE')"),
    ],
)
def test_library_messages_in_the_form_s_words(message: str, labels: dict[str, str], expected: str) -> None:
    assert form_messages.in_form_words(message, labels) == expected


def test_messages_wrap_under_the_field_in_a_fixed_label_column() -> None:
    form = ReportForm()
    form.fields["Days Back to Start From"].control.value = "x" * 300
    row = form.fields["Days Back to Start From"]
    assert row.children[1] is row.message and row.message.layout.display is None
    assert 'class="amzv-error"' in row.message.value
    title = row.title
    assert title.layout.width == title.layout.min_width == f"{LABEL_WIDTH}px"
    assert "overflow-wrap: anywhere" in STYLE and "white-space: normal" in STYLE


def test_colours_are_the_theme_s() -> None:
    for var in ("--jp-error-color1", "--jp-warn-color1", "--jp-ui-font-color1", "--jp-layout-color2"):
        assert f"var({var}" in STYLE
    assert "#b00020" not in STYLE.replace("var(--jp-error-color1, #b00020)", "")


@pytest.mark.parametrize("label", sorted(HELP))
def test_every_label_has_its_help_as_a_title(label: str) -> None:
    form = ReportForm()
    if label not in form.fields:
        pytest.skip(f"{label} is not a pane field")
    assert f'title="{html.escape(HELP[label], quote=True)}"' in form.fields[label].title.value


# ---------------------------------------------------------------------------- preview and summary (item 8)


def test_summary_line_singular_plural_and_html() -> None:
    one = pd.DataFrame({"a": [1]})
    assert str(form_preview.summarize(one, "search_catalog_items")).startswith("1 row × 1 column · ")
    frame = pd.DataFrame({"a": range(1204), "b": 1})
    frame.attrs["amzv"] = {"report_type": "GET_VENDOR_SALES_REPORT", "report_ids": ["123"], "from_cache": True,
                           "data_start": "2026-11-01", "data_end": "2026-11-07"}
    summary = form_preview.summarize(frame, "read_report")
    assert str(summary) == ("1,204 rows × 2 columns · GET_VENDOR_SALES_REPORT · 2026-11-01 to 2026-11-07 · "
                            "report 123 · from the cache")
    assert summary._repr_html_().startswith('<div class="amzv-summary">1,204 rows')


def test_preview_is_capped_dates_do_not_wrap_long_text_has_a_title() -> None:
    long = "Nørd Roasters Über Whole Bean Coffee, Guatemala Antigua, Medium Roast, 2 lb bag"
    frame = pd.DataFrame({"startDate": pd.to_datetime(["2026-11-23"] * 200), "item_name": [long] * 200,
                          "units": range(200)})
    text = form_preview.preview_html(frame)
    assert text.count("<tr>") == form_preview.PREVIEW_ROWS + 1  # the header and 50 rows
    assert "2026-11-23</td>" in text and "00:00:00" not in text
    assert f'title="{html.escape(long, quote=True)}"' in text and "…</td>" in text
    assert "the first 50 of 200 rows" in text
    assert ".amzv-preview { max-height:" in STYLE and "white-space: nowrap" in STYLE


def test_no_empty_result_box_before_the_first_run() -> None:
    form = ReportForm()
    assert form.output.layout.display == "none" and form._result_box.layout.display == "none"
    assert form._export_box.layout.display == "none"


# ---------------------------------------------------------------------------- Show code


def test_show_code_starts_with_the_import_and_the_client_line() -> None:
    form = ReportForm.from_call("search_catalog_items", keywords=["coffee"], marketplace="US")
    code = form.code()
    assert code.splitlines()[:3] == ["import amzv_pandas as amzv", "", "client = amzv.get_default_client()"]
    assert "df = amzv.search_catalog_items(\n    keywords=['coffee'],\n    marketplace='US',\n    client=client,\n)" in code
    compile(code, "<show code>", "exec")
    form._code_button.value = True
    assert form._code.layout.display is None and "import amzv_pandas as amzv" in html.unescape(form._code.value)
    form.fields["Query"].control.value = "mug"
    assert "keywords=[&#x27;mug&#x27;]" in form._code.value or "keywords=['mug']" in html.unescape(form._code.value)


def test_client_line_names_a_profile_or_the_notebook_variable_never_a_secret() -> None:
    creds = {"client_id": "amzn1.application-oa2-client.x", "client_secret": "s" * 20,
             "refresh_token": "Atzr|" + "r" * 30}
    client = amzv.Client(credentials=creds, marketplace="DE")
    line = form_code.client_line(client, {"eu": client, "_": client})
    assert line.startswith("client = eu  # the notebook's <amzv.Client")
    assert "s" * 20 not in line and "Atzr|" not in line
    client.profile = "italy"
    assert form_code.client_line(client, {}) == "client = amzv.Client(profile='italy', marketplace='DE')"
    assert form_code.client_line(None, {}) == "client = amzv.get_default_client()"


# ---------------------------------------------------------------------------- Run thread, Cancel, warnings


def test_run_in_a_thread_and_cancel_stops_it_saying_the_id_is_kept() -> None:
    form = ReportForm.from_call("search_catalog_items", keywords=["coffee"], marketplace="US")
    started = threading.Event()

    def slow(**kwargs: Any) -> pd.DataFrame:
        if kwargs["client"] is not None:  # the live validation's dry run
            return pd.DataFrame()
        started.set()
        try:
            while True:
                time.sleep(0.05)
        except KeyboardInterrupt:  # what the report driver does on Ctrl-C
            raise KeyboardInterrupt("stopped waiting for X; report id(s) '42' keep processing at Amazon: ...")

    form._function = lambda: slow  # type: ignore[method-assign]
    thread = form.run_async()
    assert thread is not None and started.wait(5)
    assert form.run_button.disabled and form._cancel_button.layout.display is None
    assert form.run_async() is None  # one run at a time
    assert form.cancel()
    thread.join(5)
    assert not thread.running
    text = html.unescape(form._message.value)
    assert "Cancelled: report '42' keeps processing" in text and "press Run again" in text
    assert not form.run_button.disabled and form._cancel_button.layout.display == "none"
    assert form.error is None and not form.cancel()


def test_warnings_of_the_run_thread_only_are_a_notice() -> None:
    records: list[tuple[type[Warning], str]] = []
    with warnings.catch_warnings(record=True) as passed_on:
        warnings.simplefilter("always")
        with form_run.captured_warnings(records):
            warnings.warn_explicit("1 SKU not found: X-1", MissingItemsWarning, "x.py", 1)
            t = threading.Thread(target=lambda: warnings.warn_explicit("other cell", UserWarning, "y.py", 2))
            t.start()
            t.join()
    assert [str(w.message) for w in passed_on] == ["other cell"]  # another thread's warning is not ours
    assert records == [(MissingItemsWarning, "1 SKU not found: X-1")]

    form = ReportForm.from_call("search_catalog_items", keywords=["coffee"], marketplace="US")

    def warns(**kwargs: Any) -> pd.DataFrame:
        if kwargs["client"] is None:
            warnings.warn_explicit("2 items were not returned: B1, B2", MissingItemsWarning, "lookup.py", 819)
        return pd.DataFrame({"asin": ["B3"]})

    form._function = lambda: warns  # type: ignore[method-assign]
    form.run()
    assert form.warnings == ["2 items were not returned: B1, B2"]
    assert "amzv-notice" in form._message.value and "lookup.py" not in form._message.value
    assert "MissingItemsWarning" not in form._message.value


# ---------------------------------------------------------------------------- Export, value setter, lists


def test_export_frame_csv_parquet_and_refusals(tmp_path: Path) -> None:
    frame = pd.DataFrame({"sku": ["FILT,STD,00005", "A"], "n": [1, 2]})
    path = form_run.export_frame(frame, tmp_path / "out", "csv")
    assert path.name == "out.csv" and pd.read_csv(path).equals(frame)
    path = form_run.export_frame(frame, tmp_path / "out.parquet")
    assert pd.read_parquet(path).equals(frame)
    with pytest.raises(ConfigurationError, match="format='xlsx'"):
        form_run.export_frame(frame, tmp_path / "out.xlsx")
    with pytest.raises(ConfigurationError, match="path is empty"):
        form_run.export_frame(frame, " ")
    assert not list(tmp_path.glob(".tmp-*"))


def test_skus_one_per_line_keep_their_commas() -> None:
    assert form_call.split_list("FILT,STD,00005\nSKU-2\n") == ["FILT,STD,00005", "SKU-2"]
    assert form_call.split_list("SKU-1, SKU-2") == ["SKU-1", "SKU-2"]
    form = ReportForm.from_call("get_catalog_items", skus=["FILT,STD,00005", "B"], seller_id="A1", marketplace="US")
    assert form.fields["Enter Seller SKUs"].control.value == "FILT,STD,00005\nB"
    assert form.value["skus"] == ["FILT,STD,00005", "B"]


@pytest.mark.parametrize(
    ("call", "parameter"),
    [({"operation": "get_catalog_items", "skus": ["A"], "seller_id": "S", "on_invalid_sku": "maybe"},
      "on_invalid_sku"),
     ({"operation": "read_report", "report_type": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
       "query_date_type": "whenever"}, "query_date_type"),
     ({"operation": "read_vendor_analytics", "view": "retail"}, "view"),
     ({"operation": "read_vendor_analytics", "group_by": ["nope"]}, "group_by"),
     ({"operation": "read_vendor_analytics", "metrics": ["orders.netOrderedGMS"]}, "metrics"),
     ({"operation": "list_reports", "statuses": ["DONE"] * 11}, "statuses")],
)
def test_a_bad_value_from_code_is_our_error_not_a_trait_error(call: dict[str, Any], parameter: str) -> None:
    form = ReportForm()
    with pytest.raises(ConfigurationError) as info:
        form.value = call
    assert info.value.parameter == parameter
    assert "TraitError" not in repr(info.value) and "trait" not in str(info.value).lower()


# ---------------------------------------------------------------------------- Vendor Analytics (issue 14)


def test_vendor_analytics_operation_round_trips_and_shows_its_fields() -> None:
    call = {"operation": "read_vendor_analytics", "marketplace": "US", "start": "today-30", "end": "today-4",
            "view": "manufacturing", "aggregate_by": "WEEK", "metrics": ["orders", "traffic"],
            "group_by": ["asin", "brand"]}
    form = ReportForm.from_call(**call)
    assert form.errors == {}
    assert form.value == call
    shown = set(form.visible_fields())
    assert {"View", "Aggregate By", "Metric Groups", "Group By", "Duration"} <= shown
    assert not {"Report Type", "Report Family", "Query"} & shown
    code = form.code()
    assert "df = amzv.read_vendor_analytics(" in code and "metrics=['orders', 'traffic']" in code
    # the groups follow the view; none selected means every metric (metrics=None is left out)
    form.fields["View"].control.value = "sourcing"
    groups = {v for _, v in form.fields["Metric Groups"].control.options}
    assert "orders" not in groups and "sourcing" in groups
    form.fields["Metric Groups"].control.value = ()
    assert "metrics" not in form.value


def test_vendor_analytics_date_errors_are_under_the_date_field() -> None:
    form = ReportForm.from_call("read_vendor_analytics", start="today-30", end="today-4")
    specific_start(form, "2019-01-01")
    assert list(form.errors) == ["Select Specific Start Date"]
    assert "two years" in form.errors["Select Specific Start Date"]


def test_cancel_of_a_call_with_no_report_says_nothing_is_left() -> None:
    form = ReportForm.from_call("search_catalog_items", keywords=["coffee"], marketplace="US")
    started = threading.Event()

    def searching(**kwargs: Any) -> pd.DataFrame:
        if kwargs["client"] is not None:
            return pd.DataFrame()
        started.set()
        while True:  # a catalog search between pages: a plain KeyboardInterrupt ends it
            time.sleep(0.05)

    form._function = lambda: searching  # type: ignore[method-assign]
    thread = form.run_async()
    assert thread is not None and started.wait(5) and form.cancel()
    thread.join(5)
    assert "nothing is left processing" in form._message.value and form.result is None


def test_seller_id_comes_from_the_client_s_profile() -> None:
    from amzv_pandas._transport.lwa import Credentials
    from amzv_pandas._transport.profiles import save_profile

    creds = Credentials(client_id="amzn1.application-oa2-client.x", client_secret="s" * 20,
                        refresh_token="Atzr|" + "r" * 30)
    save_profile("acme", creds, marketplace="US", selling_partner_id="A1SELLERXYZ")
    form = ReportForm(client=amzv.Client(profile="acme"))
    assert form.fields["Seller ID"].control.value == "A1SELLERXYZ"
    form.fields["Report"].control.value = "get_catalog_items"
    form.fields["Enter Seller SKUs"].control.value = "SKU-1"
    assert form.errors == {} and form.value["seller_id"] == "A1SELLERXYZ"
    # only the id is read from the profile: no secret reaches a widget
    assert "s" * 20 not in repr(form.value) and "Atzr|" not in form.code()
    assert ReportForm().fields["Seller ID"].control.value == ""


def test_a_run_finishing_after_a_switch_of_operation_shows_nothing_stale() -> None:
    form = ReportForm.from_call("search_catalog_items", keywords=["coffee"], marketplace="US")
    go = threading.Event()

    def later(**kwargs: Any) -> pd.DataFrame:
        if kwargs["client"] is None:
            go.wait(5)
        return pd.DataFrame({"asin": ["B1"]})

    form._function = lambda: later  # type: ignore[method-assign]
    thread = form.run_async()
    form.fields["Report"].control.value = "list_reports"
    go.set()
    thread.join(5)
    assert form.result is not None and list(form.result["asin"]) == ["B1"]  # kept, but not shown
    assert form._preview.value == "" and form._result_box.layout.display == "none"
