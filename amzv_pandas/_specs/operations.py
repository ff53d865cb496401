"""The SP-API operations we know: method, path, and the default usage plan.

Rates (requests per second) and bursts are the defaults printed in each
operation's description in Amazon's models (``tests/unit/specs/test_operations.py``
checks this table against them). The live rate comes from the
``x-amzn-RateLimit-Limit`` header and replaces these at run time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Operation", "OPERATIONS", "match_operation"]


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    path: str  # template with {params}
    rate: float
    burst: int

    @property
    def pattern(self) -> re.Pattern[str]:
        return _compile(self.path)


def _compile(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "/?$")


_R = "/reports/2021-06-30"
OPERATIONS: tuple[Operation, ...] = (
    Operation("getReports", "GET", f"{_R}/reports", 0.0222, 10),
    Operation("createReport", "POST", f"{_R}/reports", 0.0167, 15),
    Operation("getReport", "GET", f"{_R}/reports/{{reportId}}", 2.0, 15),
    Operation("cancelReport", "DELETE", f"{_R}/reports/{{reportId}}", 0.0222, 10),
    Operation("getReportSchedules", "GET", f"{_R}/schedules", 0.0222, 10),
    Operation("createReportSchedule", "POST", f"{_R}/schedules", 0.0222, 10),
    Operation("getReportSchedule", "GET", f"{_R}/schedules/{{reportScheduleId}}", 0.0222, 10),
    Operation("cancelReportSchedule", "DELETE", f"{_R}/schedules/{{reportScheduleId}}", 0.0222, 10),
    Operation("getReportDocument", "GET", f"{_R}/documents/{{reportDocumentId}}", 0.0167, 15),
    Operation("searchCatalogItems", "GET", "/catalog/2022-04-01/items", 2.0, 2),
    Operation("getCatalogItem", "GET", "/catalog/2022-04-01/items/{asin}", 2.0, 2),
    Operation("searchCatalogItems_2020_12_01", "GET", "/catalog/2020-12-01/items", 2.0, 2),
    Operation("getCatalogItem_2020_12_01", "GET", "/catalog/2020-12-01/items/{asin}", 2.0, 2),
    Operation("getMarketplaceParticipations", "GET", "/sellers/v1/marketplaceParticipations", 0.016, 15),
    Operation("getAccount", "GET", "/sellers/v1/account", 0.016, 15),
    Operation("getQueries", "GET", "/dataKiosk/2023-11-15/queries", 0.0222, 10),
    Operation("createQuery", "POST", "/dataKiosk/2023-11-15/queries", 0.0167, 15),
    Operation("getQuery", "GET", "/dataKiosk/2023-11-15/queries/{queryId}", 2.0, 15),
    Operation("cancelQuery", "DELETE", "/dataKiosk/2023-11-15/queries/{queryId}", 0.0222, 10),
    Operation("getDocument", "GET", "/dataKiosk/2023-11-15/documents/{documentId}", 0.0167, 15),
)
del _R

_COMPILED = [(op, op.pattern) for op in OPERATIONS]
BY_NAME = {op.name: op for op in OPERATIONS}


def match_operation(method: str, path: str) -> Operation | None:
    """The operation a request goes to, or ``None`` for one we do not know."""
    method = method.upper()
    path = path.split("?", 1)[0]
    for op, pattern in _COMPILED:
        if op.method == method and pattern.match(path):
            return op
    return None
