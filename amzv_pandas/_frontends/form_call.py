"""The form's fields <-> a call: the keyword arguments, the dry-run check, the date fields.

Plain functions of the controls by label: only their ``value`` is read or set. Every rule is the library's
(:meth:`DateRange.parse`, the report type's checks, and a dry run of the very function Run
calls with a :class:`DryRunClient` that refuses to send anything).
"""

from __future__ import annotations

import datetime as dt
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from .._specs import dates
from .._specs.marketplaces import get_marketplace, resolve_region
from ..exceptions import ConfigurationError
from .form_fields import ANALYTICS_OP, DATED_OPS, LIST_OPS, REPORT_OPS, UNSET

if TYPE_CHECKING:
    from .form_fields import FieldRow

__all__ = ["market_of", "DATE_BOXES", "PARAMETERS", "box_day", "box_echo", "box_errors", "field_labels", "DATE_KEYS", "DryRun", "DryRunClient", "call_kwargs", "check_call", "date_kwargs", "days_text",
           "fill_dates", "quiet_kwargs", "row_for", "spec_text", "split_list", "start_end"]

# Keyword arguments the form writes, besides report_options; used by the value setter.
DATE_KEYS = ("single_date", "days_back", "date_from", "start", "end",
              "days_back_to_start_from", "days_back_to_end_at")


class DryRun(Exception):
    """Raised by the dry-run client where a real one would send a request."""


class DryRunClient:
    """Stands in for a client during validation: checks run, nothing is sent.

    Delegates attributes to the real client (or mimics one of ``region``), but
    ``request``/``download`` stop the call and the cache lives in an empty
    folder, so a validation never touches the network or a real cache.
    """

    def __init__(self, client: Any, region: str) -> None:
        self._client = client
        self._region = region
        self.calls: dict[str, int] = {}
        self.cache_dir = Path(tempfile.gettempdir()) / "amzv-form-dry-run-never-written"

    @property
    def region(self) -> str:
        return self._client.region if self._client is not None else self._region

    @property
    def marketplace(self) -> Any:
        return self._client.marketplace if self._client is not None else None

    @property
    def account_key(self) -> str:
        return "dry-run"

    def resolve_marketplace(self, marketplace: Any = None) -> Any:
        if self._client is not None:
            return self._client.resolve_marketplace(marketplace)
        from .._transport.settings import resolve_marketplace  # the rule every client applies

        return resolve_marketplace(marketplace, default=None, region=self.region)

    def request(self, *args: Any, **kwargs: Any) -> Any:
        raise DryRun

    def download(self, *args: Any, **kwargs: Any) -> Any:
        raise DryRun

    def __getattr__(self, name: str) -> Any:
        if self._client is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._client, name)


def split_list(text: str) -> list[str]:
    """A list box's items: one per line when there are several lines (items may hold commas), else by commas."""
    text = str(text)
    parts = text.splitlines() if "\n" in text.strip() else text.split(",")
    return [p.strip() for p in parts if p.strip()]


def days_text(value: Any) -> Any:
    """A days-back box's text as the library takes it: an int when it is one."""
    text = str(value).strip()
    return int(text) if text.isdigit() else text


def spec_text(spec: Any) -> str:
    """A parsed date as read_report takes it back: ``"today-7"``, ``"yesterday"`` or ISO."""
    return str(spec) if isinstance(spec, dates.RelativeDate) else spec.isoformat()


def date_kwargs(c: Mapping[str, Any]) -> dict[str, Any]:
    """The Duration fields (``c``: the controls by label) as one of :meth:`DateRange.parse`'s forms."""
    duration = c["Duration"].value

    def iso(label: str) -> str:
        # the box's text as typed: an empty or half-typed date stays what it is and is refused
        return str(c[label].value).strip()

    if duration == "Single Date":
        if c["Single Date"].value == "Specific":
            return {"single_date": iso("Select Specific Date")}
        return {"days_back": days_text(c["Days Back"].value)}
    if duration == "Date From":
        if c["Date From"].value == "Specific":
            return {"date_from": iso("Select Specific Date")}
        back = days_text(c["Days Back"].value)
        return {"date_from": f"today-{back}" if isinstance(back, int) else back}
    start_rel = c["Start Date"].value == "Relative"
    end_rel = c["End Date"].value == "Relative"
    if start_rel and end_rel:
        return {"days_back_to_start_from": days_text(c["Days Back to Start From"].value),
                "days_back_to_end_at": days_text(c["Days Back to End At"].value)}

    def side(rel: bool, picker: str, box: str) -> Any:
        if not rel:
            return iso(picker)
        back = days_text(c[box].value)
        return f"today-{back}" if isinstance(back, int) else back

    return {"start": side(start_rel, "Select Specific Start Date", "Days Back to Start From"),
            "end": side(end_rel, "Select Specific End Date", "Days Back to End At")}


