"""The form's Accounts and Market Places (issue 13), against a sandbox acting as two accounts saved as
profiles: the selectors list them, Run reads every account x marketplace, Show code names them."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

pytest.importorskip("ipywidgets")

from amzv_pandas._frontends.widgets import ReportForm  # noqa: E402
from amzv_pandas._transport.profiles import save_profile  # noqa: E402
from amzv_pandas.exceptions import ConfigurationError  # noqa: E402

SALES = "GET_VENDOR_SALES_REPORT"


@pytest.fixture(scope="module")
def sandbox_options() -> dict[str, Any]:
    return {"speed": 1000, "processing_seconds": 1.0, "accounts": 2}


@pytest.fixture
def profiles(sb: Any) -> list[str]:
    for k, name in ((1, "acme-us"), (2, "acme-two")):
        save_profile(name, sb.account_credentials(k), marketplace="US", endpoint=sb.url, token_url=sb.token_url)
    return ["acme-two", "acme-us"]


def test_accounts_and_marketplaces_in_one_run(profiles: list[str], sb: Any) -> None:
    form = ReportForm()
    assert set(profiles) <= set(form.fields["Accounts"].control.options)
    assert "Accounts" in form.visible_fields() and "Market Places" in form.visible_fields()
    form.value = {"operation": "read_report", "report_type": SALES, "marketplace": ["US", "CA"],
                  "start": "today-10", "end": "today-8", "accounts": profiles}
    assert form.errors == {}, form.errors
    assert form.value["marketplace"] == ["US", "CA"] and form.value["accounts"] == profiles
    code = form.code()
    assert f"accounts = {profiles!r}" in code and "accounts=accounts," in code
    assert "marketplace=['US', 'CA']," in code and "client=client" not in code
    form.progress_bar_type = None
    thread = form.run_async()  # Run: several accounts cannot be cancelled, so no Cancel is offered
    assert thread is not None and form._cancel_button.layout.display == "none"
    assert "cannot be cancelled" in form._status.value and not form.cancel()
    thread.join(60)
    frame = form.run()
    assert form.error is None, form.error
    assert set(frame["account"]) == set(profiles)
    assert set(frame["marketplaceId"]) == {"ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"}
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # Show code, pasted into a fresh cell
    pd.testing.assert_frame_equal(namespace["df"], frame)
    # no account chosen: the form's own client, one marketplace
    form.fields["Accounts"].control.value = ()
    assert "accounts" not in form.value


def test_an_unknown_profile_or_a_list_for_the_catalog_is_our_error(profiles: list[str]) -> None:
    form = ReportForm()
    with pytest.raises(ConfigurationError) as info:
        form.value = {"operation": "read_report", "report_type": SALES, "accounts": ["acme-uss"]}
    assert info.value.parameter == "accounts" and "Accounts" in str(info.value)
    with pytest.raises(ConfigurationError) as info:
        form.value = {"operation": "search_catalog_items", "keywords": ["mug"], "marketplace": ["US", "CA"]}
    assert info.value.parameter == "marketplace"
