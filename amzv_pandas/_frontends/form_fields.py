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

__all__ = ["OPERATIONS", "REPORT_OPS", "LIST_OPS", "ANALYTICS_OP", "ACCOUNT_OPS", "DATED_OPS", "STYLE", "LABEL_WIDTH",
           "message_html", "label_html", "analytics_choices", "FieldRow", "build_fields", "visible_labels", "date_labels", "marketplace_options",
           "option_choices", "humanize"]

#: The Report menu: pane label -> the amzv function it calls.
OPERATIONS: dict[str, str] = {
    "Get Catalog Items": "get_catalog_items",
    "Search Catalog Items": "search_catalog_items",
    "Create and Download Report": "read_report",
    "Get Report": "get_report",
    "List Reports": "list_reports",
    "Report Schedules": "list_report_schedules",
    "Vendor Analytics (Data Kiosk)": "read_vendor_analytics",
}
REPORT_OPS = ("read_report", "get_report", "list_reports", "list_report_schedules")
LIST_OPS = ("list_reports", "list_report_schedules")
ANALYTICS_OP = "read_vendor_analytics"
#: Operations that take ``accounts=`` (the facade's many-account functions).
ACCOUNT_OPS = ("read_report", "get_report", "list_reports", "get_catalog_items", "search_catalog_items",
               ANALYTICS_OP)
#: Operations whose dates are the Duration fields.
DATED_OPS = ("read_report", ANALYTICS_OP)

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
    "Market Places": "The marketplaces to read (Ctrl/Cmd-click for several): one report per marketplace where "
                     "Amazon takes one per report, joined with a marketplaceId column.",
    "Accounts": "Saved profiles (amzv.profiles()) to read in one call, joined with an account column "
                "(Ctrl/Cmd-click for several); none selected: the form's client.",
    "CSV Report Quote Character": "Double Quote is the default; if the data contains double quotes, "
                                  "try Null Character.",
    "Select Statuses": "Select the statuses to list (up to 10).",
    "SKU Selection Method": "All: every SKU of the account; Advanced: enter the SKUs yourself.",
    "Enter Seller SKUs": "The SKUs to retrieve: one per line (SKUs may contain commas), or separated by "
                         "commas when they are all on one line.",
    "Seller ID": "Your selling partner id (or vendor code): Amazon's sellerId for SKU look-ups; filled in "
                 "from the client's profile when amzv.authorize saved it.",
    "Enter ASINs": "The ASINs to retrieve, separated by commas or one per line (at most 20 per request).",
    "Look Up By": "Look items up by your Seller SKUs or by ASINs.",
    "Report Family": "Vendor or Seller report types.",
    "Report Type": "The report to create, download or list (the registry's types for the family).",
    "Single Date": "Whether the date is a specific day or a number of days back.",
    "Select Specific Date": "A date: YYYY-MM-DD, or today, yesterday, today-N.",
    "Select Specific Start Date": "The first day of the range: YYYY-MM-DD, or today, yesterday, today-N.",
    "Select Specific End Date": "The last day of the range: YYYY-MM-DD, or today, yesterday, today-N.",
    "View": "Manufacturing (as the manufacturer) or Sourcing (as the vendor who sourced the units).",
    "Aggregate By": "One row per day, week (Sunday to Saturday) or month.",
    "Metric Groups": "The metric groups to fetch (Ctrl/Cmd-click for several); none selected: every "
                     "metric of the view except the weekly forecasts.",
    "Group By": "The attributes each row is grouped by (Ctrl/Cmd-click for several).",
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
DATE_HINT = "YYYY-MM-DD or today-N"
DAYS_HINT = "N, today, yesterday or today-N"