def start_end(c: Mapping[str, Any]) -> dict[str, Any]:
    """The Duration fields as ``read_report``'s ``start``/``end``, by the library's parse.

    While the fields are invalid the pane's own form is returned (validation
    reports it; such a value is never run).
    """
    pane = date_kwargs(c)
    try:
        rng = dates.DateRange.parse(**pane)
    except ConfigurationError:
        return pane
    return {"start": spec_text(rng.start), "end": spec_text(rng.end)}


def call_kwargs(op: str, c: Mapping[str, Any], rt: Any, visible: set[str],
                option_rows: Mapping[str, FieldRow]) -> dict[str, Any]:
    """The call's keyword arguments (without ``client``/``progress_bar_type``).

    ``op`` is the function, ``c`` the controls by label, ``rt`` the chosen report type,
    ``visible`` the labels shown and ``option_rows`` the report's option rows.
    """
    kw: dict[str, Any] = {}
    rt = rt if op in REPORT_OPS else None
    if op in REPORT_OPS:
        if op in LIST_OPS:
            kw["report_types"] = [rt.name] if rt is not None else None
        else:
            kw["report_type"] = rt.name if rt is not None else None
    if op == "get_catalog_items":
        if c["Look Up By"].value == "asins":
            kw["asins"] = split_list(c["Enter ASINs"].value)
        else:
            kw["skus"] = "all" if c["SKU Selection Method"].value == "All" else split_list(
                c["Enter Seller SKUs"].value)
            kw["seller_id"] = c["Seller ID"].value.strip() or None
            kw["on_invalid_sku"] = c["Continue on Invalid SKU Error"].value
    elif op == "search_catalog_items":
        kw["keywords"] = split_list(c["Query"].value)
    if op in REPORT_OPS:
        codes = list(c["Market Places"].value)
        kw["marketplace"] = codes[0] if len(codes) == 1 else codes
    else:
        kw["marketplace"] = c["Market Place"].value
    if "Accounts" in visible and c["Accounts"].value:
        kw["accounts"] = list(c["Accounts"].value)
    if op == ANALYTICS_OP:
        kw.update(start_end(c))
        kw["view"] = c["View"].value
        kw["aggregate_by"] = c["Aggregate By"].value
        kw["metrics"] = list(c["Metric Groups"].value) or None
        kw["group_by"] = list(c["Group By"].value)
    if op == "list_reports":
        kw["statuses"] = list(c["Select Statuses"].value) or None
    if op == "read_report":
        if "Duration" in visible:
            kw.update(start_end(c))
        if "Query Date Type" in visible:
            kw["query_date_type"] = c["Query Date Type"].value
        options = {name: r.control.value for name, r in option_rows.items()
                   if r.control.value not in (UNSET, None)}
        if options:
            kw["report_options"] = options
    if "CSV Report Quote Character" in visible:
        kw["quotechar"] = '"' if c["CSV Report Quote Character"].value == "double_quote" else None
    return {k: v for k, v in kw.items() if v is not None or k == "quotechar"}


def row_for(parameter: str | None, c: Mapping[str, Any], fields: Mapping[str, FieldRow],
            option_rows: Mapping[str, FieldRow]) -> FieldRow | None:
    """The field a library error is about (by its ``parameter``)."""
    if parameter in option_rows:
        return option_rows[parameter]
    duration = c["Duration"].value
    single = "Select Specific Date" if c.get(duration) is not None and c[duration].value == "Specific" \
        else "Days Back"
    start = "Select Specific Start Date" if c["Start Date"].value == "Specific" else "Days Back to Start From"
    end = "Select Specific End Date" if c["End Date"].value == "Specific" else "Days Back to End At"
    if duration != "Date Range" and parameter in ("start", "end", "single_date", "days_back", "date_from"):
        return fields[single]
    label = {
        "start": start, "days_back_to_start_from": start,
        "end": end, "days_back_to_end_at": end,
        "marketplace": "Market Places" if c["Report"].value in REPORT_OPS else "Market Place",
        "region": "Country Code", "accounts": "Accounts",
        "report_type": "Report Type", "report_types": "Report Type",
        "skus": "Enter Seller SKUs" if c["SKU Selection Method"].value == "Advanced" else "SKU Selection Method",
        "seller_id": "Seller ID", "asins": "Enter ASINs", "on_invalid_sku": "Continue on Invalid SKU Error",
        "keywords": "Query", "statuses": "Select Statuses", "processing_statuses": "Select Statuses",
        "query_date_type": "Query Date Type", "quotechar": "CSV Report Quote Character",
        "view": "View", "aggregate_by": "Aggregate By", "metrics": "Metric Groups", "group_by": "Group By",
    }.get(parameter or "")
    return fields.get(label) if label else None


