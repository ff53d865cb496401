"""The sandbox's accounts: each with its own seeded data, services, rate-limit buckets and counters.

``serve(accounts=N)`` starts one server that acts as N selling-partner accounts of one app:
LWA issues one refresh token per account, and every SP-API call is answered by the account
its access token belongs to. Account ``k`` (0-based) reads data seeded with ``seed + k``,
so the accounts' reports differ, and keeps its own token buckets, so one account's calls
never use another's quota (as on Amazon, where limits are per selling partner and app).
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any, Callable

from .._data.api_models import Operation
from .._services.catalog import CatalogService
from .._services.datakiosk import DataKioskService
from .._services.reports import ReportsService
from .._services.request import Request, Response
from .._services.schedules import SchedulesService
from .throttle import TokenBucket

__all__ = ["SandboxAccount"]


class SandboxAccount:
    """One account's state. ``handlers`` maps an operation key to this account's handler."""

    def __init__(self, index: int, data: Any, *, reports: ReportsService, schedules: SchedulesService,
                 catalog: CatalogService, datakiosk: DataKioskService,
                 make_bucket: Callable[[Operation], TokenBucket],
                 get_report: Callable[["SandboxAccount", Request], Response]) -> None:
        self.index = index
        self.data = data
        self.reports = reports
        self.schedules = schedules
        self.catalog = catalog
        self.datakiosk = datakiosk
        self._make_bucket = make_bucket
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self.handlers: dict[str, Callable[[Request], Response]] = {
            "reports_2021-06-30/getReports": reports.get_reports,
            "reports_2021-06-30/createReport": reports.create_report,
            "reports_2021-06-30/getReport": lambda req: get_report(self, req),
            "reports_2021-06-30/cancelReport": reports.cancel_report,
            "reports_2021-06-30/getReportSchedules": schedules.get_report_schedules,
            "reports_2021-06-30/createReportSchedule": schedules.create_report_schedule,
            "reports_2021-06-30/getReportSchedule": schedules.get_report_schedule,
            "reports_2021-06-30/cancelReportSchedule": schedules.cancel_report_schedule,
            "reports_2021-06-30/getReportDocument": reports.get_report_document,
            "catalogItems_2022-04-01/searchCatalogItems": catalog.search,
            "catalogItems_2022-04-01/getCatalogItem": catalog.get_item,
            "sellers/getMarketplaceParticipations": catalog.participations,
            "sellers/getAccount": catalog.account,
            "dataKiosk_2023-11-15/createQuery": datakiosk.create_query,
            "dataKiosk_2023-11-15/getQueries": datakiosk.get_queries,
            "dataKiosk_2023-11-15/getQuery": datakiosk.get_query,
            "dataKiosk_2023-11-15/cancelQuery": datakiosk.cancel_query,
            "dataKiosk_2023-11-15/getDocument": datakiosk.get_document,
        }

    def __repr__(self) -> str:
        return f"<SandboxAccount {self.index + 1} seller={self.data.sellers[0]}>"

    def bucket(self, op: Operation) -> TokenBucket:
        """This account's token bucket of ``op`` (created on first use)."""
        with self._lock:
            bucket = self._buckets.get(op.operation_id)
            if bucket is None:
                bucket = self._buckets[op.operation_id] = self._make_bucket(op)
            return bucket

    def count(self, name: str, *, throttled: bool = False) -> None:
        with self._lock:
            (self.throttled if throttled else self.calls)[name] += 1

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {"calls": dict(self.calls), "throttled": dict(self.throttled)}

    def reset_stats(self) -> None:
        with self._lock:
            self.calls.clear()
            self.throttled.clear()

    def close(self) -> None:
        self.reports.close()
        self.datakiosk.close()