#: The label column's width: fixed, so a long message never squeezes a label (issue 12).
LABEL_WIDTH = 210
#: The form's styles, from JupyterLab's theme variables (fallbacks for other front ends) so light and
#: dark themes both read; dates never wrap, long text is cut with the full value on hover.
STYLE = """<style>
.amzv-report-form { color: var(--jp-ui-font-color1, #1a1a1a); }
.amzv-report-form .amzv-label { display: block; width: %(w)dpx; overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; cursor: help; color: var(--jp-ui-font-color1, #1a1a1a); }
.amzv-report-form .amzv-error { color: var(--jp-error-color1, #b00020); white-space: normal;
  overflow-wrap: anywhere; max-width: 640px; line-height: 1.35; }
.amzv-report-form .amzv-warn { color: var(--jp-warn-color1, #8a5300); white-space: normal; max-width: 860px; }
.amzv-report-form .amzv-notice { border-left: 3px solid var(--jp-warn-color1, #e0a000); padding: 2px 8px;
  background: var(--jp-layout-color2, #f6f6f6); }
.amzv-report-form .amzv-echo { color: var(--jp-ui-font-color2, #555); white-space: nowrap; }
.amzv-report-form .amzv-muted { color: var(--jp-ui-font-color2, #555); }
.amzv-report-form .amzv-summary { color: var(--jp-ui-font-color1, #1a1a1a); margin: 2px 0; }
.amzv-preview { max-height: 420px; overflow: auto; border: 1px solid var(--jp-border-color2, #ddd); }
.amzv-preview table { border-collapse: collapse; font-size: var(--jp-ui-font-size1, 13px);
  color: var(--jp-ui-font-color1, #1a1a1a); }
.amzv-preview th { position: sticky; top: 0; background: var(--jp-layout-color2, #f0f0f0);
  text-align: left; white-space: nowrap; padding: 2px 8px; }
.amzv-preview td { white-space: nowrap; padding: 2px 8px; max-width: 24em; overflow: hidden;
  text-overflow: ellipsis; border-top: 1px solid var(--jp-border-color3, #eee); }
.amzv-preview td.amzv-num { text-align: right; font-variant-numeric: tabular-nums; }
.amzv-report-form .amzv-code textarea { font-family: var(--jp-code-font-family, monospace);
  font-size: var(--jp-code-font-size, 13px); }
</style>""" % {"w": LABEL_WIDTH}


def message_html(text: str | None, kind: str = "error") -> str:
    """A message for under a field or in the status line (escaped; ``kind`` ``"error"`` or ``"warn"``)."""
    return "" if not text else f'<div class="amzv-{kind}">{html.escape(text, quote=False)}</div>'


def label_html(label: str, help_text: str = "") -> str:
    """The field's label: an HTML span whose ``title`` is its help (``Label.tooltip`` shows nothing in Lab)."""
    title = f' title="{html.escape(help_text, quote=True)}"' if help_text else ""
    return f'<span class="amzv-label"{title}>{html.escape(label, quote=False)}</span>'


class FieldRow(widgets.VBox):
    """One pane field: its label (help on hover), its control, an optional echo, and the message under it."""

    def __init__(self, label: str, control: widgets.Widget, help_text: str = "", *, echo: bool = False) -> None:
        self.label = label
        self.control = control
        self.help_text = help_text
        # The message goes under the control, indented to the control column: it wraps there and
        # never pushes the label or the control sideways.
        self.message = widgets.HTML("", layout=widgets.Layout(margin=f"0 0 2px {LABEL_WIDTH + 4}px", display="none"))
        self.message.add_class("amzv-message")
        self.echo = widgets.HTML("", layout=widgets.Layout(margin="0 0 0 8px")) if echo else None
        if self.echo is not None:
            self.echo.add_class("amzv-echo-box")
        self.title = widgets.HTML(label_html(label, help_text),
                                  layout=widgets.Layout(width=f"{LABEL_WIDTH}px", min_width=f"{LABEL_WIDTH}px",
                                                        flex="0 0 auto"))
        line = widgets.HBox([self.title, control] + ([self.echo] if self.echo is not None else []),
                            layout=widgets.Layout(align_items="center"))
        super().__init__([line, self.message])
        self.add_class("amzv-field")

    @property
    def visible(self) -> bool:
        return self.layout.display != "none"

    @visible.setter
    def visible(self, on: bool) -> None:
        self.layout.display = None if on else "none"

    @property
    def error(self) -> str:
        """The message shown under the field (empty when none)."""
        return getattr(self, "_error", "")

    def show_error(self, text: str | None) -> None:
        self._error = text or ""
        self.message.value = message_html(text)
        self.message.layout.display = None if text else "none"

    def show_echo(self, text: str) -> None:
        if self.echo is not None:
            self.echo.value = f'<span class="amzv-echo">{html.escape(text, quote=False)}</span>' if text else ""


