"""``ReportForm``: the connector's Details pane as an ipywidgets form.

>>> form = amzv.ReportForm(client=client)   # doctest: +SKIP
>>> form                                    # the last expression of a cell shows the pane

The form is a composite widget (a :class:`ipywidgets.VBox`, in the shape of
ipywidgets' ``interactive`` and ipyfilechooser): private children wired in
``__init__``, observers muted while the form is filled from code, a "Run"
button that is disabled while the call runs, and an ``Output`` that captures
the progress bar, the resulting table or a one-line error.

The form holds no rule of its own: every check is the library's, called live
(:meth:`DateRange.parse`/``resolve``, :meth:`ReportType.validate_options`,
the marketplace registry, and a dry run of the very function Run calls, with a
client that refuses to send anything). Messages are therefore the library's
messages, shown next to the field they are about.

The form never holds credentials: the client is a plain Python attribute, never
a widget value, so nothing secret can reach saved widget state.
"""

from __future__ import annotations

import datetime as _dt
import html
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable, Mapping

try:
    import ipywidgets as widgets
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "amzv_pandas.ReportForm needs ipywidgets: pip install 'amzv_pandas[widgets]'"
    ) from exc

import pandas as pd

from .._specs import dates
from ..exceptions import ConfigurationError
from .._specs.marketplaces import MARKETPLACES, get_marketplace, resolve_region

__all__ = ["ReportForm", "OPERATIONS"]

#: The Report menu: pane label -> the amzv function it calls.
OPERATIONS: dict[str, str] = {
    "Get Catalog Items": "get_catalog_items",
    "Search Catalog Items": "search_catalog_items",
    "Create and Download Report": "read_report",
    "Get Report": "get_report",
    "List Reports": "list_reports",
    "Report Schedules": "list_report_schedules",
}
_REPORT_OPS = ("read_report", "get_report", "list_reports", "list_report_schedules")
_LIST_OPS = ("list_reports", "list_report_schedules")

#: Country Code choices of the pane (label, region).
_REGIONS = (("NA", "NA"), ("UK-EU", "EU"), ("FE", "FE"))
_STATUSES = ("IN_QUEUE", "IN_PROGRESS", "DONE", "CANCELLED", "FATAL")
_QUOTES = (("Double Quote", "double_quote"), ("Null Character", "null"))
_INVALID_SKU = (("Skip Invalid SKUs", "skip"), ("Warn About Invalid SKUs", "raise"))
_QUERY_DATE_TYPES = (("Created", "created"), ("Last Updated", "last_updated"))
_ANY_TYPE = ""  # "(any report type)" for the list operations
#: The pane's help texts, shown as the labels' tooltips.
_HELP = {
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
_UNSET = ""     # an optional report option left empty

# Keyword arguments the form writes, besides report_options; used by the value setter.
_DATE_KEYS = ("single_date", "days_back", "date_from", "start", "end",
              "days_back_to_start_from", "days_back_to_end_at")


class _DryRun(Exception):
    """Raised by the dry-run client where a real one would send a request."""


class _DryRunClient:
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
        raise _DryRun

    def download(self, *args: Any, **kwargs: Any) -> Any:
        raise _DryRun

    def __getattr__(self, name: str) -> Any:
        if self._client is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._client, name)


def _humanize(option_name: str) -> str:
    """``reportPeriod`` -> ``Report Period`` (the pane's title case)."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", option_name).title()


def _split(text: str) -> list[str]:
    return [p.strip() for p in str(text).split(",") if p.strip()]


def _days_text(value: Any) -> Any:
    """A days-back box's text as the library takes it: an int when it is one."""
    text = str(value).strip()
    return int(text) if text.isdigit() else text


class _Row(widgets.HBox):
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


