"""Static mode: every x-amzn-api-sandbox static example of the four models answers its request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

import pytest

from amzv_pandas import sandbox
from amzv_pandas.sandbox import static
from amzv_pandas.sandbox._data.api_models import load_operations
from amzv_pandas.sandbox._services.request import QueryArgs

from .conftest import Api

MODELS = Path(sandbox.__file__).with_name("spapi") / "models"


def _model_examples() -> list[dict[str, Any]]:
    """Read the examples straight from the model files (independently of static.py)."""
    out = []
    for path in sorted(MODELS.glob("*.json")):
        model = json.loads(path.read_text(encoding="utf-8"))
        for template, item in model["paths"].items():
            for method, spec in item.items():
                if method == "parameters":
                    continue
                params = {p["name"]: p for p in spec.get("parameters", [])}
                for status, resp in spec["responses"].items():
                    for n, entry in enumerate(resp.get("x-amzn-api-sandbox", {}).get("static", [])):
                        out.append({"id": f"{path.stem}:{spec['operationId']}:{status}:{n}", "method": method.upper(),
                                    "template": template, "params": params, "status": int(status),
                                    "request": entry["request"]["parameters"], "response": entry.get("response")})
    return out


EXAMPLES = _model_examples()
SHADOWED = {(ex.operation.key, ex.status) for ex in static.shadowed_examples()}


def _build(example: dict[str, Any]) -> tuple[str, str, dict[str, str], Any]:
    path, query, body = example["template"], {}, None
    for name, spec in example["request"].items():
        value = spec["value"]
        where = example["params"][name]["in"]
        if where == "path":
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        elif where == "query":
            query[name] = ",".join(value) if isinstance(value, list) else str(value)
        else:
            body = value
    # parameter-less examples of operations with path parameters need some id
    path = path.replace("{reportId}", "whatever").replace("{reportScheduleId}", "whatever")
    return example["method"], path, query, body


@pytest.fixture(scope="module")
def ssb() -> Iterator[sandbox.Sandbox]:
    with sandbox.serve(static=True, speed=100) as server:
        yield server


@pytest.fixture
def sapi(ssb) -> Iterator[Api]:
    caller = Api(ssb)
    yield caller
    caller.close()


def test_the_models_have_the_documented_number_of_examples():
    assert len(EXAMPLES) == 18 + 4 + 2 + 3 + 14
    assert len(static.examples()) == len(EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["id"] for e in EXAMPLES])
def test_every_static_example_answers_its_request(sapi, example):
    method, path, query, body = _build(example)
    resp = sapi.call(method, path, params=query, json=body)
    stem, operation_id = example["id"].split(":")[:2]
    if (f"{stem}/{operation_id}", example["status"]) in SHADOWED:
        # two parameter-less examples: the first in the model wins (getAccount's 200 over its 400)
        assert resp.status_code == 200 and "payload" in resp.json()
        return
    assert resp.status_code == example["status"], resp.text
    if example["response"] is None or example["status"] == 204:
        assert resp.content == b""
    else:
        assert resp.json() == example["response"]
    assert resp.headers["x-amzn-RequestId"]


def test_only_get_account_400_is_shadowed():
    assert [(ex.operation.key, ex.status) for ex in static.shadowed_examples()] == [("sellers/getAccount", 400)]


def test_unmatched_requests_get_a_clear_400_or_404(sapi):
    resp = sapi.get("/reports/2021-06-30/reports", params={"reportTypes": "GET_SOMETHING_ELSE"})
    assert resp.status_code == 400
    error = resp.json()["errors"][0]
    assert "No static sandbox example of getReports" in error["message"]
    assert "FEE_DISCOUNTS_REPORT" in error["details"]
    missing = sapi.get("/reports/2021-06-30/reports/NOPE")
    assert missing.status_code == 404 and "getReport" in missing.json()["errors"][0]["message"]
    wrong_query = sapi.get("/catalog/2022-04-01/items/B07N4M94X4", params={"marketplaceIds": "ATVPDKIKX0DER"})
    assert wrong_query.status_code == 400  # the asin is known, the includedData is not the example's
    assert sapi.get("/nowhere").status_code == 404


def test_parameter_less_example_is_the_fallback(sapi):
    resp = sapi.delete("/reports/2021-06-30/reports/anything-but-ID")
    assert resp.status_code == 400 and resp.json()["errors"][0]["details"] == "Invalid input"
    assert sapi.delete("/reports/2021-06-30/reports/ID").status_code == 200


def test_static_mode_still_needs_a_token_and_has_sandbox_rate_limits(sapi):
    resp = sapi.get("/reports/2021-06-30/reports/ID323", token=None)
    assert resp.status_code == 403
    ok = sapi.get("/reports/2021-06-30/reports/ID323")
    assert ok.status_code == 200
    assert ok.headers["x-amzn-RateLimit-Limit"] == "500.0"  # 5 req/s at speed 100


def test_array_matching_ignores_order_and_accepts_repeated_parameters():
    op = next(o for o in load_operations() if o.key == "reports_2021-06-30/getReports")
    responder = static.StaticResponder()
    csv = QueryArgs({"reportTypes": ["GET_AFN_INVENTORY_DATA,FEE_DISCOUNTS_REPORT"],
                     "processingStatuses": ["IN_PROGRESS,IN_QUEUE"]})
    repeated = QueryArgs({"reportTypes": ["FEE_DISCOUNTS_REPORT", "GET_AFN_INVENTORY_DATA"],
                          "processingStatuses": ["IN_QUEUE", "IN_PROGRESS"]})
    for query in (csv, repeated):
        found = responder.find(op, {}, query, b"")
        assert found is not None and found.status == 200
    assert responder.find(op, {}, QueryArgs({"reportTypes": ["FEE_DISCOUNTS_REPORT"]}), b"") is None


def test_body_must_match_exactly():
    op = next(o for o in load_operations() if o.key == "reports_2021-06-30/createReport")
    body = {"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "dataStartTime": "2024-03-10T20:11:24.000Z",
            "marketplaceIds": ["A1PA6795UKMFR9", "ATVPDKIKX0DER"]}
    responder = static.StaticResponder()
    assert responder.find(op, {}, QueryArgs({}), json.dumps(body).encode()).response == {"reportId": "ID323"}
    changed = {**body, "reportOptions": {"x": "y"}}
    assert responder.find(op, {}, QueryArgs({}), json.dumps(changed).encode()) is None
    assert responder.find(op, {}, QueryArgs({}), b"{broken") is None


def test_static_report_document_url_is_the_models(sapi):
    resp = sapi.get("/reports/2021-06-30/documents/0356cf79-b8b0-4226-b4b9-0ee058ea5760")
    assert resp.json()["url"].startswith("https://d34o8swod1owfl.cloudfront.net/")
    assert "compressionAlgorithm" not in resp.json()


def test_static_examples_are_reachable_over_the_old_catalog_version(sapi):
    resp = sapi.get("/catalog/2020-12-01/items", params={"keywords": "red,polo,shirt",
                                                         "marketplaceIds": "ATVPDKIKX0DER",
                                                         "includedData": "summaries"})
    assert resp.status_code == 200 and resp.json()["numberOfResults"] == 12247


def test_usage_plans_are_read_from_the_models():
    plans = {op.key: (op.rate, op.burst) for op in load_operations()}
    assert plans["reports_2021-06-30/getReports"] == (0.0222, 10)
    assert plans["reports_2021-06-30/createReport"] == (0.0167, 15)
    assert plans["reports_2021-06-30/getReport"] == (2.0, 15)
    assert plans["reports_2021-06-30/getReportDocument"] == (0.0167, 15)
    assert plans["catalogItems_2022-04-01/searchCatalogItems"] == (2.0, 2)
    assert plans["sellers/getMarketplaceParticipations"] == (0.016, 15)
    assert len(plans) == 20


def test_extra_parameters_do_not_prevent_a_match(sapi):
    """Amazon's rule: only the parameters an example lists take part in the match."""
    op = next(o for o in load_operations() if o.key == "reports_2021-06-30/getReports")
    responder = static.StaticResponder()
    extra = QueryArgs({"reportTypes": ["GET_AFN_INVENTORY_DATA,FEE_DISCOUNTS_REPORT"],
                       "processingStatuses": ["IN_PROGRESS,IN_QUEUE"], "pageSize": ["100"],
                       "createdSince": ["2024-01-01T00:00:00Z"], "marketplaceIds": ["ATVPDKIKX0DER"],
                       "notInTheModel": ["x"]})
    found = responder.find(op, {}, extra, b"")
    assert found is not None and found.status == 200
    # over HTTP too, for a query example and a path + query example
    resp = sapi.get("/reports/2021-06-30/reports", params={
        "reportTypes": "FEE_DISCOUNTS_REPORT,GET_AFN_INVENTORY_DATA", "processingStatuses": "IN_QUEUE,IN_PROGRESS",
        "pageSize": "10", "createdSince": "2024-01-01T00:00:00Z", "somethingUndefined": "1"})
    assert resp.status_code == 200 and resp.json()["reports"][0]["reportId"] == "ReportId1"
    item = sapi.get("/catalog/2022-04-01/items/B07N4M94X4", params={
        "marketplaceIds": "ATVPDKIKX0DER", "locale": "en_US",
        "includedData": "summaries,vendorDetails,salesRanks,relationships,productTypes,images,identifiers,"
                        "dimensions,classifications"})
    assert item.status_code == 200 and item.json()["asin"] == "B07N4M94X4"
    # a listed parameter with another value still fails, whatever else is sent
    assert responder.find(op, {}, QueryArgs({"reportTypes": ["FEE_DISCOUNTS_REPORT"], "processingStatuses":
                                             ["IN_QUEUE,IN_PROGRESS"], "pageSize": ["10"]}), b"") is None


def test_the_most_specific_example_wins():
    op = next(o for o in load_operations() if o.key == "reports_2021-06-30/cancelReport")
    responder = static.StaticResponder()
    # both the {reportId: ID} 200 and the parameter-less 400 match; the one listing more parameters wins
    assert responder.find(op, {"reportId": "ID"}, QueryArgs({"extra": ["1"]}), b"").status == 200
    assert responder.find(op, {"reportId": "other"}, QueryArgs({}), b"").status == 400


def test_a_paging_follow_up_matches_nothing_and_says_why(sapi):
    resp = sapi.get("/reports/2021-06-30/reports", params={"nextToken": "VGhpcyB0b2tlbg=="})
    assert resp.status_code == 400
    assert "No example lists nextToken" in resp.json()["errors"][0]["details"]