#: Every parameter a library message may name that the form has a field for.
PARAMETERS = ("start", "end", "single_date", "days_back", "date_from", "days_back_to_start_from",
              "days_back_to_end_at", "marketplace", "region", "report_type", "report_types", "skus", "seller_id",
              "asins", "on_invalid_sku", "keywords", "statuses", "processing_statuses", "query_date_type",
              "quotechar", "view", "aggregate_by", "metrics", "group_by", "accounts")


def field_labels(c: Mapping[str, Any], fields: Mapping[str, FieldRow],
                 option_rows: Mapping[str, FieldRow]) -> dict[str, str]:
    """Parameter -> the label of the field it is entered in now (for messages in the form's words)."""
    out = {p: r.label for p in PARAMETERS if (r := row_for(p, c, fields, option_rows)) is not None}
    out.update({name: r.label for name, r in option_rows.items()})
    if c["Duration"].value == "Date From":  # the range ends today: no field holds its end
        out["end"] = "the range's end"
    return out


def market_of(op: str, c: Mapping[str, Any]) -> Any:
    """The marketplace whose "today" the dates count from: the chosen one, or the first chosen
    (``None`` when Market Places is empty; the call's check says so)."""
    if op in REPORT_OPS:
        codes = list(c["Market Places"].value)
        return get_marketplace(codes[0]) if codes else None
    return get_marketplace(c["Market Place"].value)


def check_call(op: str, kwargs: Mapping[str, Any], *, c: Mapping[str, Any], rt: Any, visible: set[str],
               client: Any, function: Callable[[], Callable[..., Any]]) -> None:
    """Raise the library's first :class:`ConfigurationError` for this call, if any.

    ``function()`` gives the very function Run calls; it is called with a :class:`DryRunClient`
    standing in for ``client``, so every rule applies up to the first request and none is sent.
    """
    region = resolve_region(c["Country Code"].value)
    market = market_of(op, c)
    dry = DryRunClient(client, region)
    if market is not None:
        dry.resolve_marketplace(market.country_code)
    # accounts= runs the call per account (the facade checks it for each before any request);
    # the dry run checks the call itself, with the stand-in client
    kwargs = {k: v for k, v in kwargs.items() if k != "accounts"}
    if op in DATED_OPS and "Duration" in visible:
        dates.DateRange.parse(**date_kwargs(c)).resolve(tz=market or get_marketplace(c["Market Place"].value))
    if op == "read_report":
        if rt.date_range != "options":  # else read_report fills the range options from the dates
            rt.validate_options(kwargs.get("report_options"))
        if "query_date_type" in kwargs:
            rt.resolve_query_date_type(kwargs["query_date_type"])
    # The function itself, up to its first request: every remaining rule, the library's wording.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            func = function()
            func(**kwargs, client=dry, **quiet_kwargs(func))
        except (DryRun, ImportError):  # ImportError: a module not installed; Run will say so
            pass
        except ConfigurationError:
            raise
        except Exception:  # the dry run went where only a real client can go: Run will tell
            pass


def quiet_kwargs(func: Callable[..., Any]) -> dict[str, Any]:
    """``progress_bar_type=None`` where ``func`` takes it (the dry run shows no bar)."""
    import inspect

    # Not every verb shows progress (list_report_schedules is one call): pass it only where taken.
    params = inspect.signature(func).parameters
    takes = "progress_bar_type" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
    return {"progress_bar_type": None} if takes else {}


