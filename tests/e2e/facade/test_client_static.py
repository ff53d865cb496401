"""The library's wrappers and Client.request against Amazon's own static sandbox examples.

``sandbox.serve(static=True)`` answers like Amazon's sandbox hosts: a request gets an example's
canned response when every parameter the example lists matches (other parameters take no part).
Here the public API is driven with the examples' parameters, and the examples' responses (read
straight from the model files) must come back through it, typed.

What the wrappers cannot reach, and why:

* Every example response that carries a paging token is one page; no example lists ``nextToken``
  or ``pageToken``. ``list_reports`` follows ``nextToken`` alone (as the model requires), which
  matches nothing on Amazon's sandbox as here, so it is called with ``max_results`` no larger than
  the example's page. ``search_catalog_items`` repeats its filters with ``pageToken``, which
  matches the same example again (the same item again), so it too gets ``max_results=1``.
* The 400 examples of getReports (``processingStatuses`` ``BAD_VALUE``) and createReport
  (``BAD_FEE_DISCOUNTS_REPORT``) are refused by the wrappers' own validation before any call, so
  they go through ``Client.request``.
* ``get_catalog_items`` searches by ``identifiers``, never ``keywords``; the only search examples
  list ``keywords``, so no example can answer it. ``read_report``/``get_report`` need a report that
  reaches DONE; getReport's example stays IN_PROGRESS, so they cannot finish in static mode.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import amzv_pandas as amzv
from amzv_pandas import sandbox
from amzv_pandas.exceptions import BadRequest, ConfigurationError

MODELS = Path(sandbox.__file__).with_name("spapi") / "models"
REPORTS = "/reports/2021-06-30"
CATALOG = "/catalog/2022-04-01"


def _example(model: str, operation_id: str, status: int) -> dict[str, Any]:
    """The model's static example (request parameters and response), read from the model file."""
    spec = json.loads((MODELS / f"{model}.json").read_text(encoding="utf-8"))
    for item in spec["paths"].values():
        for method, op in item.items():
            if method != "parameters" and op.get("operationId") == operation_id:
                (entry,) = op["responses"][str(status)]["x-amzn-api-sandbox"]["static"]
                params = {k: v["value"] for k, v in entry["request"]["parameters"].items()}
                return {"params": params, "response": entry.get("response")}
    raise LookupError(f"{model} {operation_id} {status}")


def _reports(operation_id: str, status: int) -> dict[str, Any]:
    return _example("reports_2021-06-30", operation_id, status)


def _catalog(operation_id: str, status: int) -> dict[str, Any]:
    return _example("catalogItems_2022-04-01", operation_id, status)


@pytest.fixture(scope="module")
def sandbox_options() -> dict[str, Any]:
    return {"static": True, "speed": 100}


@pytest.fixture
def client_options() -> dict[str, Any]:
    return {"marketplace": "US"}


# ---- Reports --------------------------------------------------------------------------------------


def test_list_reports_returns_the_example_typed(client):
    ex = _reports("getReports", 200)
    expected = ex["response"]["reports"]
    # list_reports also sends createdSince and pageSize, which the example does not list
    df = amzv.list_reports(ex["params"]["reportTypes"], statuses=ex["params"]["processingStatuses"],
                           allow_unknown=True, max_results=len(expected), client=client)
    assert df["reportId"].tolist() == [r["reportId"] for r in expected]
    assert df["reportType"].tolist() == [r["reportType"] for r in expected]
    assert df["processingStatus"].tolist() == [r["processingStatus"] for r in expected]
    assert str(df["createdTime"].dtype) == "datetime64[us, UTC]"
    assert df["createdTime"].iloc[0] == pd.Timestamp(expected[0]["createdTime"])
    assert df["dataStartTime"].iloc[0] == pd.Timestamp(expected[0]["dataStartTime"])
    assert df.attrs["amzv"]["pages"] == 1
    # the same through the Client method, order of the filters shuffled
    again = client.list_reports(list(reversed(ex["params"]["reportTypes"])),
                                statuses=list(reversed(ex["params"]["processingStatuses"])),
                                max_results=len(expected), allow_unknown=True)
    assert again["reportId"].tolist() == df["reportId"].tolist()


def test_list_reports_cannot_follow_the_examples_next_token(client):
    # The example's page carries a nextToken; the follow-up sends nextToken alone, which no example
    # lists: Amazon's sandbox hosts cannot answer it either. The 400 says what happened.
    ex = _reports("getReports", 200)
    assert ex["response"].get("nextToken")
    with pytest.raises(BadRequest, match="getReports") as info:
        amzv.list_reports(ex["params"]["reportTypes"], statuses=ex["params"]["processingStatuses"], client=client,
                          allow_unknown=True)
    assert "No example lists nextToken" in str(info.value.details)


def test_get_report_through_request(client):
    ex = _reports("getReport", 200)
    assert ex["params"] == {"reportId": "ID323"}
    assert client.request("GET", f"{REPORTS}/reports/ID323") == ex["response"]


def test_create_report_with_the_example_body(client):
    ex = _reports("createReport", 202)
    assert client.request("POST", f"{REPORTS}/reports", json=ex["params"]["body"], retries=0) == {"reportId": "ID323"}
    assert ex["response"] == {"reportId": "ID323"}


def test_get_report_document_example(client):
    doc_id = "0356cf79-b8b0-4226-b4b9-0ee058ea5760"
    ex = _reports("getReportDocument", 200)
    assert ex["params"] == {"reportDocumentId": doc_id}
    answer = client.request("GET", f"{REPORTS}/documents/{doc_id}")
    assert answer == ex["response"]
    assert answer["reportDocumentId"] == doc_id and "compressionAlgorithm" not in answer


