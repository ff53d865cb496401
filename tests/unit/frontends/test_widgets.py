"""ReportForm, headless: the widgets as Python objects, no browser, no kernel.

Running the form against the sandbox: tests/e2e/frontends/test_widgets.py."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo
import html
import subprocess
import sys
from typing import Any

import pandas as pd
import pytest

pytest.importorskip("ipywidgets")
import ipywidgets as widgets  # noqa: E402

import amzv_pandas as amzv  # noqa: E402
from amzv_pandas._catalog import api as catalog_api  # noqa: E402
from amzv_pandas._specs import dates  # noqa: E402
from amzv_pandas.exceptions import ConfigurationError  # noqa: E402
from amzv_pandas._specs.marketplaces import MARKETPLACES, get_marketplace  # noqa: E402
from amzv_pandas._specs.registry import REPORT_TYPES, get_report_type, report_types  # noqa: E402
from amzv_pandas._frontends.widgets import OPERATIONS, ReportForm  # noqa: E402
from amzv_pandas._frontends.form_call import field_labels  # noqa: E402
from amzv_pandas._frontends.form_messages import in_form_words  # noqa: E402


def words(form: ReportForm, message: str) -> str:
    """A library message as the form shows it: its parameters named by the form's field labels."""
    return in_form_words(message, field_labels(form._c, form.fields, form._option_rows))

PANE_LABELS = [
    "Report", "Country Code", "Market Place", "CSV Report Quote Character", "Select Statuses",
    "SKU Selection Method", "Enter Seller SKUs", "Duration", "Days Back", "Date From", "Start Date",
    "End Date", "Select Specific Start Date", "Select Specific End Date", "Days Back to Start From",
    "Days Back to End At", "Query Date Type", "Continue on Invalid SKU Error", "Query",
]
ALWAYS = {"Report", "Country Code"}
DATE_FIELDS = {"Duration", "Single Date", "Select Specific Date", "Days Back", "Date From", "Start Date",
               "End Date", "Select Specific Start Date", "Select Specific End Date",
               "Days Back to Start From", "Days Back to End At"}


def visible(form: ReportForm) -> set[str]:
    return {label for label, row in form.fields.items() if row.visible}


# ---------------------------------------------------------------------------- shape


def test_form_is_a_vbox_with_the_pane_labels_and_a_run_button() -> None:
    form = ReportForm()
    assert isinstance(form, widgets.VBox)
    assert set(PANE_LABELS) <= set(form.fields)
    assert form.run_button.description == "Run"
    assert isinstance(form.output, widgets.Output)
    menu = form.fields["Report"].control
    assert [label for label, _ in menu.options] == [
        "Get Catalog Items", "Search Catalog Items", "Create and Download Report", "Get Report",
        "List Reports", "Report Schedules", "Vendor Analytics (Data Kiosk)",
    ]


def test_package_exposes_the_form_lazily() -> None:
    code = ("import sys, amzv_pandas as amzv; assert 'ipywidgets' not in sys.modules; "
            "from amzv_pandas._frontends.widgets import ReportForm; assert amzv.ReportForm is ReportForm")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_missing_ipywidgets_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['ipywidgets'] = None\n"
        "try:\n    import amzv_pandas._frontends.widgets\nexcept ImportError as e:\n    print(e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "pip install 'amzv_pandas[widgets]'" in done.stdout, done.stderr


# ---------------------------------------------------------------------------- visibility