def fill_dates(c: Mapping[str, Any], call: dict[str, Any]) -> None:
    """Set the Duration fields (``c``: the controls by label) from a call's date keywords, popped from ``call``."""
    given = {k: call.pop(k) for k in DATE_KEYS if k in call}
    if not given:
        return
    dates.DateRange.parse(**given)  # the library refuses mixed or malformed forms, with its message

    def put(value: Any, toggle: str, picker: str, box: str) -> None:
        spec = dates.parse_date_spec(value)
        if isinstance(spec, dates.RelativeDate):
            c[toggle].value = "Relative"
            c[box].value = str(spec.days_back)
        else:
            c[toggle].value = "Specific"
            c[picker].value = spec.isoformat()

    if "single_date" in given:
        c["Duration"].value = "Single Date"
        put(given["single_date"], "Single Date", "Select Specific Date", "Days Back")
    elif "days_back" in given:
        c["Duration"].value = "Single Date"
        put(given["days_back"], "Single Date", "Select Specific Date", "Days Back")
    elif "date_from" in given:
        c["Duration"].value = "Date From"
        put(given["date_from"], "Date From", "Select Specific Date", "Days Back")
    elif "days_back_to_start_from" in given:
        c["Duration"].value = "Date Range"
        c["Start Date"].value = c["End Date"].value = "Relative"
        c["Days Back to Start From"].value = str(given["days_back_to_start_from"])
        c["Days Back to End At"].value = str(given.get("days_back_to_end_at", 0))
    else:
        start = given.get("start", given.get("end"))
        end = given.get("end", start)
        first, last = dates.parse_date_spec(start), dates.parse_date_spec(end, parameter="end")
        if first == last:
            c["Duration"].value = "Single Date"
            put(start, "Single Date", "Select Specific Date", "Days Back")
        elif last == dates.RelativeDate(0) and not isinstance(first, dates.RelativeDate):
            c["Duration"].value = "Date From"
            put(start, "Date From", "Select Specific Date", "Days Back")
        else:
            c["Duration"].value = "Date Range"
            put(start, "Start Date", "Select Specific Start Date", "Days Back to Start From")
            put(end, "End Date", "Select Specific End Date", "Days Back to End At")


#: The Duration text boxes: label -> (the parameter the library names it by, whether it is a days-back box).
DATE_BOXES: dict[str, tuple[str, bool]] = {
    "Select Specific Date": ("single_date", False),
    "Select Specific Start Date": ("start", False),
    "Select Specific End Date": ("end", False),
    "Days Back": ("days_back", True),
    "Days Back to Start From": ("days_back_to_start_from", True),
    "Days Back to End At": ("days_back_to_end_at", True),
}


def box_day(label: str, text: str, market: Any) -> dt.date:
    """The calendar day a Duration box's text stands for (``market``: the marketplace whose today counts).

    Raises the library's :class:`ConfigurationError` (naming the box's parameter) for an empty,
    half-typed or malformed text.
    """
    parameter, days = DATE_BOXES[label]
    text = str(text).strip()
    if not text:
        what = "a number of days back" if days else "a date"
        raise ConfigurationError(f"{parameter} is empty: enter {what}", parameter=parameter, value="",
                                 allowed=dates.ACCEPTED_FORMS)
    if days:
        spec: Any = dates.RelativeDate(dates.parse_days_back(days_text(text), parameter=parameter))
    else:
        spec = dates.parse_date_spec(text, parameter=parameter, tz=market)
    if isinstance(spec, dates.RelativeDate):
        return spec.resolve(dates.resolve_today(tz=market))
    return spec


def box_errors(c: Mapping[str, Any], visible: set[str], market: Any) -> dict[str, tuple[ConfigurationError, str]]:
    """Each visible Duration box checked on its own: label -> (the library's error, the text given).

    The call's own check stops at its first error; these show every box's at once, and an
    empty box (which the call would never reach) is an error too.
    """
    out: dict[str, tuple[ConfigurationError, str]] = {}
    for label in DATE_BOXES:
        if label in visible:
            try:
                box_day(label, c[label].value, market)
            except ConfigurationError as exc:
                out[label] = (exc, str(c[label].value))
    return out


def box_echo(label: str, text: str, market: Any) -> str:
    """What the box means, shown next to it (``"Tue 24 Nov 2026"``), or ``""`` while it means nothing."""
    try:
        day = box_day(label, text, market)
    except (ConfigurationError, ValueError, OverflowError):
        return ""
    return f"= {day:%a} {day.isoformat()}"
