"""The Details pane's fields: menus, help texts, the field rows and which of them show.

Layout only: what the fields mean for a call (and its checks) is :mod:`amzv_pandas._frontends.form_call`,
the form itself :class:`amzv_pandas._frontends.widgets.ReportForm`.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any, Mapping

import ipywidgets as widgets  # the caller (widgets.py) turns its absence into an install hint

from .._specs.marketplaces import MARKETPLACES

__all__ = ["OPERATIONS", "FieldRow", "build_fields", "visible_labels", "date_labels", "marketplace_options",
           "option_choices", "humanize"]

#: The Report menu: pane label -> the amzv function it calls.
OPERATIONS: dict[str, str] = {
    "Get Catalog Items": "get_catalog_items",
    "Search Catalog Items": "search_catalog_items",
    "Create and Download Report": "read_report",
    "Get Report": "get_report",
    "List Reports": "list_reports",
    "Report Schedules": "list_report_schedules",
}
REPORT_OPS = ("read_report", "get_report", "list_reports", "list_report_schedules")
LIST_OPS = ("list_reports", "list_report_schedules")

#: Country Code choices of the pane (label, region).
REGIONS = (("NA", "NA"), ("UK-EU", "EU"), ("FE", "FE"))
STATUSES = ("IN_QUEUE", "IN_PROGRESS", "DONE", "CANCELLED", "FATAL")
QUOTES = (("Double Quote", "double_quote"), ("Null Character", "null"))
INVALID_SKU = (("Skip Invalid SKUs", "skip"), ("Warn About Invalid SKUs", "raise"))
QUERY_DATE_TYPES = (("Created", "created"), ("Last Updated", "last_updated"))
ANY_TYPE = ""  # "(any report type)" for the list operations
#: The pane's help texts, shown as the labels' tooltips.
HELP = {
    "Report": "Select the report (operation) to run.",
    "Country Code": "UK-EU for European marketplaces, FE for Japan/Australia/Singapore, NA otherwise.",
    "Market Place": "Select the desired marketplace.",
    "CSV Report Quote Character": "Double Quote is the default; if the data contains double quotes, "
                                  "try Null Character.",
    "Select Statuses": "Select the statuses to list (up to 10).",
    "SKU Selection Method": "All: every SKU of the account; Advanced: enter the SKUs yourself.",
    "Enter Seller SKUs": "The SKUs to retrieve, separated by commas.",
    "Duration": "A single date, a date range, or from a date up to today.",
    "Days Back": "today (or 0), yesterday (or 1), or today-7 (or 7).",
    "Date From": "The first date, relative (days back) or specific; the range ends today.",
    "Start Date": "Whether the first date of the range is specific or relative.",
    "End Date": "Whether the last date of the range is specific or relative.",
    "Days Back to Start From": "The farthest day back in the range (e.g. 10).",
    "Days Back to End At": "The most recent day back in the range (e.g. 5).",
    "Query Date Type": "Created: by creation date; Last Updated: by the date of the last update.",
    "Continue on Invalid SKU Error": "Skip: continue past invalid SKUs with a warning; Warn: stop with an error.",
    "Query": "A comma-delimited list of words to search the catalog for.",
}
UNSET = ""     # an optional report option left empty


class FieldRow(widgets.HBox):
    """One pane field: its label, its control and the message about it."""

    def __init__(self, label: str, control: widgets.Widget, help_text: str = "") -> None:
        self.label = label
        self.control = control
        self.message = widgets.HTML("", layout=widgets.Layout(margin="0 0 0 8px"))
        self.message.add_class("amzv-message")
        title = widgets.Label(label, layout=widgets.Layout(width="210px"), tooltip=help_text or None)
        super().__init__([title, control, self.message], layout=widgets.Layout(align_items="center"))
        self.add_class("amzv-field")

    @property
    def visible(self) -> bool:
        return self.layout.display != "none"

    @visible.setter
    def visible(self, on: bool) -> None:
        self.layout.display = None if on else "none"

    def show_error(self, text: str | None) -> None:
        self.message.value = (
            "" if not text else f'<span style="color:#b00020">{html.escape(text, quote=False)}</span>'
        )


def build_fields(today: dt.date, default_region: str, default_mp: str) -> dict[str, FieldRow]:
    """The pane's fields, in pane order, by label (the report options are added per type)."""
    dd = widgets.Dropdown
    text = widgets.Text
    wide = widgets.Layout(width="420px")
    fields: dict[str, FieldRow] = {}

    def row(label: str, control: widgets.Widget) -> None:
        fields[label] = FieldRow(label, control, HELP.get(label, ""))

    row("Report", dd(options=list(OPERATIONS.items()), value="read_report", layout=wide))
    row("Report Family", widgets.ToggleButtons(options=[("Vendor", "vendor"), ("Seller", "seller")],
                                               value="vendor"))
    row("Report Type", dd(options=[], layout=wide))
    row("Country Code", dd(options=list(REGIONS), value=default_region))
    row("Market Place", dd(options=marketplace_options(default_region), value=default_mp,
                           layout=wide))
    row("CSV Report Quote Character", dd(options=list(QUOTES), value="double_quote"))
    row("Select Statuses", widgets.SelectMultiple(options=list(STATUSES), value=(), rows=5))
    row("Look Up By", widgets.ToggleButtons(options=[("Seller SKUs", "skus"), ("ASINs", "asins")],
                                            value="skus"))
    row("SKU Selection Method", widgets.ToggleButtons(options=["All", "Advanced"], value="Advanced"))
    row("Enter Seller SKUs", widgets.Textarea(placeholder="SKU-1, SKU-2", layout=wide))
    row("Seller ID", text(placeholder="selling partner id or vendor code", layout=wide))
    row("Enter ASINs", widgets.Textarea(placeholder="B000000001, B000000002", layout=wide))
    row("Continue on Invalid SKU Error", dd(options=list(INVALID_SKU), value="skip"))
    row("Query", text(placeholder="comma-delimited keywords", layout=wide))
    row("Duration", widgets.ToggleButtons(options=["Single Date", "Date Range", "Date From"],
                                          value="Date Range"))
    row("Single Date", widgets.ToggleButtons(options=["Specific", "Relative"], value="Relative"))
    row("Select Specific Date", widgets.DatePicker(value=today - dt.timedelta(days=3)))
    row("Days Back", text(value="4"))  # vendor sales: the latest published day
    row("Date From", widgets.ToggleButtons(options=["Specific", "Relative"], value="Relative"))
    row("Start Date", widgets.ToggleButtons(options=["Specific", "Relative"], value="Relative"))
    row("Select Specific Start Date", widgets.DatePicker(value=today - dt.timedelta(days=10)))
    row("Days Back to Start From", text(value="10"))
    row("End Date", widgets.ToggleButtons(options=["Specific", "Relative"], value="Relative"))
    row("Select Specific End Date", widgets.DatePicker(value=today - dt.timedelta(days=4)))
    row("Days Back to End At", text(value="4"))
    row("Query Date Type", dd(options=list(QUERY_DATE_TYPES), value="created"))
    return fields