def test_list_report_schedules_returns_the_example_typed(client):
    ex = _reports("getReportSchedules", 200)
    expected = ex["response"]["reportSchedules"]
    df = amzv.list_report_schedules(ex["params"]["reportTypes"], client=client, allow_unknown=True)
    assert df["reportScheduleId"].tolist() == [s["reportScheduleId"] for s in expected]
    assert df["reportType"].tolist() == [s["reportType"] for s in expected]
    assert df["marketplaceIds"].tolist() == [",".join(s.get("marketplaceIds") or []) for s in expected]
    assert df["period"].tolist() == [s["period"] for s in expected]
    assert str(df["nextReportCreationTime"].dtype) == "datetime64[us, UTC]"
    assert df["nextReportCreationTime"].tolist() == [pd.Timestamp(s["nextReportCreationTime"]) for s in expected]
    # a marketplace filter applies to the example's schedules
    us = client.list_report_schedules(ex["params"]["reportTypes"], marketplace="US", allow_unknown=True)
    assert set(us["reportScheduleId"]) == {s["reportScheduleId"] for s in expected
                                           if "ATVPDKIKX0DER" in (s.get("marketplaceIds") or [])}


def test_get_report_schedule_through_request(client):
    ex = _reports("getReportSchedule", 200)
    assert client.request("GET", f"{REPORTS}/schedules/{ex['params']['reportScheduleId']}") == ex["response"]


# ---- Catalog --------------------------------------------------------------------------------------


def test_search_catalog_items_returns_the_example_typed(client):
    ex = _catalog("searchCatalogItems", 200)
    params = ex["params"]
    assert params["keywords"] == ["samsung", "tv"] and params["marketplaceIds"] == ["ATVPDKIKX0DER"]
    expected = ex["response"]["items"]
    # pageSize (always sent) is not listed by the example; max_results: see the module docstring
    df = amzv.search_catalog_items("samsung,tv", included_data=params["includedData"],
                                   max_results=len(expected), client=client)
    assert df["asin"].tolist() == [i["asin"] for i in expected] == ["B07N4M94X4"]
    meta = df.attrs["amzv"]
    assert meta["calls"] == 1 and meta["marketplace_id"] == "ATVPDKIKX0DER"
    assert meta["number_of_results"] == ex["response"]["numberOfResults"]
    assert meta["refinements"] == ex["response"]["refinements"]
    assert meta["truncated"] is True  # the example's page carries a nextToken
    assert set(meta["included_data"]) == set(params["includedData"])
    item, row = expected[0], df.iloc[0]
    assert row["item_name"] == item["summaries"][0]["itemName"]
    assert row["brand"] == item["summaries"][0]["brand"]
    assert row["product_type"] == item["productTypes"][0]["productType"]
    # typed: measures and counts are numbers, not text
    dims = item["dimensions"][0]
    assert str(df["item_weight"].dtype) == "Float64" and row["item_weight"] == dims["item"]["weight"]["value"]
    assert row["item_weight_unit"] == dims["item"]["weight"]["unit"]
    assert pd.api.types.is_integer_dtype(df["main_image_width"])
    assert row["main_image_url"] == item["images"][0]["images"][0]["link"]
    # the same through the Client method, includedData in another order
    again = client.search_catalog_items(["tv", "samsung"], included_data=list(reversed(params["includedData"])),
                                        max_results=1)
    assert again["asin"].tolist() == ["B07N4M94X4"]


def test_get_catalog_item_through_request(client):
    ex = _catalog("getCatalogItem", 200)
    params = ex["params"]
    assert params["asin"] == "B07N4M94X4"
    answer = client.request("GET", f"{CATALOG}/items/B07N4M94X4",
                            params={"marketplaceIds": params["marketplaceIds"],
                                    "includedData": params["includedData"]})
    assert answer == ex["response"]


def test_marketplace_participations_returns_the_sellers_example(client):
    ex = _example("sellers", "getMarketplaceParticipations", 200)
    df = client.marketplace_participations()
    assert df["marketplace_id"].tolist() == [e["marketplace"]["id"] for e in ex["response"]["payload"]]
    assert str(df["is_participating"].dtype) == "boolean"


# ---- Amazon's 400 examples --------------------------------------------------------------------------


def test_get_reports_400_example_surfaces_as_bad_request(client):
    ex = _reports("getReports", 400)
    # list_reports refuses BAD_VALUE itself, before any call
    with pytest.raises(ConfigurationError):
        amzv.list_reports(ex["params"]["reportTypes"], statuses=ex["params"]["processingStatuses"], client=client,
                          allow_unknown=True)
    with pytest.raises(BadRequest) as info:
        client.request("GET", f"{REPORTS}/reports", params=ex["params"])
    error = ex["response"]["errors"][0]
    assert info.value.status_code == 400
    assert (info.value.code, info.value.message, info.value.details) == (
        error["code"], error["message"], error["details"])
    assert info.value.operation == "getReports" and info.value.request_id


@pytest.mark.parametrize("path", [f"{REPORTS}/reports/badReportId1", f"{REPORTS}/documents/badDocumentId1",
                                  f"{REPORTS}/schedules/badReportId1"])
def test_bad_id_400_examples_surface_as_bad_request(client, path):
    with pytest.raises(BadRequest) as info:
        client.request("GET", path)
    assert (info.value.code, info.value.message, info.value.details) == ("400", "Invalid input", "Invalid input")


def test_create_report_400_example_surfaces_as_bad_request(client):
    ex = _reports("createReport", 400)
    with pytest.raises(BadRequest) as info:
        client.request("POST", f"{REPORTS}/reports", json=ex["params"]["body"], retries=0)
    error = ex["response"]["errors"][0]
    assert (info.value.code, info.value.message) == (error["code"], error["message"])
