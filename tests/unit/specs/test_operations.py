"""The operation table agrees with Amazon's models (the models win)."""

import json
import re
from pathlib import Path

import pytest

from amzv_pandas._specs.operations import BY_NAME, OPERATIONS, match_operation

MODELS = Path(__file__).resolve().parents[3] / "amzv_pandas" / "sandbox" / "spapi" / "models"


def _model_operations():
    for path in MODELS.glob("*.json"):
        model = json.loads(path.read_text())
        for route, methods in model["paths"].items():
            for method, op in methods.items():
                if method == "parameters":
                    continue
                rate, burst = re.search(r"\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|", op["description"]).groups()
                yield method.upper(), route, op["operationId"], float(rate), int(burst)


@pytest.mark.parametrize("method,route,operation_id,rate,burst", list(_model_operations()))
def test_every_model_operation_is_known_with_its_usage_plan(method, route, operation_id, rate, burst):
    concrete = re.sub(r"\{[^}]+\}", "X123", route)
    op = match_operation(method, concrete)
    assert op is not None, f"{method} {route} not in the table"
    assert op.name.split("_")[0] == operation_id
    assert (op.rate, op.burst) == (rate, burst)


def test_table_has_no_extras():
    assert len(OPERATIONS) == len(list(_model_operations())) == len(BY_NAME)


def test_unknown_path():
    assert match_operation("GET", "/orders/v0/orders") is None
    assert match_operation("PUT", "/reports/2021-06-30/reports") is None
