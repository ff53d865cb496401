"""ReportForm, headless, run against the sandbox: Run gives the library's frame and errors, and no
secret reaches the form's value, code or widget state."""

from __future__ import annotations

import html
import json
import warnings
from typing import Any

import pandas as pd
import pytest

pytest.importorskip("ipywidgets")
import ipywidgets as widgets  # noqa: E402

import amzv_pandas as amzv  # noqa: E402
from amzv_pandas._catalog import api as catalog_api  # noqa: E402
from amzv_pandas._frontends.widgets import ReportForm  # noqa: E402


# ---------------------------------------------------------------------------- Run (sandbox)


@pytest.fixture(scope="module")
def sandbox_options() -> dict[str, Any]:
    return {"speed": 200, "processing_seconds": 1.0}


def test_run_read_report_and_to_code_give_the_same_frame(client: Any) -> None:
    pytest.importorskip("amzv_pandas._reports.api")
    call = {"operation": "read_report", "report_type": "GET_VENDOR_SALES_REPORT", "marketplace": "US",
            "days_back_to_start_from": 12, "days_back_to_end_at": 6}  # the pane's form
    form = ReportForm.from_call(**call, client=client)
    form.progress_bar_type = None
    frame = form.run()
    assert form.error is None, form.error
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    assert form.result is frame
    assert form._status.value == ""  # the summary line holds the shape
    # the preview and its summary line went to the form
    assert "<table" in form._preview.value and frame.columns[2] in form._preview.value
    assert str(form.summary).startswith(f"{len(frame):,} rows × {frame.shape[1]} columns · GET_VENDOR_SALES_REPORT")
    assert "report " in str(form.summary)
    assert not form.run_button.disabled and form.run_button.description == "Run"
    # to_code(), executed, gives the same frame (the default client is the form's)
    amzv.set_default_client(client)
    namespace: dict[str, Any] = {"amzv": amzv}
    exec("result = " + form.to_code(), namespace)
    pd.testing.assert_frame_equal(namespace["result"], frame)
    direct = amzv.read_report("GET_VENDOR_SALES_REPORT", "today-12", "today-6", marketplace="US",
                              client=client, progress_bar_type=None)
    pd.testing.assert_frame_equal(direct, frame)


def test_run_search_catalog_items(client: Any) -> None:
    form = ReportForm.from_call("search_catalog_items", keywords=["coffee"], marketplace="US", client=client)
    form.progress_bar_type = None
    frame = form.run()
    assert form.error is None, form.error
    assert list(frame.columns[:2]) == ["asin", "marketplace_id"]
    expected = catalog_api.search_catalog_items(["coffee"], marketplace="US", client=client,
                                                 progress_bar_type=None)
    pd.testing.assert_frame_equal(frame, expected)


def test_run_error_is_a_short_message_in_the_output(client: Any, sb: Any) -> None:
    form = ReportForm.from_call("search_catalog_items", keywords=["coffee"], marketplace="US", client=client)
    form.progress_bar_type = None
    client.max_retries = 0
    sb.inject("500", operation="searchCatalogItems", count=1)  # validation sends nothing: Run gets it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert form.run() is None
    assert form.error is not None
    name = type(form.error).__name__
    text = form._message.value
    assert name in text and "Traceback" not in text and "amzv-error" in text
    assert name in form._status.value
    assert not form.run_button.disabled


def test_show_code_runs_on_its_own_and_gives_the_same_frame(client: Any) -> None:
    form = ReportForm.from_call("read_report", report_type="GET_VENDOR_SALES_REPORT", marketplace="US",
                                start="today-12", end="today-6", client=client)
    form.progress_bar_type = None
    frame = form.run()
    code = form.code()
    assert code.startswith("import amzv_pandas as amzv\n")
    # the form's client is a notebook variable: the code names it, never its credentials
    namespace: dict[str, Any] = {"my_client": client}
    from amzv_pandas._frontends.form_code import cell_code

    cell = cell_code("read_report", {k: v for k, v in form.value.items() if k != "operation"}, client, namespace)
    assert "client = my_client" in cell
    exec(cell, namespace)  # the cell as the user pastes it
    pd.testing.assert_frame_equal(namespace["df"], frame)
    assert client.credentials.client_secret not in cell and client.credentials.refresh_token not in cell


def test_warnings_of_a_run_are_a_tidy_notice(client: Any) -> None:
    form = ReportForm.from_call("get_catalog_items", skus=["NO-SUCH-SKU-1"], seller_id="A1SELLER",
                                on_invalid_sku="skip", marketplace="US", client=client)
    form.progress_bar_type = None
    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        form.run()
    assert form.error is None, form.error
    assert form.warnings and "NO-SUCH-SKU-1" in form.warnings[0]
    notice = form._message.value
    assert "amzv-notice" in notice and "NO-SUCH-SKU-1" in notice
    assert ".py" not in notice and "warnings.warn" not in notice and "Warning:" not in notice
    assert not leaked  # taken by the form, not printed under it


def test_warn_about_an_unknown_sku_stops_naming_it(client: Any) -> None:
    form = ReportForm.from_call("get_catalog_items", skus=["NO-SUCH-SKU-2"], seller_id="A1SELLER",
                                on_invalid_sku="raise", marketplace="US", client=client)
    form.progress_bar_type = None
    assert form.run() is None and form.error is not None
    assert "NO-SUCH-SKU-2" in form._message.value


def test_export_writes_csv_and_parquet(client: Any, tmp_path: Any) -> None:
    form = ReportForm.from_call("search_catalog_items", keywords=["coffee"], marketplace="US", client=client)
    form.progress_bar_type = None
    frame = form.run()
    assert form._export_box.layout.display is None and form._export_path.value.endswith(".csv")
    path = form.export(str(tmp_path / "coffee.csv"))
    assert path == (tmp_path / "coffee.csv").resolve()
    assert len(pd.read_csv(path)) == len(frame)
    assert str(path) in html.unescape(form._export_status.value)
    form._export_format.value = "parquet"
    path = form.export(str(tmp_path / "coffee"))
    assert path.suffix == ".parquet" and list(pd.read_parquet(path).columns) == list(frame.columns)
    assert form.export("") is None and "empty" in form._export_status.value


# ---------------------------------------------------------------------------- secrets


def _all_states(form: ReportForm) -> list[dict[str, Any]]:
    """get_state() of every widget reachable from the form (children, layouts, styles)."""
    seen: dict[str, dict[str, Any]] = {}
    todo: list[Any] = [form]
    while todo:
        w = todo.pop()
        if w.model_id in seen:
            continue
        seen[w.model_id] = w.get_state()
        for name in w.keys:
            value = getattr(w, name)
            for item in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(item, widgets.Widget):
                    todo.append(item)
    return list(seen.values())


def test_no_secret_in_value_code_or_widget_state(client: Any) -> None:
    creds = client.credentials
    secrets = [creds.client_secret, creds.refresh_token]
    form = ReportForm.from_call("search_catalog_items", keywords=["coffee"], marketplace="US", client=client)
    form.progress_bar_type = None
    form.run()
    states = _all_states(form)
    assert len(states) > 40  # every field, its label, its message, layouts and styles
    blob = json.dumps([form.value, form.to_code(), repr(form), states], default=str)
    for secret in secrets:
        assert secret and secret not in blob
    assert "client" not in form.value
    # and the client is not a trait: it can never be synced or saved
    assert "client" not in form.keys