@pytest.mark.parametrize(
    ("call", "shown", "hidden"),
    [
        ({"operation": "search_catalog_items", "keywords": ["mug"], "marketplace": "US"},
         {"Query"}, {"Report Type", "Enter Seller SKUs", "Select Statuses", "Duration"}),
        ({"operation": "get_catalog_items", "skus": ["S1"], "seller_id": "X", "marketplace": "US"},
         {"Look Up By", "SKU Selection Method", "Enter Seller SKUs", "Seller ID", "Continue on Invalid SKU Error"},
         {"Query", "Report Type", "Enter ASINs", "Duration"}),
        ({"operation": "get_catalog_items", "skus": "all", "seller_id": "X", "marketplace": "US"},
         {"SKU Selection Method", "Seller ID"}, {"Enter Seller SKUs", "Enter ASINs"}),
        ({"operation": "get_catalog_items", "asins": ["B000000001"], "marketplace": "US"},
         {"Enter ASINs"}, {"SKU Selection Method", "Enter Seller SKUs", "Continue on Invalid SKU Error"}),
        ({"operation": "read_report", "report_type": "GET_VENDOR_SALES_REPORT", "marketplace": "US",
          "start": "today-10", "end": "today-4"},
         {"Report Type", "Duration", "Start Date", "End Date", "Days Back to Start From", "Days Back to End At"},
         {"Query", "Select Statuses", "CSV Report Quote Character", "Query Date Type", "Days Back"}),
        ({"operation": "get_report", "report_type": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplace": "US"},
         {"Report Type", "CSV Report Quote Character"}, {"Duration", "Select Statuses", "Query"}),
        ({"operation": "list_reports", "marketplace": "US"},
         {"Select Statuses", "Report Type"}, {"Duration", "CSV Report Quote Character", "Query"}),
        ({"operation": "list_report_schedules", "marketplace": "US"},
         {"Report Type"}, {"Select Statuses", "Duration", "Query"}),
    ],
)
def test_fields_shown_only_where_they_apply(call: dict[str, Any], shown: set[str], hidden: set[str]) -> None:
    form = ReportForm.from_call(**call)
    now = visible(form)
    assert ALWAYS <= now
    # one marketplace for the catalog, several for the report operations
    assert len(now & {"Market Place", "Market Places"}) == 1
    assert ("Market Places" in now) == (call["operation"] in ("read_report", "get_report", "list_reports",
                                                             "list_report_schedules"))
    assert shown <= now, shown - now
    assert not (hidden & now), hidden & now
    for label in hidden:
        assert form.fields[label].layout.display == "none"


@pytest.mark.parametrize("name", sorted(REPORT_TYPES))
def test_report_type_fields_follow_the_registry(name: str) -> None:
    rt = get_report_type(name)
    form = ReportForm.from_call("read_report", report_type=name, marketplace="US")
    now = visible(form)
    assert ("CSV Report Quote Character" in now) == (rt.format == "tsv")
    assert ("Query Date Type" in now) == bool(rt.query_date_types)
    assert ("Duration" in now) == (rt.date_range != "none")
    assert form.fields["Report Family"].control.value == rt.family
    # the report's own options, with the registry's allowed values and defaults; options that
    # carry the range (coupons, promotions) are filled by read_report from the dates instead
    shown = [o for o in rt.options if o.name not in (rt.range_options or ())]
    assert list(form.option_fields) == [o.name for o in shown]
    for opt in shown:
        control = form.option_fields[opt.name].control
        if opt.allowed is not None:
            assert [v for v in control.options if v[1]] == [(a, a) for a in opt.allowed]
        if opt.default is not None:
            assert control.value == opt.default
    assert rt.description in html.unescape(form._description.value)


def test_report_type_menu_is_grouped_by_family_with_descriptions() -> None:
    form = ReportForm()
    family = form.fields["Report Family"].control
    menu = form.fields["Report Type"].control
    types = report_types()
    for fam in ("vendor", "seller"):
        family.value = fam
        names = [v for _, v in menu.options]
        expected = [rt.name for rt in REPORT_TYPES.values() if rt.family == fam]
        assert names == expected
        assert names == types.loc[types["family"] == fam, "name"].tolist()
    family.value = "seller"
    assert get_report_type(menu.value).family == "seller"
    assert get_report_type(menu.value).description in html.unescape(form._description.value)


def test_switching_the_report_menu_changes_the_fields() -> None:
    form = ReportForm()
    menu = form.fields["Report"].control
    menu.value = "read_report"
    assert "Duration" in visible(form) and "Query" not in visible(form)
    menu.value = "search_catalog_items"
    assert "Query" in visible(form) and "Duration" not in visible(form)
    assert form.option_fields == {}
    menu.value = "list_reports"
    assert "Select Statuses" in visible(form)
    assert form.fields["Report Type"].control.options[0] == ("(any report type)", "")


@pytest.mark.parametrize("region", ["NA", "EU", "FE"])
def test_country_code_filters_market_place(region: str) -> None:
    form = ReportForm()
    form.fields["Country Code"].control.value = region
    codes = [v for _, v in form.fields["Market Place"].control.options]
    assert codes == [m.country_code for m in MARKETPLACES if m.region == region]
    assert form.value["marketplace"] in codes
    assert [label for label, _ in form.fields["Country Code"].control.options] == ["NA", "UK-EU", "FE"]


@pytest.mark.parametrize(
    ("duration", "kind", "expected"),
    [
        ("Single Date", "Relative", {"Days Back"}),
        ("Single Date", "Specific", {"Select Specific Date"}),
        ("Date From", "Relative", {"Date From", "Days Back"}),
        ("Date From", "Specific", {"Date From", "Select Specific Date"}),
    ],
)
def test_duration_shows_its_own_date_fields(duration: str, kind: str, expected: set[str]) -> None:
    form = ReportForm()
    form.fields["Duration"].control.value = duration
    form.fields[duration].control.value = kind
    dated = visible(form) & DATE_FIELDS
    assert dated == {"Duration", duration} | expected


def test_date_range_specific_and_relative_ends() -> None:
    form = ReportForm()
    form.fields["Duration"].control.value = "Date Range"
    form.fields["Start Date"].control.value = "Specific"
    form.fields["End Date"].control.value = "Relative"
    assert visible(form) & DATE_FIELDS == {"Duration", "Start Date", "End Date", "Select Specific Start Date",
                                           "Days Back to End At"}
    form.fields["Select Specific Start Date"].control.value = "2024-03-01"
    form.fields["Days Back to End At"].control.value = "2"
    assert form.value["start"] == "2024-03-01" and form.value["end"] == "today-2"


# ---------------------------------------------------------------------------- validation


def library_message(**kwargs: Any) -> str:
    with pytest.raises(ConfigurationError) as info:
        dates.DateRange.parse(**kwargs).resolve()
    return str(info.value)


@pytest.mark.parametrize(
    ("settings", "field", "library"),
    [
        ({"Duration": "Single Date", "Single Date": "Relative", "Days Back": "today+3"},
         "Days Back", {"days_back": "today+3"}),
        ({"Duration": "Single Date", "Single Date": "Relative", "Days Back": "soon"},
         "Days Back", {"days_back": "soon"}),
        ({"Duration": "Date Range", "Start Date": "Relative", "End Date": "Relative",
          "Days Back to Start From": "3", "Days Back to End At": "9"},
         "Days Back to Start From", {"days_back_to_start_from": 3, "days_back_to_end_at": 9}),
        ({"Duration": "Date Range", "Start Date": "Relative", "End Date": "Relative",
          "Days Back to Start From": "-4", "Days Back to End At": "1"},
         "Days Back to Start From", {"days_back_to_start_from": "-4", "days_back_to_end_at": 1}),
    ],
)
def test_date_errors_are_the_library_messages_next_to_the_field(
    settings: dict[str, str], field: str, library: dict[str, Any]
) -> None:
    form = ReportForm()
    for label, value in settings.items():
        form.fields[label].control.value = value
    expected = words(form, library_message(**library))
    assert form.errors == {field: expected}
    assert expected in html.unescape(form.fields[field].message.value)
    # the form's words: its labels, no Python parameter or type names
    assert field in expected
    for programmer in ("days_back", "pandas Timestamp", "datetime64"):
        assert programmer not in expected
    assert form.run_button.disabled
    assert form.run() is None and form.result is None
    form.fields["Duration"].control.value = "Single Date"
    form.fields["Single Date"].control.value = "Relative"
    form.fields["Days Back"].control.value = "today-5"  # vendor sales are published 72 h after a day ends
    assert form.errors == {} and not form.run_button.disabled
    assert form.fields[field].message.value == ""


def test_future_specific_date_is_refused_like_the_library() -> None:
    form = ReportForm()
    form.fields["Duration"].control.value = "Single Date"
    form.fields["Single Date"].control.value = "Specific"
    future = dt.date.today() + dt.timedelta(days=30)
    form.fields["Select Specific Date"].control.value = future.isoformat()
    with pytest.raises(ConfigurationError) as info:
        dates.DateRange.parse(single_date=future.isoformat()).resolve(tz=get_marketplace("US"))
    assert form.errors == {"Select Specific Date": words(form, str(info.value))}


def test_report_option_errors_are_validate_options_messages() -> None:
    name = "GET_VENDOR_REAL_TIME_SALES_REPORT"
    form = ReportForm.from_call("read_report", report_type=name, marketplace="US", start="today-1",
                                end="today-1", report_options={"currencyCode": "USD"})
    assert form.errors == {} and form.value["report_options"] == {"currencyCode": "USD"}
    form.option_fields["currencyCode"].control.value = "dollars"
    with pytest.raises(ConfigurationError) as info:
        get_report_type(name).validate_options({"currencyCode": "dollars"})
    assert form.errors == {"Currency Code": words(form, str(info.value))}
    assert form.errors["Currency Code"].startswith("Currency Code 'dollars'")
    assert form.run_button.disabled
    form.option_fields["currencyCode"].control.value = ""  # optional: left out of the call
    assert form.errors == {} and "report_options" not in form.value


def test_catalog_errors_are_the_catalog_messages() -> None:
    form = ReportForm.from_call("get_catalog_items", skus=["SKU-1"], marketplace="US")
    with pytest.raises(ConfigurationError) as info:
        catalog_api.get_catalog_items(skus=["SKU-1"], marketplace="US", client=object())
    assert form.errors == {"Seller ID": words(form, str(info.value))}
    assert "seller_id" not in form.errors["Seller ID"] and "Seller ID" in form.errors["Seller ID"]
    form.fields["Seller ID"].control.value = "A1SELLER"
    assert form.errors == {} and not form.run_button.disabled
    form.fields["Report"].control.value = "search_catalog_items"
    form.fields["Query"].control.value = ", ".join(f"w{i}" for i in range(30))
    with pytest.raises(ConfigurationError) as info:
        catalog_api.search_catalog_items([f"w{i}" for i in range(30)], marketplace="US", client=object())
    assert form.errors == {"Query": words(form, str(info.value))}


def test_marketplace_outside_the_client_region_is_refused() -> None:
    client = amzv.Client(credentials={"client_id": "amzn1.application-oa2-client.x", "client_secret": "s" * 20,
                                      "refresh_token": "Atzr|" + "r" * 30}, marketplace="US")
    form = ReportForm(client=client)
    form.fields["Country Code"].control.value = "EU"
    with pytest.raises(ConfigurationError) as info:
        client.resolve_marketplace(form.value["marketplace"])
    assert form.errors == {"Market Places": words(form, str(info.value))}
    assert "Client(marketplace=" in form.errors["Market Places"]  # code advice stays code
    assert form.run_button.disabled


def test_from_call_refuses_what_the_form_cannot_express() -> None:
    with pytest.raises(ConfigurationError, match="no field for: bogus"):
        ReportForm.from_call("read_report", report_type="GET_VENDOR_SALES_REPORT", marketplace="US", bogus=1)
    with pytest.raises(ConfigurationError, match="conflicting date forms"):
        ReportForm.from_call("read_report", report_type="GET_VENDOR_SALES_REPORT", marketplace="US",
                             days_back=1, start="2024-01-01")
    with pytest.raises(ConfigurationError, match="not a form operation"):
        ReportForm.from_call("delete_everything")


# ---------------------------------------------------------------------------- value round trip

CALLS = [
    {"operation": "read_report", "report_type": "GET_VENDOR_SALES_REPORT", "marketplace": "US",
     "start": "today-10", "end": "today-4",
     "report_options": {"reportPeriod": "DAY", "distributorView": "SOURCING", "sellingProgram": "BUSINESS"}},
    {"operation": "read_report", "report_type": "GET_VENDOR_TRAFFIC_REPORT", "marketplace": "DE",
     "start": "2024-03-03", "end": "today-3", "report_options": {"reportPeriod": "WEEK"}},
    {"operation": "read_report", "report_type": "GET_VENDOR_TRAFFIC_REPORT", "marketplace": "JP",
     "start": "2024-05-01", "end": "2024-05-01", "report_options": {"reportPeriod": "DAY"}},
    {"operation": "read_report", "report_type": "GET_VENDOR_TRAFFIC_REPORT", "marketplace": "US",
     "start": "yesterday", "end": "yesterday", "report_options": {"reportPeriod": "DAY"}},
    {"operation": "read_report", "report_type": "GET_VENDOR_TRAFFIC_REPORT", "marketplace": "US",
     "start": "2024-01-01", "end": "today", "report_options": {"reportPeriod": "DAY"}},
    {"operation": "read_report", "report_type": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
     "marketplace": "CA", "start": "today-2", "end": "today-2", "query_date_type": "last_updated",
     "quotechar": '"'},
    {"operation": "read_report", "report_type": "GET_LEDGER_DETAIL_VIEW_DATA", "marketplace": "US",
     "start": "2024-02-01", "end": "2024-02-20", "report_options": {"eventType": "Receipts"}, "quotechar": None},
    {"operation": "read_report", "report_type": "GET_COUPON_PERFORMANCE_REPORT", "marketplace": "US",
     "start": "2024-02-01", "end": "2024-02-20"},
    {"operation": "get_report", "report_type": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplace": "US",
     "quotechar": '"'},
    {"operation": "list_reports", "report_types": ["GET_VENDOR_SALES_REPORT"], "marketplace": "US",
     "statuses": ["DONE", "FATAL"]},
    {"operation": "list_report_schedules", "marketplace": "US"},
    {"operation": "get_catalog_items", "skus": ["A-1", "B-2"], "seller_id": "S1", "on_invalid_sku": "raise",
     "marketplace": "US"},
    {"operation": "get_catalog_items", "skus": "all", "seller_id": "S1", "on_invalid_sku": "skip",
     "marketplace": "US"},
    {"operation": "get_catalog_items", "asins": ["B000000001", "B000000002"], "marketplace": "UK"},
    {"operation": "search_catalog_items", "keywords": ["coffee", "mug"], "marketplace": "US"},
]


@pytest.mark.parametrize(
    ("pane", "start", "end", "duration"),
    [
        ({"days_back": 3}, "today-3", "today-3", "Single Date"),
        ({"single_date": "2024-05-01"}, "2024-05-01", "2024-05-01", "Single Date"),
        ({"date_from": "2024-05-01"}, "2024-05-01", "today", "Date From"),
        ({"date_from": "today-9"}, "today-9", "today", "Date From"),
        ({"days_back_to_start_from": 10, "days_back_to_end_at": 5}, "today-10", "today-5", "Date Range"),
        ({"days_back_to_start_from": 7}, "today-7", "today", "Date Range"),
    ],
)
def test_pane_date_forms_become_start_and_end(pane: dict[str, Any], start: str, end: str, duration: str) -> None:
    form = ReportForm.from_call("read_report", report_type="GET_VENDOR_TRAFFIC_REPORT", marketplace="US", **pane)
    assert (form.value["start"], form.value["end"]) == (start, end)
    assert form.fields["Duration"].control.value == duration
    rng = dates.DateRange.parse(**pane)
    assert dates.DateRange.parse(form.value["start"], form.value["end"]) == rng


@pytest.mark.parametrize("call", CALLS, ids=lambda c: c["operation"] + ":" + str(len(c)))
def test_value_round_trip(call: dict[str, Any]) -> None:
    form = ReportForm.from_call(**call)
    value = form.value
    assert ReportForm.from_call(**value).value == value
    # the form keeps what it was given (options it shows with a default are added)
    for key, given in call.items():
        if key == "report_options":
            assert given.items() <= value[key].items()
        else:
            assert value[key] == given, key
    other = ReportForm()
    other.value = value
    assert other.value == value


def test_to_code_is_the_call() -> None:
    form = ReportForm.from_call(**CALLS[0])
    assert form.to_code() == (
        "amzv.read_report(report_type='GET_VENDOR_SALES_REPORT', marketplace='US', start='today-10', "
        "end='today-4', report_options={'reportPeriod': 'DAY', 'distributorView': 'SOURCING', "
        "'sellingProgram': 'BUSINESS'})"
    )
    search = ReportForm.from_call(**CALLS[-1])
    assert search.to_code() == "amzv.search_catalog_items(keywords=['coffee', 'mug'], marketplace='US')"


def test_run_button_is_disabled_while_running(monkeypatch: pytest.MonkeyPatch) -> None:
    form = ReportForm.from_call("search_catalog_items", keywords=["coffee"], marketplace="US")
    seen: list[tuple[bool, str]] = []

    def fake(**kwargs: Any) -> pd.DataFrame:
        if kwargs["client"] is not None:  # the live validation's dry run
            return pd.DataFrame()
        seen.append((form.run_button.disabled, form.run_button.description))
        assert kwargs["keywords"] == ["coffee"] and kwargs["progress_bar_type"] == "auto"
        return pd.DataFrame({"asin": ["B1"]})

    monkeypatch.setattr(form, "_function", lambda: fake)
    clicks = []
    form.register_callback(lambda f: clicks.append(f.result))
    form.run_button.click()  # Run starts the call off the main thread
    assert form._run_thread is not None
    form._run_thread.join(10)
    assert seen == [(True, "Running...")]
    assert not form.run_button.disabled
    assert list(form.result["asin"]) == ["B1"] and len(clicks) == 1


# ---------------------------------------------------------------------------- issue 12: the form as an analyst meets it


def test_switching_operation_clears_the_result_area(monkeypatch: pytest.MonkeyPatch) -> None:
    form = ReportForm.from_call("search_catalog_items", keywords=["coffee"], marketplace="US")
    monkeypatch.setattr(form, "_function", lambda: lambda **kw: pd.DataFrame({"asin": ["B1"]}))
    form.run()
    assert "B1" in form._preview.value and "1 row × 1 column" in str(form.summary)
    assert form._result_box.layout.display is None
    form.fields["Report"].control.value = "read_report"  # the user picks another operation
    assert form._preview.value == "" and form._status.value == "" and form.summary is None
    assert form._result_box.layout.display == "none" and form.output.outputs == ()
    form.run()
    assert "B1" in form._preview.value
    form.value = {"operation": "list_reports", "marketplace": "US"}  # from code, too
    assert form._preview.value == "" and form._result_box.layout.display == "none"


DURATIONS = [("Single Date", "Specific", None), ("Single Date", "Relative", None),
             ("Date From", "Specific", None), ("Date From", "Relative", None),
             *[("Date Range", s, e) for s in ("Specific", "Relative") for e in ("Specific", "Relative")]]


@pytest.mark.parametrize("op", list(OPERATIONS.values()))
def test_every_operation_starts_without_error_and_run_enabled(op: str) -> None:
    form = ReportForm()
    form.fields["Report"].control.value = op
    assert form.errors == {} and not form.run_button.disabled
    assert all(r.message.value == "" for r in form.fields.values())


@pytest.mark.parametrize(("duration", "start", "end"), DURATIONS)
def test_every_duration_mode_starts_on_a_published_day(duration: str, start: str, end: str | None) -> None:
    form = ReportForm()
    form.fields["Duration"].control.value = duration
    if end is None:
        form.fields[duration].control.value = start
    else:
        form.fields["Start Date"].control.value = start
        form.fields["End Date"].control.value = end
    assert form.errors == {} and not form.run_button.disabled
    value = form.value
    # the specific pickers start on the type's last final day (its registry lag), the library agrees
    rt = get_report_type(value["report_type"])
    dates.DateRange.parse(value["start"], value["end"]).resolve(tz=get_marketplace("US"))
    if start == "Specific" and duration != "Date Range":
        zone = ZoneInfo(get_marketplace("US").timezone)
        assert value["start"] == dates.last_final_day(rt.publication_lag, dt.datetime.now(zone)).isoformat()


def test_empty_required_fields_are_errors_only_once_entered_or_run() -> None:
    form = ReportForm()
    form.fields["Report"].control.value = "search_catalog_items"
    assert form.errors == {} and not form.run_button.disabled and not form.is_valid
    assert form.run() is None and form.result is None  # Run sends nothing: it shows the error
    assert list(form.errors) == ["Query"] and form.run_button.disabled
    assert "no word" in form.fields["Query"].message.value
    form.fields["Query"].control.value = "mug"
    assert form.errors == {} and form.is_valid
    form.fields["Query"].control.value = ""  # what the user entered (cleared) is an error at once
    assert list(form.errors) == ["Query"]
    other = ReportForm()
    other.fields["Report"].control.value = "get_catalog_items"
    assert other.errors == {}
    other.fields["Seller ID"].control.value = "A1SELLER"
    assert other.errors == {} and not other.run_button.disabled  # the SKUs box: not reached yet


def test_date_defaults_follow_the_report_type_but_keep_what_the_user_set() -> None:
    form = ReportForm()
    picker = form.fields["Select Specific Date"].control
    form.fields["Report Family"].control.value = "seller"
    assert form.errors == {}
    chosen = "2024-03-01"
    picker.value = chosen
    form.fields["Report Family"].control.value = "vendor"
    assert picker.value == chosen


@pytest.mark.parametrize(
    ("statuses", "match"),
    [(["DONE"] * 6 + ["FATAL"] * 5, "at most 10"), (["DONE", "FATAL", "DONE"], "DONE more than once"),
     (["FINISHED"], "'FINISHED' is not a choice of the form's 'Select Statuses'"), ("DONE ", None)],
)
def test_statuses_from_code_are_checked_naming_the_field(statuses: Any, match: str | None) -> None:
    form = ReportForm()
    if match is None:
        form.value = {"operation": "list_reports", "marketplace": "US", "statuses": statuses}
        assert form.value["statuses"] == ["DONE"]
        return
    with pytest.raises(ConfigurationError, match=match) as info:
        form.value = {"operation": "list_reports", "marketplace": "US", "statuses": statuses}
    assert info.value.parameter == "statuses"


def test_a_value_a_field_cannot_hold_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="'Report Period' field") as info:
        ReportForm.from_call("read_report", report_type="GET_VENDOR_SALES_REPORT", marketplace="US",
                             report_options={"reportPeriod": "DECADE"})
    assert info.value.parameter == "reportPeriod"