def marketplace_options(region: str) -> list[tuple[str, str]]:
    """The Market Place choices of a region: ``("Name (CC)", "CC")``."""
    return [(f"{m.name} ({m.country_code})", m.country_code) for m in MARKETPLACES if m.region == region]


def visible_labels(op: str, c: Mapping[str, Any], rt: Any) -> set[str]:
    """Which pane fields apply to operation ``op`` and report type ``rt`` (``c``: the controls by label)."""
    on = {"Report", "Country Code", "Market Place"}
    rt = rt if op in REPORT_OPS else None
    if op in REPORT_OPS:
        on |= {"Report Family", "Report Type"}
    if op == "get_catalog_items":
        on.add("Look Up By")
        if c["Look Up By"].value == "skus":
            on |= {"SKU Selection Method", "Seller ID", "Continue on Invalid SKU Error"}
            if c["SKU Selection Method"].value == "Advanced":
                on.add("Enter Seller SKUs")
        else:
            on.add("Enter ASINs")
    elif op == "search_catalog_items":
        on.add("Query")
    elif op == "list_reports":
        on.add("Select Statuses")
    if rt is not None and op in ("read_report", "get_report") and rt.format in ("tsv", "auto"):
        on.add("CSV Report Quote Character")
    if rt is not None and op == "read_report":
        if rt.query_date_types:
            on.add("Query Date Type")
        if rt.date_range in ("day", "datetime", "options"):
            on |= date_labels(c)
    return on


def date_labels(c: Mapping[str, Any]) -> set[str]:
    """The Duration fields shown for the chosen duration and date kinds."""
    duration = c["Duration"].value
    on = {"Duration", duration}
    if duration in ("Single Date", "Date From"):
        kind = c[duration].value
        on.add("Select Specific Date" if kind == "Specific" else "Days Back")
    else:
        on |= {"Start Date", "End Date"}
        on.add("Select Specific Start Date" if c["Start Date"].value == "Specific" else "Days Back to Start From")
        on.add("Select Specific End Date" if c["End Date"].value == "Specific" else "Days Back to End At")
    return on


def humanize(option_name: str) -> str:
    """``reportPeriod`` -> ``Report Period`` (the pane's title case)."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", option_name).title()


def option_choices(opt: Any) -> list[tuple[str, str]] | None:
    """Dropdown choices of a report option (``None``: free text)."""
    if opt.allowed is not None:
        values = list(opt.allowed)
    elif opt.kind == "boolean":
        values = ["true", "false"]
    else:
        return None
    choices = [(v, v) for v in values]
    if not opt.required and opt.default is None:
        choices.insert(0, ("(not set)", UNSET))
    return choices