class ReportForm(widgets.VBox):
    """The connector's Details pane: build a request, check it live, run it.

    Parameters
    ----------
    client : Client, optional
        The client Run uses (default: :func:`amzv_pandas.get_default_client` at
        run time). Kept as a plain attribute, never in widget state.
    progress_bar_type : {"auto", "tqdm", "tqdm_notebook", None}, default "auto"
        The bar shown inside the form's output while a call runs.

    Attributes
    ----------
    value : dict
        The call as keyword arguments plus ``"operation"`` (the function name).
        Assign a dict to fill the form.
    result : DataFrame or None
        The frame of the last successful run.
    error : Exception or None
        The exception of the last failed run.
    errors : dict
        The current validation messages, by field label (empty when valid).
    fields : dict
        The field rows by pane label; ``row.visible``, ``row.control``.

    Examples
    --------
    >>> form = ReportForm.from_call("read_report", report_type="GET_VENDOR_SALES_REPORT",
    ...                             marketplace="US", days_back=3)     # doctest: +SKIP
    >>> form.to_code()                                                  # doctest: +SKIP
    "amzv.read_report(report_type='GET_VENDOR_SALES_REPORT', marketplace='US', start='today-3', end='today-3', ...)"
    """

    def __init__(self, client: Any = None, *, progress_bar_type: Any = "auto", **kwargs: Any) -> None:
        from .._specs.registry import report_types

        self.client = client
        self.progress_bar_type = progress_bar_type
        self.result: pd.DataFrame | None = None
        self.error: BaseException | None = None
        self.errors: dict[str, str] = {}
        self._callbacks: list[Callable[["ReportForm"], None]] = []
        self._muted = True  # no observer work until every child exists
        self._types = report_types()
        default_mp = getattr(getattr(client, "marketplace", None), "country_code", None) or "US"
        default_region = get_marketplace(default_mp).region
        # the date pickers start on the marketplace's today, the day relative dates count from
        today = dates.resolve_today(tz=get_marketplace(default_mp))

        dd = widgets.Dropdown
        text = widgets.Text
        wide = widgets.Layout(width="420px")
        self.fields: dict[str, _Row] = {}

        def row(label: str, control: widgets.Widget) -> _Row:
            r = _Row(label, control, _HELP.get(label, ""))
            self.fields[label] = r
            return r

        row("Report", dd(options=list(OPERATIONS.items()), value="read_report", layout=wide))
        row("Report Family", widgets.ToggleButtons(options=[("Vendor", "vendor"), ("Seller", "seller")],
                                                   value="vendor"))
        row("Report Type", dd(options=[], layout=wide))
        self._description = widgets.HTML("", layout=widgets.Layout(margin="0 0 4px 214px"))
        row("Country Code", dd(options=list(_REGIONS), value=default_region))
        row("Market Place", dd(options=self._marketplace_options(default_region), value=default_mp,
                               layout=wide))
        row("CSV Report Quote Character", dd(options=list(_QUOTES), value="double_quote"))
        row("Select Statuses", widgets.SelectMultiple(options=list(_STATUSES), value=(), rows=5))
        row("Look Up By", widgets.ToggleButtons(options=[("Seller SKUs", "skus"), ("ASINs", "asins")],
                                                value="skus"))
        row("SKU Selection Method", widgets.ToggleButtons(options=["All", "Advanced"], value="Advanced"))
        row("Enter Seller SKUs", widgets.Textarea(placeholder="SKU-1, SKU-2", layout=wide))
        row("Seller ID", text(placeholder="selling partner id or vendor code", layout=wide))
        row("Enter ASINs", widgets.Textarea(placeholder="B000000001, B000000002", layout=wide))
        row("Continue on Invalid SKU Error", dd(options=list(_INVALID_SKU), value="skip"))
        row("Query", text(placeholder="comma-delimited keywords", layout=wide))
        row("Duration", widgets.ToggleButtons(options=["Single Date", "Date Range", "Date From"],
                                              value="Date Range"))
        row("Single Date", widgets.ToggleButtons(options=["Specific", "Relative"], value="Relative"))
        row("Select Specific Date", widgets.DatePicker(value=today - _dt.timedelta(days=3)))
        row("Days Back", text(value="4"))  # vendor sales: the latest published day
        row("Date From", widgets.ToggleButtons(options=["Specific", "Relative"], value="Relative"))
        row("Start Date", widgets.ToggleButtons(options=["Specific", "Relative"], value="Relative"))
        row("Select Specific Start Date", widgets.DatePicker(value=today - _dt.timedelta(days=10)))
        row("Days Back to Start From", text(value="10"))
        row("End Date", widgets.ToggleButtons(options=["Specific", "Relative"], value="Relative"))
        row("Select Specific End Date", widgets.DatePicker(value=today - _dt.timedelta(days=4)))
        row("Days Back to End At", text(value="4"))
        row("Query Date Type", dd(options=list(_QUERY_DATE_TYPES), value="created"))
        self._options_box = widgets.VBox([])
        self._option_rows: dict[str, _Row] = {}

        self._run_button = widgets.Button(description="Run", button_style="primary", icon="play")
        self._run_button.add_class("amzv-run")
        self._status = widgets.HTML("")
        self._output = widgets.Output(layout=widgets.Layout(border="1px solid #ddd", padding="4px", overflow="auto"))
        self._output.add_class("amzv-output")
        self._run_button.on_click(lambda _: self.run())

        c = {label: r.control for label, r in self.fields.items()}
        children: list[widgets.Widget] = [widgets.HTML("<b>Amazon Selling Partner: Details</b>")]
        for label, r in self.fields.items():
            children.append(r)
            if label == "Report Type":
                children.append(self._description)
            if label == "Query Date Type":
                children.append(self._options_box)
        children += [widgets.HBox([self._run_button, self._status]), self._output]
        super().__init__(children, **kwargs)
        self.add_class("amzv-report-form")

        self._c = c
        self._fill_report_types()
        for control in c.values():
            control.observe(self._on_change, names="value")
        self._muted = False
        self._refresh()

    # ------------------------------------------------------------------ building

    @staticmethod
    def _marketplace_options(region: str) -> list[tuple[str, str]]:
        return [(f"{m.name} ({m.country_code})", m.country_code) for m in MARKETPLACES if m.region == region]

    def _fill_report_types(self) -> None:
        """The Report Type menu: the chosen family's types from ``report_types()``."""
        family = self._c["Report Family"].value
        rows = self._types[self._types["family"] == family]
        options = [(f"{t.title} ({t.name})", t.name) for t in rows.itertuples()]
        if self._c["Report"].value in _LIST_OPS:
            options.insert(0, ("(any report type)", _ANY_TYPE))
        menu = self._c["Report Type"]
        keep = menu.value if menu.value in {v for _, v in options} else options[0][1]
        menu.options = options
        menu.value = keep
        self._follow_type()

    def _follow_type(self) -> None:
        """Defaults that depend on the report type: its quote character (the registry's)."""
        name = self._c["Report Type"].value
        if name == getattr(self, "_type_shown", None):
            return
        self._type_shown = name
        rt = self._report_type()
        if rt is not None and rt.format == "tsv":
            self._c["CSV Report Quote Character"].value = "double_quote" if rt.quotechar == '"' else "null"

    def _report_type(self) -> Any:
        from .._specs.registry import get_report_type

        name = self._c["Report Type"].value
        return get_report_type(name) if name else None

    def _fill_options(self) -> None:
        """One row per ``reportOptions`` entry of the chosen type, with its allowed values."""
        rt = self._report_type()
        wanted = [] if rt is None or self._op() not in ("read_report",) else [
            o for o in rt.options if o.name not in (rt.range_options or ())]
        if [o.name for o in wanted] == list(self._option_rows) and all(
            self._option_rows[o.name].control_options == _option_choices(o) for o in wanted
        ):
            return
        old = {name: r.control.value for name, r in self._option_rows.items()}
        rows: dict[str, _Row] = {}
        for opt in wanted:
            choices = _option_choices(opt)
            if choices is not None:
                control: widgets.Widget = widgets.Dropdown(options=choices)
                values = [v for _, v in choices]
                control.value = old.get(opt.name) if old.get(opt.name) in values else (
                    opt.default if opt.default is not None else values[0])
            else:
                control = widgets.Text(value=str(old.get(opt.name) or opt.default or ""),
                                       placeholder=opt.allowed_text)
            r = _Row(_humanize(opt.name), control, opt.description)
            r.option_name = opt.name  # type: ignore[attr-defined]
            r.control_options = choices  # type: ignore[attr-defined]
            control.observe(self._on_change, names="value")
            rows[opt.name] = r
        self._option_rows = rows
        self._options_box.children = list(rows.values())

    # ------------------------------------------------------------------ state -> call

    def _op(self) -> str:
        return self._c["Report"].value

    def _visible_labels(self) -> set[str]:
        """Which pane fields apply to the chosen operation and report type."""
        op = self._op()
        c = self._c
        on = {"Report", "Country Code", "Market Place"}
        rt = self._report_type() if op in _REPORT_OPS else None
        if op in _REPORT_OPS:
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
                on |= self._date_labels()
        return on

    def _date_labels(self) -> set[str]:
        c = self._c
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

    def _date_kwargs(self) -> dict[str, Any]:
        """The Duration fields as one of :meth:`DateRange.parse`'s forms."""
        c = self._c
        duration = c["Duration"].value

        def iso(label: str) -> str | None:
            day = c[label].value
            return day.isoformat() if isinstance(day, _dt.date) else None

        if duration == "Single Date":
            if c["Single Date"].value == "Specific":
                return {"single_date": iso("Select Specific Date")}
            return {"days_back": _days_text(c["Days Back"].value)}
        if duration == "Date From":
            if c["Date From"].value == "Specific":
                return {"date_from": iso("Select Specific Date")}
            back = _days_text(c["Days Back"].value)
            return {"date_from": f"today-{back}" if isinstance(back, int) else back}
        start_rel = c["Start Date"].value == "Relative"
        end_rel = c["End Date"].value == "Relative"
        if start_rel and end_rel:
            return {"days_back_to_start_from": _days_text(c["Days Back to Start From"].value),
                    "days_back_to_end_at": _days_text(c["Days Back to End At"].value)}

        def side(rel: bool, picker: str, box: str) -> Any:
            if not rel:
                return iso(picker)
            back = _days_text(c[box].value)
            return f"today-{back}" if isinstance(back, int) else back

        return {"start": side(start_rel, "Select Specific Start Date", "Days Back to Start From"),
                "end": side(end_rel, "Select Specific End Date", "Days Back to End At")}

    def _start_end(self) -> dict[str, Any]:
        """The Duration fields as ``read_report``'s ``start``/``end``, by the library's parse.

        While the fields are invalid the pane's own form is returned (validation
        reports it; such a value is never run).
        """
        pane = self._date_kwargs()
        try:
            rng = dates.DateRange.parse(**pane)
        except ConfigurationError:
            return pane
        return {"start": _spec_text(rng.start), "end": _spec_text(rng.end)}

    def _kwargs(self) -> dict[str, Any]:
        """The call's keyword arguments (without ``client``/``progress_bar_type``)."""
        op = self._op()
        c = self._c
        visible = self._visible_labels()
        kw: dict[str, Any] = {}
        rt = self._report_type() if op in _REPORT_OPS else None
        if op in _REPORT_OPS:
            if op in _LIST_OPS:
                kw["report_types"] = [rt.name] if rt is not None else None
            else:
                kw["report_type"] = rt.name if rt is not None else None
        if op == "get_catalog_items":
            if c["Look Up By"].value == "asins":
                kw["asins"] = _split(c["Enter ASINs"].value)
            else:
                kw["skus"] = "all" if c["SKU Selection Method"].value == "All" else _split(
                    c["Enter Seller SKUs"].value)
                kw["seller_id"] = c["Seller ID"].value.strip() or None
                kw["on_invalid_sku"] = c["Continue on Invalid SKU Error"].value
        elif op == "search_catalog_items":
            kw["keywords"] = _split(c["Query"].value)
        kw["marketplace"] = c["Market Place"].value
        if op == "list_reports":
            kw["statuses"] = list(c["Select Statuses"].value) or None
        if op == "read_report":
            if "Duration" in visible:
                kw.update(self._start_end())
            if "Query Date Type" in visible:
                kw["query_date_type"] = c["Query Date Type"].value
            options = {name: r.control.value for name, r in self._option_rows.items()
                       if r.control.value not in (_UNSET, None)}
            if options:
                kw["report_options"] = options
        if "CSV Report Quote Character" in visible:
            kw["quotechar"] = '"' if c["CSV Report Quote Character"].value == "double_quote" else None
        return {k: v for k, v in kw.items() if v is not None or k == "quotechar"}

    # ------------------------------------------------------------------ validation

    def _row_for(self, parameter: str | None) -> _Row | None:
        """The field a library error is about (by its ``parameter``)."""
        if parameter in self._option_rows:
            return self._option_rows[parameter]
        c = self._c
        duration = c["Duration"].value
        single = "Select Specific Date" if c.get(duration) is not None and c[duration].value == "Specific" \
            else "Days Back"
        start = "Select Specific Start Date" if c["Start Date"].value == "Specific" else "Days Back to Start From"
        end = "Select Specific End Date" if c["End Date"].value == "Specific" else "Days Back to End At"
        if duration != "Date Range" and parameter in ("start", "end", "single_date", "days_back", "date_from"):
            return self.fields[single]
        label = {
            "start": start, "days_back_to_start_from": start,
            "end": end, "days_back_to_end_at": end,
            "marketplace": "Market Place", "region": "Country Code",
            "report_type": "Report Type", "report_types": "Report Type",
            "skus": "Enter Seller SKUs" if c["SKU Selection Method"].value == "Advanced" else "SKU Selection Method",
            "seller_id": "Seller ID", "asins": "Enter ASINs", "on_invalid_sku": "Continue on Invalid SKU Error",
            "keywords": "Query", "statuses": "Select Statuses", "processing_statuses": "Select Statuses",
            "query_date_type": "Query Date Type", "quotechar": "CSV Report Quote Character",
        }.get(parameter or "")
        return self.fields.get(label) if label else None

    def _check(self, kwargs: Mapping[str, Any]) -> None:
        """Raise the library's first :class:`ConfigurationError` for this call, if any."""
        op = self._op()
        region = resolve_region(self._c["Country Code"].value)
        market = get_marketplace(kwargs["marketplace"])
        dry = _DryRunClient(self.client, region)
        dry.resolve_marketplace(market.country_code)
        if op == "read_report":
            rt = self._report_type()
            if "Duration" in self._visible_labels():
                dates.DateRange.parse(**self._date_kwargs()).resolve(tz=market)
            if rt.date_range != "options":  # else read_report fills the range options from the dates
                rt.validate_options(kwargs.get("report_options"))
            if "query_date_type" in kwargs:
                rt.resolve_query_date_type(kwargs["query_date_type"])
        # The function itself, up to its first request: every remaining rule, the library's wording.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                func = self._function()
                func(**kwargs, client=dry, **self._quiet_kwargs(func))
            except (_DryRun, ImportError):  # ImportError: a module not installed; Run will say so
                pass
            except ConfigurationError:
                raise
            except Exception:  # the dry run went where only a real client can go: Run will tell
                pass

    @staticmethod
    def _quiet_kwargs(func: Callable[..., Any]) -> dict[str, Any]:
        import inspect

        # Not every verb shows progress (list_report_schedules is one call): pass it only where taken.
        params = inspect.signature(func).parameters
        takes = "progress_bar_type" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
        return {"progress_bar_type": None} if takes else {}

    def validate(self) -> dict[str, str]:
        """Check the form now; show any message next to its field and enable Run only when valid.

        Returns
        -------
        dict
            Field label -> message (empty when the request is valid).
        """
        for r in (*self.fields.values(), *self._option_rows.values()):
            r.show_error(None)
        errors: dict[str, str] = {}
        try:
            self._check(self._kwargs())
        except ConfigurationError as exc:
            target = self._row_for(exc.parameter)
            if target is None or not target.visible:
                errors[""] = str(exc)
            else:
                target.show_error(str(exc))
                errors[target.label] = str(exc)
        except Exception as exc:  # a bug elsewhere must not break the pane: show it, block Run
            errors[""] = f"{type(exc).__name__}: {exc}"
        self.errors = errors
        general = errors.get("")
        self._status.value = (
            "" if general is None else f'<span style="color:#b00020">{html.escape(general, quote=False)}</span>'
        )
        self._run_button.disabled = bool(errors)
        return errors

    @property
    def is_valid(self) -> bool:
        """Whether Run is enabled (the last validation found nothing)."""
        return not self.errors

    # ------------------------------------------------------------------ observers

    def _on_change(self, change: Mapping[str, Any]) -> None:
        if self._muted:
            return
        self._refresh()

    def _refresh(self) -> None:
        """Re-derive menus and visibility from the current values, then validate."""
        muted, self._muted = self._muted, True
        try:
            c = self._c
            region = c["Country Code"].value
            options = self._marketplace_options(region)
            if c["Market Place"].options != tuple(options):
                keep = c["Market Place"].value
                c["Market Place"].options = options
                c["Market Place"].value = keep if keep in {v for _, v in options} else options[0][1]
            if self._op() in _REPORT_OPS:
                self._fill_report_types()
            self._fill_options()
            visible = self._visible_labels()
            for label, r in self.fields.items():
                r.visible = label in visible
            rt = self._report_type() if self._op() in _REPORT_OPS else None
            self._description.value = (
                f"<i>{html.escape(rt.description, quote=False)}</i>" if rt is not None else ""
            )
            self._description.layout.display = None if rt is not None else "none"
            self._options_box.layout.display = None if self._option_rows else "none"
        finally:
            self._muted = muted
        self.validate()

    # ------------------------------------------------------------------ the call

    def _function(self) -> Callable[..., pd.DataFrame]:
        from .._facade import api  # the public functions (client=None is the default client)

        return getattr(api, self._op())

    @property
    def value(self) -> dict[str, Any]:
        """The call as keyword arguments, plus ``"operation"`` (the amzv function name)."""
        return {"operation": self._op(), **self._kwargs()}

    @value.setter
    def value(self, call: Mapping[str, Any]) -> None:
        self._fill(dict(call))

    @classmethod
    def from_call(cls, operation: str = "read_report", client: Any = None, **kwargs: Any) -> "ReportForm":
        """A form filled from a call's arguments: ``from_call(**form.value).value == form.value``.

        Parameters
        ----------
        operation : str
            The function name (``"read_report"``, ``"search_catalog_items"``...) or
            its Report menu label (``"Create and Download Report"``).
        client : Client, optional
            Passed to the form.
        **kwargs
            The call's keyword arguments.
        """
        form = cls(client=client)
        form.value = {"operation": operation, **kwargs}
        return form

    def _fill(self, call: dict[str, Any]) -> None:
        from .._specs.registry import get_report_type

        c = self._c
        op = call.pop("operation", self._op())
        op = OPERATIONS.get(op, op)
        if op not in OPERATIONS.values():
            msg = f"operation={op!r} is not a form operation; use one of {', '.join(OPERATIONS.values())}"
            raise ConfigurationError(msg, parameter="operation", value=op, allowed=list(OPERATIONS.values()))
        self._muted = True
        try:
            c["Report"].value = op
            if "marketplace" in call:
                market = get_marketplace(call.pop("marketplace"))
                c["Country Code"].value = market.region
                c["Market Place"].options = self._marketplace_options(market.region)
                c["Market Place"].value = market.country_code
            names = call.pop("report_types", None) if op in _LIST_OPS else call.pop("report_type", None)
            if isinstance(names, (list, tuple)):
                if len(names) > 1:
                    raise ConfigurationError("the form lists one report type at a time",
                                             parameter="report_types", value=names)
                names = names[0] if names else None
            if names:
                rt = get_report_type(names)
                if not rt.known:
                    raise ConfigurationError(f"report type {names!r} is not in the registry",
                                             parameter="report_type", value=names)
                c["Report Family"].value = rt.family
            self._fill_report_types()
            c["Report Type"].value = get_report_type(names).name if names else c["Report Type"].options[0][1]
            self._follow_type()
            self._fill_options()
            self._fill_dates(call)
            if "quotechar" in call:
                c["CSV Report Quote Character"].value = "null" if call.pop("quotechar") is None else "double_quote"
            if "query_date_type" in call:
                qdt = call.pop("query_date_type")
                get_report_type(c["Report Type"].value).resolve_query_date_type(qdt)  # the library's check
                c["Query Date Type"].value = str(qdt).strip().lower().replace("-", "_").replace(" ", "_")
            if "report_options" in call:
                for name, val in (call.pop("report_options") or {}).items():
                    if name not in self._option_rows:
                        raise ConfigurationError(f"{c['Report Type'].value} has no reportOption {name!r}",
                                                 parameter=name, value=val)
                    self._option_rows[name].control.value = str(val)
            if "statuses" in call:
                c["Select Statuses"].value = tuple(call.pop("statuses") or ())
            if "keywords" in call:
                kw = call.pop("keywords")
                c["Query"].value = kw if isinstance(kw, str) else ", ".join(kw)
            if "asins" in call:
                asins = call.pop("asins")
                c["Look Up By"].value = "asins"
                c["Enter ASINs"].value = asins if isinstance(asins, str) else ", ".join(asins)
            if "skus" in call:
                skus = call.pop("skus")
                c["Look Up By"].value = "skus"
                is_all = isinstance(skus, str) and skus.strip().lower() == "all"
                c["SKU Selection Method"].value = "All" if is_all else "Advanced"
                if not is_all:
                    c["Enter Seller SKUs"].value = skus if isinstance(skus, str) else ", ".join(skus)
            if "seller_id" in call:
                c["Seller ID"].value = str(call.pop("seller_id") or "")
            if "on_invalid_sku" in call:
                c["Continue on Invalid SKU Error"].value = {"raise": "raise", "skip": "skip",
                                                            "warn about invalid skus": "raise",
                                                            "skip invalid skus": "skip"}[
                    str(call.pop("on_invalid_sku")).strip().lower()]
            if call:
                msg = f"the form has no field for: {', '.join(sorted(call))}"
                raise ConfigurationError(msg, parameter=next(iter(call)), value=None)
        finally:
            self._muted = False
        self._refresh()

    def _fill_dates(self, call: dict[str, Any]) -> None:
        c = self._c
        given = {k: call.pop(k) for k in _DATE_KEYS if k in call}
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
                c[picker].value = spec

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

    def to_code(self, module: str = "amzv") -> str:
        """The equivalent call as one line of Python, e.g. ``amzv.read_report(...)``.

        Executed (with ``import amzv_pandas as amzv`` and the same default client),
        it returns the same frame as :meth:`run`.
        """
        call = self.value
        op = call.pop("operation")
        args = ", ".join(f"{k}={v!r}" for k, v in call.items())
        return f"{module}.{op}({args})"

    def run(self) -> pd.DataFrame | None:
        """Run the call (what the Run button does) and return the frame, or ``None`` on error.

        The progress bar, the table and any error message are shown in the form's
        output; the frame is kept as :attr:`result`, an exception as :attr:`error`.
        """
        from IPython.display import HTML

        if self.validate():
            return None
        kwargs = self._kwargs()
        func = self._function()
        self._run_button.disabled = True
        self._run_button.description = "Running..."
        self._status.value = ""
        self.error = None
        self._output.clear_output()
        try:
            with self._output:
                try:
                    extra = {"progress_bar_type": self.progress_bar_type} if self._quiet_kwargs(func) else {}
                    frame = func(**kwargs, client=self.client, **extra)
                except Exception as exc:  # shown in the form, like interactive's showtraceback, but short
                    self.error = exc
                    text = f"{type(exc).__name__}: {exc}"
                    self._show(HTML(f'<pre class="amzv-error" style="color:#b00020;white-space:pre-wrap">'
                                    f"{html.escape(text, quote=False)}</pre>"))
                    self._status.value = f'<span style="color:#b00020">{html.escape(type(exc).__name__)}</span>'
                    return None
                self.result = frame
                self._show(frame)
                self._status.value = f"{len(frame):,} rows × {frame.shape[1]} columns"
        finally:
            self._run_button.description = "Run"
            self._run_button.disabled = bool(self.errors)
        for callback in self._callbacks:
            callback(self)
        return frame

    def _show(self, obj: Any) -> None:
        """Show ``obj`` in the output: through the kernel when there is one, else into its state."""
        from IPython import get_ipython
        from IPython.display import display

        if getattr(get_ipython(), "kernel", None) is not None:
            display(obj)  # inside ``with self._output``: captured like the progress bar
        else:
            self._output.append_display_data(obj)

    def register_callback(self, callback: Callable[["ReportForm"], None]) -> None:
        """Call ``callback(form)`` after every successful run."""
        self._callbacks.append(callback)

    @property
    def run_button(self) -> widgets.Button:
        """The Run button."""
        return self._run_button

    @property
    def output(self) -> widgets.Output:
        """The output area (progress bar, table or error)."""
        return self._output

    def visible_fields(self) -> list[str]:
        """Labels of the fields shown now, in pane order (report options last)."""
        shown = [label for label, r in self.fields.items() if r.visible]
        return shown + [r.label for r in self._option_rows.values()]

    @property
    def option_fields(self) -> dict[str, _Row]:
        """The report's own option rows, by Amazon's option name."""
        return dict(self._option_rows)

    def __repr__(self) -> str:
        return f"ReportForm({self.to_code()})"


def _spec_text(spec: Any) -> str:
    """A parsed date as read_report takes it back: ``"today-7"``, ``"yesterday"`` or ISO."""
    return str(spec) if isinstance(spec, dates.RelativeDate) else spec.isoformat()


def _option_choices(opt: Any) -> list[tuple[str, str]] | None:
    """Dropdown choices of a report option (``None``: free text)."""
    if opt.allowed is not None:
        values = list(opt.allowed)
    elif opt.kind == "boolean":
        values = ["true", "false"]
    else:
        return None
    choices = [(v, v) for v in values]
    if not opt.required and opt.default is None:
        choices.insert(0, ("(not set)", _UNSET))
    return choices