def build_fields(today: dt.date, default_region: str, default_mp: str) -> dict[str, FieldRow]:
    """The pane's fields, in pane order, by label (the report options are added per type)."""
    dd = widgets.Dropdown
    text = widgets.Text
    wide = widgets.Layout(width="420px")
    fields: dict[str, FieldRow] = {}

    def row(label: str, control: widgets.Widget, echo: bool = False) -> None:
        fields[label] = FieldRow(label, control, HELP.get(label, ""), echo=echo)

    row("Report", dd(options=list(OPERATIONS.items()), value="read_report", layout=wide))
    row("Report Family", widgets.ToggleButtons(options=[("Vendor", "vendor"), ("Seller", "seller")],
                                               value="vendor"))
    # wide enough for the registry's longest "Title (GET_...)" (issue 12: long names were cut)
    row("Report Type", dd(options=[], layout=widgets.Layout(width="700px")))
    row("Country Code", dd(options=list(REGIONS), value=default_region))
    row("Market Place", dd(options=marketplace_options(default_region), value=default_mp,
                           layout=wide))
    # report operations read several marketplaces in one call (one report each where Amazon
    # allows only one per report), joined with a marketplaceId column
    row("Market Places", widgets.SelectMultiple(options=marketplace_options(default_region), value=(default_mp,),
                                                rows=4, layout=wide))
    row("Accounts", widgets.SelectMultiple(options=[], value=(), rows=3, layout=wide))
    row("View", widgets.ToggleButtons(options=[("Manufacturing", "manufacturing"), ("Sourcing", "sourcing")],
                                      value="manufacturing"))
    row("Aggregate By", dd(options=[("Day", "DAY"), ("Week", "WEEK"), ("Month", "MONTH")], value="DAY"))
    row("Metric Groups", widgets.SelectMultiple(options=[], value=(), rows=6, layout=wide))
    row("Group By", widgets.SelectMultiple(options=[], value=(), rows=6, layout=wide))
    row("CSV Report Quote Character", dd(options=list(QUOTES), value="double_quote"))
    row("Select Statuses", widgets.SelectMultiple(options=list(STATUSES), value=(), rows=5))
    row("Look Up By", widgets.ToggleButtons(options=[("Seller SKUs", "skus"), ("ASINs", "asins")],
                                            value="skus"))
    row("SKU Selection Method", widgets.ToggleButtons(options=["All", "Advanced"], value="Advanced"))
    row("Enter Seller SKUs", widgets.Textarea(placeholder="one SKU per line\n(or SKU-1, SKU-2 on one line)",
                                              layout=widgets.Layout(width="420px", height="72px")))
    row("Seller ID", text(placeholder="selling partner id or vendor code", layout=wide))
    row("Enter ASINs", widgets.Textarea(placeholder="B000000001, B000000002", layout=wide))
    row("Continue on Invalid SKU Error", dd(options=list(INVALID_SKU), value="skip", layout=wide))
    row("Query", text(placeholder="comma-delimited keywords", layout=wide))
    row("Duration", widgets.ToggleButtons(options=["Single Date", "Date Range", "Date From"],
                                          value="Date Range"))
    # the Specific/Relative toggles come before the boxes they control (issue 12)
    row("Single Date", widgets.ToggleButtons(options=["Specific", "Relative"], value="Relative"))
    row("Date From", widgets.ToggleButtons(options=["Specific", "Relative"], value="Relative"))
    # Dates are text in the library's grammar: an empty or half-typed date reaches Python as such
    # (a DatePicker keeps its last full date when cleared, and the form would send that).
    row("Select Specific Date", text(value=(today - dt.timedelta(days=3)).isoformat(), placeholder=DATE_HINT),
        echo=True)
    row("Days Back", text(value="4", placeholder=DAYS_HINT), echo=True)  # vendor sales: the latest published day
    row("Start Date", widgets.ToggleButtons(options=["Specific", "Relative"], value="Relative"))
    row("Select Specific Start Date", text(value=(today - dt.timedelta(days=10)).isoformat(),
                                           placeholder=DATE_HINT), echo=True)
    row("Days Back to Start From", text(value="10", placeholder=DAYS_HINT), echo=True)
    row("End Date", widgets.ToggleButtons(options=["Specific", "Relative"], value="Relative"))
    row("Select Specific End Date", text(value=(today - dt.timedelta(days=4)).isoformat(), placeholder=DATE_HINT),
        echo=True)
    row("Days Back to End At", text(value="4", placeholder=DAYS_HINT), echo=True)
    row("Query Date Type", dd(options=list(QUERY_DATE_TYPES), value="created"))
    return fields


def marketplace_options(region: str) -> list[tuple[str, str]]:
    """The Market Place choices of a region: ``("Name (CC)", "CC")``."""
    return [(f"{m.name} ({m.country_code})", m.country_code) for m in MARKETPLACES if m.region == region]


def visible_labels(op: str, c: Mapping[str, Any], rt: Any) -> set[str]:
    """Which pane fields apply to operation ``op`` and report type ``rt`` (``c``: the controls by label)."""
    on = {"Report", "Country Code", "Market Places" if op in REPORT_OPS else "Market Place"}
    if c["Accounts"].options and op in ACCOUNT_OPS:
        on.add("Accounts")
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
    elif op == ANALYTICS_OP:
        on |= {"View", "Aggregate By", "Metric Groups", "Group By"} | date_labels(c)
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


def analytics_choices(view: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Metric Groups and Group By choices of a Vendor Analytics view, from the shipped SDL."""
    from .._specs.datakiosk.catalogue import group_by_fields, metric_catalogue

    groups = sorted({m.group for m in metric_catalogue(view)})
    return [(humanize(g), g) for g in groups], [(g, g) for g in group_by_fields()]
