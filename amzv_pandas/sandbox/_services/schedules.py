"""Reports API 2021-06-30: the four report-schedule operations over in-memory schedules.

A schedule is kept as its JSON (plus a private ``_anchor``, its first run); the next
creation time is computed from the anchor and the period whenever it is shown.
"""

from __future__ import annotations

import calendar
import random
import re
import threading
from typing import Any, Mapping

from .common import Clock, format_time, utc_datetime
from .report_params import body_marketplaces, body_options, body_report_type, json_body, query_array, string_time
from .request import ApiError, Request, Response, invalid_input

__all__ = ["SCHEDULE_PERIODS", "SchedulesService"]

SCHEDULE_PERIODS = ("PT5M", "PT15M", "PT30M", "PT1H", "PT2H", "PT4H", "PT8H", "PT12H", "P1D", "P2D",
                    "P3D", "PT84H", "P7D", "P14D", "P15D", "P18D", "P30D", "P1M")


def _schedule_json(schedule: Mapping[str, Any], now: float) -> dict[str, Any]:
    out = {k: v for k, v in schedule.items() if not k.startswith("_")}
    out["nextReportCreationTime"] = format_time(_next_run(schedule["_anchor"], schedule["period"], now))
    return out


def _next_run(anchor: float, period: str, now: float) -> float:
    """The first run of a schedule started at ``anchor`` that is after ``now``."""
    if period == "P1M":
        start = utc_datetime(anchor)
        when, months = start, 0
        while when.timestamp() <= now:
            months += 1
            year, month = divmod(start.month - 1 + months, 12)
            year += start.year
            day = min(start.day, calendar.monthrange(year, month + 1)[1])  # Jan 31 -> Feb 29 -> Mar 31
            when = start.replace(year=year, month=month + 1, day=day)
        return when.timestamp()
    m = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?", period)
    assert m is not None
    days, hours, minutes = (int(g or 0) for g in m.groups())
    step = days * 86400 + hours * 3600 + minutes * 60
    if now < anchor:
        return anchor
    return anchor + step * (int((now - anchor) // step) + 1)


class SchedulesService:
    """State and handlers of the report schedules.

    Parameters
    ----------
    clock : Clock
    seed : int
        Makes schedule ids reproducible.
    account_type : {"vendor", "seller"}
        Which schedules are seeded.
    """

    def __init__(self, clock: Clock, *, seed: int, account_type: str) -> None:
        self.clock = clock
        rng = random.Random(f"amzv-sandbox-schedules-{seed}")
        self._next_schedule = rng.randrange(50_000_000_000, 59_000_000_000)
        self._schedules: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._seed_schedules(account_type)

    def _seed_schedules(self, account_type: str) -> None:
        us = ["ATVPDKIKX0DER"]
        if account_type == "vendor":
            seeds = [
                ("GET_VENDOR_TRAFFIC_REPORT", "P1D", {"reportPeriod": "DAY"}),
                ("GET_VENDOR_INVENTORY_REPORT", "P7D",
                 {"reportPeriod": "WEEK", "distributorView": "MANUFACTURING", "sellingProgram": "RETAIL"}),
            ]
        else:
            seeds = [
                ("GET_MERCHANT_LISTINGS_ALL_DATA", "P1D", {}),
                ("GET_FLAT_FILE_OPEN_LISTINGS_DATA", "P7D", {}),
            ]
        today = utc_datetime(self.clock.time()).replace(hour=3, minute=0, second=0, microsecond=0)
        for report_type, period, options in seeds:
            self._add_schedule(report_type, us, period, options, today.timestamp())

    def _add_schedule(self, report_type: str, marketplace_ids: list[str], period: str,
                      options: Mapping[str, str] | None, anchor: float) -> str:
        with self._lock:
            self._next_schedule += 1
            schedule_id = str(self._next_schedule)
            # "If a report schedule with the same report type and marketplace IDs already
            # exists, it will be cancelled and replaced with this one."
            for sid, sched in list(self._schedules.items()):
                if sched["reportType"] == report_type and set(sched["marketplaceIds"]) == set(marketplace_ids):
                    del self._schedules[sid]
            entry: dict[str, Any] = {"reportScheduleId": schedule_id, "reportType": report_type,
                                     "marketplaceIds": list(marketplace_ids), "period": period, "_anchor": anchor}
            if options:
                entry["reportOptions"] = dict(options)
            self._schedules[schedule_id] = entry
        return schedule_id

    def get_report_schedules(self, req: Request) -> Response:
        types = query_array(req, "reportTypes", max_items=10)
        if types is None:
            raise invalid_input("Missing required 'reportTypes'.", "reportTypes is required")
        now = self.clock.time()
        with self._lock:
            found = [_schedule_json(s, now) for s in self._schedules.values() if s["reportType"] in types]
        return Response(200, {"reportSchedules": found})

    def create_report_schedule(self, req: Request) -> Response:
        body = json_body(req)
        report_type = body_report_type(body)
        mps = body_marketplaces(body)
        options = body_options(body)
        period = body.get("period")
        if period is None:
            raise invalid_input("Missing required 'period'.", "period is required")
        if period not in SCHEDULE_PERIODS:
            raise invalid_input("Invalid 'period' provided.", f"period must be one of {', '.join(SCHEDULE_PERIODS)}")
        now = self.clock.time()
        first = body.get("nextReportCreationTime")
        anchor = now if first is None else string_time(first, "nextReportCreationTime")
        schedule_id = self._add_schedule(report_type, mps, period, options, anchor)
        return Response(201, {"reportScheduleId": schedule_id})

    def _find_schedule(self, schedule_id: str) -> dict[str, Any]:
        with self._lock:
            schedule = self._schedules.get(schedule_id)
        if schedule is None:
            raise ApiError(404, "NotFound", "The report schedule could not be found.",
                           f"No report schedule with id {schedule_id}.")
        return schedule

    def get_report_schedule(self, req: Request) -> Response:
        schedule = self._find_schedule(req.path_params["reportScheduleId"])
        return Response(200, _schedule_json(schedule, self.clock.time()))

    def cancel_report_schedule(self, req: Request) -> Response:
        schedule = self._find_schedule(req.path_params["reportScheduleId"])
        with self._lock:
            self._schedules.pop(schedule["reportScheduleId"], None)
        return Response(200, None)
