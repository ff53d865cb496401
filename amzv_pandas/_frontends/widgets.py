"""``ReportForm``: the connector's Details pane as an ipywidgets form.

>>> form = amzv.ReportForm(client=client)   # doctest: +SKIP
>>> form                                    # the last expression of a cell shows the pane

The form is a composite widget (a :class:`ipywidgets.VBox`, in the shape of
ipywidgets' ``interactive`` and ipyfilechooser): private children wired in
``__init__``, observers muted while the form is filled from code, and below the
fields Run, Cancel, Show code, the progress bar, one summary line, a capped
preview and Export.

The pane's fields, help texts and styles are :mod:`~amzv_pandas._frontends.form_fields`; how
their values become a call, the date boxes and the checks of that call
:mod:`~amzv_pandas._frontends.form_call`; the library's messages in the form's words
:mod:`~amzv_pandas._frontends.form_messages`; the summary and preview
:mod:`~amzv_pandas._frontends.form_preview`; the Run thread, Cancel, warnings and Export
:mod:`~amzv_pandas._frontends.form_run`; Show code :mod:`~amzv_pandas._frontends.form_code`.
This module wires them into the widget.

The form holds no rule of its own: every check is the library's, called live
(the date grammar, :meth:`DateRange.parse`/``resolve``, :meth:`ReportType.validate_options`,
the marketplace registry, and a dry run of the very function Run calls, with a
client that refuses to send anything). Messages are the library's, with parameter
names replaced by the form's labels, shown under the field they are about; while
any is shown Run is disabled, and Run sends exactly the call :attr:`value` and
Show code show.

The form never holds credentials: the client is a plain Python attribute, never
a widget value, so nothing secret can reach saved widget state.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import re
import threading
from typing import Any, Callable, Mapping
from zoneinfo import ZoneInfo

try:
    import ipywidgets as widgets
except ImportError:  # pragma: no cover - exercised in a subprocess test
    # One line naming the extra, not ipywidgets' own chained traceback (issue 12).
    raise ImportError(
        "amzv_pandas.ReportForm needs ipywidgets: pip install 'amzv_pandas[notebook]' "
        "for everything the notebooks use, or pip install 'amzv_pandas[widgets]' for the form alone"
    ) from None

import pandas as pd
from traitlets import TraitError

from .._specs import dates
from .._specs.marketplaces import get_marketplace
from ..exceptions import ConfigurationError
from .form_call import (
    DATE_BOXES,
    box_echo,
    box_errors,
    call_kwargs,
    check_call,
    field_labels,
    fill_dates,
    quiet_kwargs,
    row_for,
)
from .form_code import cell_code
from .form_fields import (
    ANALYTICS_OP,
    ANY_TYPE,
    LIST_OPS,
    OPERATIONS,
    REPORT_OPS,
    STYLE,
    FieldRow,
    analytics_choices,
    build_fields,
    humanize,
    marketplace_options,
    message_html,
    option_choices,
    visible_labels,
)
from .form_messages import in_form_words
from .form_preview import ResultSummary, preview_html, summarize
from .form_run import RunThread, captured_warnings, displays_into, export_frame

__all__ = ["ReportForm", "OPERATIONS"]

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
        The frame of the last successful run (the form previews its first 50 rows).
    summary : ResultSummary or None
        Its one-line summary (rows × columns, report type, dates, ids, cache); renders in a notebook.
    warnings : list of str
        The messages of the warnings the last run issued (shown as a notice in the form).
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
    >>> print(form.code())            # what Show code shows: a cell that runs on its own  # doctest: +SKIP
    >>> form.run_async(); form.cancel()   # the Run and Cancel buttons                      # doctest: +SKIP
    >>> form.export("sales.parquet")      # the Export button                               # doctest: +SKIP
    """

    def __init__(self, client: Any = None, *, progress_bar_type: Any = "auto", **kwargs: Any) -> None:
        from .._specs.registry import report_types

        self.client = client
        self.progress_bar_type = progress_bar_type
        self.result: pd.DataFrame | None = None
        self.error: BaseException | None = None
        self.errors: dict[str, str] = {}
        # An empty field the user has not reached yet is not an error until Run (issue 12):
        # its message waits in ``_pending``; fields changed by the user or filled from code are "touched".
        self._pending: dict[str, str] = {}
        self._touched: set[str] = set()
        self._submitted = False
        self._date_defaults: dict[str, Any] = {}
        self._callbacks: list[Callable[["ReportForm"], None]] = []
        self._muted = True  # no observer work until every child exists
        self._busy = False  # a run is going on (Run disabled, Cancel shown)
        self._types = report_types()
        default_mp = getattr(getattr(client, "marketplace", None), "country_code", None) or "US"
        default_region = get_marketplace(default_mp).region
        # the date pickers start on the marketplace's today, the day relative dates count from
        today = dates.resolve_today(tz=get_marketplace(default_mp))

        self.fields: dict[str, FieldRow] = build_fields(today, default_region, default_mp)
        self.fields["Accounts"].control.options = _profile_names()
        # the account's own seller id, when its profile knows it (amzv.authorize saves it): the
        # connector never asked for one (issue 12)
        self.fields["Seller ID"].control.value = _seller_id_of(client)
        self._description = widgets.HTML("", layout=widgets.Layout(margin="0 0 4px 214px"))
        self._description.add_class("amzv-muted")
        self._options_box = widgets.VBox([])
        self._option_rows: dict[str, FieldRow] = {}
        self._view_shown: str | None = None
        self._run_thread: RunThread | None = None
        self.summary: ResultSummary | None = None
        self.warnings: list[str] = []

        self._run_button = widgets.Button(description="Run", button_style="primary", icon="play")
        self._run_button.add_class("amzv-run")
        self._cancel_button = widgets.Button(description="Cancel", icon="stop", button_style="warning",
                                             layout=widgets.Layout(display="none"))
        self._cancel_button.add_class("amzv-cancel")
        self._code_button = widgets.ToggleButton(description="Show code", icon="code", value=False)
        self._code_button.add_class("amzv-show-code")
        self._status = widgets.HTML("")
        self._status.add_class("amzv-status")
        self._code = widgets.HTML("", layout=widgets.Layout(display="none"))
        self._code.add_class("amzv-code")
        # The result area: nothing (not even a border) before the first run (issue 12).
        self._output = widgets.Output(layout=widgets.Layout(display="none"))
        self._output.add_class("amzv-output")
        self._message = widgets.HTML("", layout=widgets.Layout(display="none"))
        self._message.add_class("amzv-run-message")
        self._summary = widgets.HTML("")
        self._summary.add_class("amzv-summary-box")
        self._preview = widgets.HTML("")
        self._preview.add_class("amzv-preview-box")
        self._export_format = widgets.Dropdown(options=[("CSV", "csv"), ("Parquet", "parquet")], value="csv",
                                               layout=widgets.Layout(width="110px"))
        self._export_path = widgets.Text(placeholder="file name", layout=widgets.Layout(width="360px"))
        self._export_button = widgets.Button(description="Export", icon="download")
        self._export_button.add_class("amzv-export")
        self._export_status = widgets.HTML("")
        self._export_status.add_class("amzv-export-status")
        self._export_box = widgets.HBox([self._export_format, self._export_path, self._export_button,
                                         self._export_status], layout=widgets.Layout(display="none",
                                                                                     align_items="center"))
        self._result_box = widgets.VBox([self._message, self._summary, self._preview, self._export_box],
                                        layout=widgets.Layout(display="none"))
        self._result_box.add_class("amzv-result")
        self._run_button.on_click(lambda _: self.run_async())
        self._cancel_button.on_click(lambda _: self.cancel())
        self._export_button.on_click(lambda _: self.export())
        self._code_button.observe(lambda _: self._show_code(), names="value")
        self._export_format.observe(self._on_export_format, names="value")

        c = {label: r.control for label, r in self.fields.items()}
        children: list[widgets.Widget] = [widgets.HTML(STYLE), widgets.HTML("<b>Amazon Selling Partner: Details</b>")]
        for label, r in self.fields.items():
            children.append(r)
            if label == "Report Type":
                children.append(self._description)
            if label == "Query Date Type":
                children.append(self._options_box)
        children += [widgets.HBox([self._run_button, self._cancel_button, self._code_button, self._status],
                                  layout=widgets.Layout(align_items="center")),
                     self._code, self._output, self._result_box]
        super().__init__(children, **kwargs)
        self.add_class("amzv-report-form")

        self._c = c
        self._label_of = {id(control): label for label, control in c.items()}
        self._fill_report_types()
        for control in c.values():
            control.observe(self._on_change, names="value")
        self._muted = False
        self._refresh()

    # ------------------------------------------------------------------ building

    def _fill_report_types(self) -> None:
        """The Report Type menu: the chosen family's types from ``report_types()``."""
        family = self._c["Report Family"].value
        rows = self._types[self._types["family"] == family]
        options = [(f"{t.title} ({t.name})", t.name) for t in rows.itertuples()]
        if self._c["Report"].value in LIST_OPS:
            options.insert(0, ("(any report type)", ANY_TYPE))
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
        self._default_dates(rt)

    def _default_dates(self, rt: Any) -> None:
        """Start the date fields on the type's last published day (its registry lag), so Run works at once.

        Only fields still holding the form's previous default follow; a date the user or a call
        set is kept.
        """
        market = self._market()
        today = dates.resolve_today(tz=market)  # the day relative dates count from
        lag = rt.publication_lag if rt is not None else dt.timedelta(0)
        last = min(dates.last_final_day(lag, dt.datetime.now(ZoneInfo(market.timezone))),
                   today - dt.timedelta(days=1))
        back = (today - last).days
        wanted = {
            "Select Specific Date": last.isoformat(), "Days Back": str(back),
            "Select Specific Start Date": (last - dt.timedelta(days=6)).isoformat(),
            "Days Back to Start From": str(back + 6),
            "Select Specific End Date": last.isoformat(), "Days Back to End At": str(back),
        }
        for label, value in wanted.items():
            control = self._c[label]
            if label not in self._date_defaults or control.value == self._date_defaults[label]:
                control.value = value
                self._date_defaults[label] = value

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
            self._option_rows[o.name].control_options == option_choices(o) for o in wanted
        ):
            return
        old = {name: r.control.value for name, r in self._option_rows.items()}
        rows: dict[str, FieldRow] = {}
        for opt in wanted:
            choices = option_choices(opt)
            if choices is not None:
                control: widgets.Widget = widgets.Dropdown(options=choices)
                values = [v for _, v in choices]
                control.value = old.get(opt.name) if old.get(opt.name) in values else (
                    opt.default if opt.default is not None else values[0])
            else:
                control = widgets.Text(value=str(old.get(opt.name) or opt.default or ""),
                                       placeholder=opt.allowed_text)
            r = FieldRow(humanize(opt.name), control, opt.description)
            r.option_name = opt.name  # type: ignore[attr-defined]
            r.control_options = choices  # type: ignore[attr-defined]
            control.observe(self._on_change, names="value")
            rows[opt.name] = r
        self._option_rows = rows
        self._options_box.children = list(rows.values())

    def _fill_analytics(self) -> None:
        """Metric Groups and Group By follow the Vendor Analytics view (the shipped SDL's fields)."""
        view = self._c["View"].value
        if view == self._view_shown:
            return
        groups, group_by = analytics_choices(view)
        for label, choices, first in (("Metric Groups", groups, ()), ("Group By", group_by, ("asin",))):
            control = self._c[label]
            keep = tuple(v for v in control.value if v in {v for _, v in choices})
            control.options = choices
            control.value = keep if self._view_shown is not None else first
        self._view_shown = view

    # ------------------------------------------------------------------ state -> call

    def _op(self) -> str:
        return self._c["Report"].value

    def _visible_labels(self) -> set[str]:
        """Which pane fields apply to the chosen operation and report type."""
        return visible_labels(self._op(), self._c, self._report_type())

    def _kwargs(self) -> dict[str, Any]:
        """The call's keyword arguments (without ``client``/``progress_bar_type``)."""
        return call_kwargs(self._op(), self._c, self._report_type(), self._visible_labels(), self._option_rows)

    # ------------------------------------------------------------------ validation

    def validate(self) -> dict[str, str]:
        """Check the form now; show any message under its field and enable Run only when valid.

        Messages are the library's, in the form's words (field labels for parameter names).

        Returns
        -------
        dict
            Field label -> message (empty when the request is valid; ``""`` for one about no field).
        """
        for r in (*self.fields.values(), *self._option_rows.values()):
            r.show_error(None)
        errors: dict[str, str] = {}
        self._pending = {}
        visible = self._visible_labels()
        labels = field_labels(self._c, self.fields, self._option_rows)
        try:
            market = self._market()
            # each date box on its own first: every bad box is marked, an emptied one too
            for label, (exc, _) in box_errors(self._c, visible, market).items():
                self._flag(self.fields[label], in_form_words(str(exc), {**labels, exc.parameter or "": label}),
                           errors)
            if not errors and not self._pending:
                check_call(self._op(), self._kwargs(), c=self._c, rt=self._report_type(), visible=visible,
                           client=self.client, function=self._function)
        except ConfigurationError as exc:
            target = row_for(exc.parameter, self._c, self.fields, self._option_rows)
            text = in_form_words(str(exc), labels)
            if target is None or not target.visible:
                errors[""] = text
            else:
                self._flag(target, text, errors)
        except Exception as exc:  # a bug elsewhere must not break the pane: show it, block Run
            errors[""] = f"{type(exc).__name__}: {exc}"
        self.errors = errors
        general = errors.get("")
        if not self._busy:
            self._status.value = message_html(general)
        self._run_button.disabled = bool(errors) or self._busy
        if self._code_button.value:
            self._show_code()
        return errors

    def _flag(self, row: FieldRow, text: str, errors: dict[str, str]) -> None:
        """Show ``text`` under ``row``, or keep it for Run while the row is an untouched empty box."""
        if self._untouched_and_empty(row):
            self._pending[row.label] = text  # shown at Run, or once the user edits it
        else:
            row.show_error(text)
            errors[row.label] = text

    def _untouched_and_empty(self, row: FieldRow) -> bool:
        """An empty text field the user has not edited yet (and Run not pressed): not an error yet."""
        value = getattr(row.control, "value", None)
        return (not self._submitted and row.label not in self._touched
                and isinstance(value, str) and not value.strip())

    @property
    def is_valid(self) -> bool:
        """Whether the request can be sent now (no message shown and none waiting for Run)."""
        return not self.errors and not self._pending

    # ------------------------------------------------------------------ observers

    def _on_change(self, change: Mapping[str, Any]) -> None:
        if self._muted:
            return
        label = self._label_of.get(id(change.get("owner")))
        if label is not None:
            self._touched.add(label)
        if label == "Report" and change.get("old") != change.get("new"):
            self._clear_result()  # a sales table under Search Catalog Items is stale (issue 12)
            self._submitted = False
            self._carry_marketplace(change.get("old"), change.get("new"))
        self._refresh()

    def _carry_marketplace(self, old: Any, new: Any) -> None:
        """Keep the marketplace when the operation changes between one (Market Place) and many (Market Places)."""
        c, muted = self._c, self._muted
        self._muted = True
        try:
            if new in REPORT_OPS and old not in REPORT_OPS:
                if len(c["Market Places"].value) <= 1:
                    c["Market Places"].value = (c["Market Place"].value,)
            elif old in REPORT_OPS and new not in REPORT_OPS and c["Market Places"].value:
                c["Market Place"].value = c["Market Places"].value[0]
        finally:
            self._muted = muted

    def _market(self) -> Any:
        """The marketplace whose today the dates count from (the first chosen for many)."""
        from .form_call import market_of

        return market_of(self._op(), self._c) or get_marketplace(self._c["Market Place"].value)

    def _clear_result(self) -> None:
        """Empty the result area: the table, progress bar, notice or error of the last run, and the status line."""
        # Not Output.clear_output(): its clear message reaches the front end after a Run thread
        # may have appended the new bar, and the front end syncs its (empty) outputs back over it.
        # Two assignments so the empty list is sent even when the kernel's copy was empty already
        # (outputs captured by ``with output:`` live in the front end).
        self._output.outputs = ({"output_type": "stream", "name": "stdout", "text": ""},)
        self._output.outputs = ()
        self._output.layout.display = "none"
        self._result_box.layout.display = "none"
        self._export_box.layout.display = "none"
        for w in (self._message, self._summary, self._preview, self._export_status):
            w.value = ""
        self._message.layout.display = "none"
        self._status.value = ""
        self.summary = None

    def _refresh(self) -> None:
        """Re-derive menus and visibility from the current values, then validate."""
        muted, self._muted = self._muted, True
        try:
            c = self._c
            region = c["Country Code"].value
            options = marketplace_options(region)
            if c["Market Place"].options != tuple(options):
                keep = c["Market Place"].value
                c["Market Place"].options = options
                c["Market Place"].value = keep if keep in {v for _, v in options} else options[0][1]
            if c["Market Places"].options != tuple(options):
                kept = tuple(v for v in c["Market Places"].value if v in {v for _, v in options})
                c["Market Places"].options = options
                c["Market Places"].value = kept or (c["Market Place"].value,)
            if self._op() in REPORT_OPS:
                self._fill_report_types()
            self._fill_options()
            visible = self._visible_labels()
            for label, r in self.fields.items():
                r.visible = label in visible
            rt = self._report_type() if self._op() in REPORT_OPS else None
            self._description.value = (
                f"<i>{html.escape(rt.description, quote=False)}</i>" if rt is not None else ""
            )
            self._description.layout.display = None if rt is not None else "none"
            self._options_box.layout.display = None if self._option_rows else "none"
            self._fill_analytics()
            market = self._market()
            for label in DATE_BOXES:
                row = self.fields[label]
                row.show_echo(box_echo(label, row.control.value, market) if row.visible else "")
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
        if op != self._op():
            self._clear_result()
        self._touched |= set(self.fields)  # a call given in code is entered in full: its gaps are errors
        self._muted = True
        try:
            c["Report"].value = op
            if "marketplace" in call:
                given = call.pop("marketplace")
                many = [given] if isinstance(given, str) or not hasattr(given, "__iter__") else list(given)
                if not many:
                    raise ConfigurationError("marketplace=[] names no marketplace; give one (e.g. 'US')",
                                             parameter="marketplace", value=given)
                if len(many) > 1 and op not in REPORT_OPS:
                    raise ConfigurationError(f"marketplace={given!r}: {op} takes one marketplace; the form's "
                                             f"'Market Place' field holds one", parameter="marketplace", value=given)
                markets = [get_marketplace(m) for m in many]
                market = markets[0]
                c["Country Code"].value = market.region
                c["Market Place"].options = marketplace_options(market.region)
                c["Market Place"].value = market.country_code
                c["Market Places"].options = marketplace_options(market.region)
                self._put("Market Places", tuple(m.country_code for m in markets), "marketplace")
            if "accounts" in call:
                given = call.pop("accounts")
                names = tuple(str(a) for a in ([given] if isinstance(given, str) else list(given or ())))
                self._put("Accounts", names, "accounts")
            names = call.pop("report_types", None) if op in LIST_OPS else call.pop("report_type", None)
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
            fill_dates(c, call)
            if "quotechar" in call:
                c["CSV Report Quote Character"].value = "null" if call.pop("quotechar") is None else "double_quote"
            if "query_date_type" in call:
                qdt = call.pop("query_date_type")
                get_report_type(c["Report Type"].value).resolve_query_date_type(qdt)  # the library's check
                self._put("Query Date Type", str(qdt).strip().lower().replace("-", "_").replace(" ", "_"),
                          "query_date_type")
            if "report_options" in call:
                for name, val in (call.pop("report_options") or {}).items():
                    if name not in self._option_rows:
                        raise ConfigurationError(f"{c['Report Type'].value} has no reportOption {name!r}",
                                                 parameter=name, value=val)
                    self._put(name, str(val), name, row=self._option_rows[name])
            if "statuses" in call:
                c["Select Statuses"].value = _statuses(call.pop("statuses"))
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
                    # one per line: a SKU may hold commas (FILT,STD,00005)
                    c["Enter Seller SKUs"].value = skus if isinstance(skus, str) else "\n".join(skus)
            if "seller_id" in call:
                c["Seller ID"].value = str(call.pop("seller_id") or "")
            if "on_invalid_sku" in call:
                from .._catalog.arguments import ON_INVALID_SKU  # the catalog's own spellings

                given = call.pop("on_invalid_sku")
                policy = ON_INVALID_SKU.get(str(given).strip().lower(), given)
                self._put("Continue on Invalid SKU Error", policy, "on_invalid_sku")
            if op == ANALYTICS_OP:
                self._fill_analytics_call(call)
            if call:
                msg = f"the form has no field for: {', '.join(sorted(call))}"
                raise ConfigurationError(msg, parameter=next(iter(call)), value=None)
        finally:
            self._muted = False
        self._refresh()

    def _fill_analytics_call(self, call: dict[str, Any]) -> None:
        """View, Aggregate By, Metric Groups and Group By from ``read_vendor_analytics`` keywords."""
        if "view" in call:
            self._put("View", str(call.pop("view")).strip().lower(), "view")
        if "aggregate_by" in call:
            self._put("Aggregate By", str(call.pop("aggregate_by")).strip().upper(), "aggregate_by")
        self._fill_analytics()
        for key, label in (("metrics", "Metric Groups"), ("group_by", "Group By")):
            if key not in call:
                continue
            given = call.pop(key)
            names = () if given is None else (given,) if isinstance(given, str) else tuple(given)
            paths = [n for n in names if "." in str(n)]
            if paths:
                msg = (f"metrics={paths[0]!r} is a metric path; the form's 'Metric Groups' field takes whole "
                       f"groups (pass paths to amzv.read_vendor_analytics(metrics=...) in code)")
                raise ConfigurationError(msg, parameter=key, value=paths[0])
            self._put(label, tuple(str(n) for n in names), key)

    def _put(self, label: str, value: Any, parameter: str, row: FieldRow | None = None) -> None:
        """Set a field from a call: a value it cannot hold is a ConfigurationError naming the field."""
        row = row if row is not None else self.fields[label]
        try:
            row.control.value = value
        except TraitError:
            options = getattr(row.control, "options", ())
            choices = [o[1] if isinstance(o, tuple) else o for o in options] or None
            if isinstance(value, tuple) and choices:  # a multi-select: name the value it lacks
                value = next((v for v in value if v not in choices), value)
            msg = f"{parameter}={value!r} is not a choice of the form's {row.label!r} field"
            if choices:
                msg += f"; choose one of {', '.join(map(repr, choices))}"
            raise ConfigurationError(msg, parameter=parameter, value=value, allowed=choices) from None

    def to_code(self, module: str = "amzv") -> str:
        """The equivalent call as one line of Python, e.g. ``amzv.read_report(...)``.

        Executed (with ``import amzv_pandas as amzv`` and the same default client),
        it returns the same frame as :meth:`run`. :meth:`code` gives a whole cell.
        """
        call = self.value
        op = call.pop("operation")
        args = ", ".join(f"{k}={v!r}" for k, v in call.items())
        return f"{module}.{op}({args})"

    def code(self) -> str:
        """What Show code shows: a cell that runs on its own and returns the frame Run returns.

        It starts with ``import amzv_pandas as amzv`` and the line giving the client (its
        profile, the default client, or the notebook variable holding it; never a secret).
        """
        call = self.value
        op = call.pop("operation")
        return cell_code(op, call, self.client)

    def _show_code(self) -> None:
        on = bool(self._code_button.value)
        self._code.layout.display = None if on else "none"
        if not on:
            return
        text = self.code()
        note = ("" if not (self.errors or self._pending) else
                '<div class="amzv-error">The form has errors: Run sends nothing until they are fixed.</div>')
        self._code.value = (f'{note}<pre class="amzv-code-text" style="user-select:text;margin:4px 0;padding:6px;'
                            f'border:1px solid var(--jp-border-color2,#ddd);background:var(--jp-layout-color2,#f6f6f6);'
                            f'color:var(--jp-content-font-color1,#111)">{html.escape(text, quote=False)}</pre>')

    # ------------------------------------------------------------------ running

    def run(self) -> pd.DataFrame | None:
        """Run the call in this thread (what Run does, waiting for it) and return the frame, or ``None``.

        The progress bar, the summary and preview, any warning and any error are shown in the
        form; the frame is kept as :attr:`result`, an exception as :attr:`error`.
        """
        if not self._start_run():
            return None
        self._execute(self._op(), self._kwargs(), self._function())
        return self.result if self.error is None and not self._cancelled else None

    def run_async(self) -> RunThread | None:
        """Start the call off the kernel's main thread (what the Run button does); the :class:`RunThread`.

        The kernel stays usable meanwhile; :meth:`cancel` (the Cancel button) stops it.
        """
        if not self._start_run():
            return None
        # read now: the request shown is the one sent
        op, kwargs, func = self._op(), self._kwargs(), self._function()
        self._run_thread = RunThread(lambda: self._execute(op, kwargs, func))
        self._run_thread.start()
        return self._run_thread

    def cancel(self) -> bool:
        """Stop a run started by Run: polling stops within a second; the report ids are kept.

        The report keeps processing at Amazon and its id stays in the cache's in-flight record,
        so a later Run of the same request resumes it instead of creating a new one.
        Returns whether a run was stopped (never for a run with ``accounts=``, which runs each
        account in the facade's own pool threads).
        """
        thread = self._run_thread
        if thread is None or not thread.running or self._cancel_button.layout.display == "none":
            return False
        self._status.value = '<span class="amzv-muted">Cancelling...</span>'
        return thread.cancel()

    def _start_run(self) -> bool:
        if self._busy:
            return False
        self._submitted = True  # from now on an empty required field is an error, not a pending one
        if self.validate() or self._pending:
            return False
        self._busy = True
        self._cancelled = False
        self._run_button.disabled = True
        self._run_button.description = "Running..."
        # Cancel reaches the call's own thread; with accounts= each account runs in a pool thread of
        # the facade that a KeyboardInterrupt here does not stop, so no Cancel is offered for it
        many = bool(self._kwargs().get("accounts"))
        self._cancel_button.layout.display = "none" if many else None
        self.error = None
        self.warnings = []
        self._clear_result()
        self._status.value = ('<span class="amzv-muted">Running for several accounts: this run cannot be '
                              'cancelled from the form</span>' if many else "")
        self._output.layout.display = None
        return True

    def _execute(self, op: str, kwargs: dict[str, Any], func: Callable[..., pd.DataFrame]) -> None:
        """The call, its outcome shown in the form (in whichever thread runs it)."""
        from IPython import get_ipython

        records: list[tuple[type[Warning], str]] = []
        frame = None

        def stale() -> bool:  # the user switched operation while this ran
            return op != self._op()

        in_kernel = getattr(get_ipython(), "kernel", None) is not None
        failure: BaseException | None = None
        try:
            with captured_warnings(records):
                extra = {"progress_bar_type": self.progress_bar_type} if quiet_kwargs(func) else {}
                # In the main thread (form.run() in a cell) ``with Output`` captures the bar; a Run
                # thread appends its displays to the Output itself (see displays_into).
                if not in_kernel:
                    into: Any = contextlib.nullcontext()
                elif threading.current_thread() is threading.main_thread():
                    into = self._output
                else:
                    into = displays_into(self._output)
                # ``with Output`` shows and swallows an exception raised inside it: catch it in there
                with into:
                    try:
                        # accounts= names every account itself (the facade refuses it with client=)
                        client = None if kwargs.get("accounts") else self.client
                        frame = func(**kwargs, client=client, **extra)
                    except (Exception, KeyboardInterrupt) as exc:
                        failure = exc
            if failure is not None:
                raise failure
        except KeyboardInterrupt as exc:  # Cancel (or Ctrl-C): the library stopped and named the ids
            self._cancelled = True
            self._show_message(_cancel_text(str(exc)), "warn")
            self._status.value = '<span class="amzv-warn">Cancelled</span>'
        except Exception as exc:  # shown in the form, short: the library's message in the form's words
            self.error = exc
            labels = field_labels(self._c, self.fields, self._option_rows)
            self._show_message(f"{type(exc).__name__}: {in_form_words(str(exc), labels)}", "error")
            self._status.value = message_html(type(exc).__name__)
        else:
            self.result = frame
            self.summary = summarize(frame, op, kwargs)
            if not stale():  # a table of another operation than the one now chosen would mislead
                self._summary.value = self.summary._repr_html_()
                self._preview.value = preview_html(frame)
                self._result_box.layout.display = None
                self._export_box.layout.display = None
                self._export_path.value = self._export_name()
                self._export_status.value = ""
                self._status.value = ""  # the summary line under the buttons says it all
        finally:
            self.warnings = _tidy_warnings(records)
            if self.warnings and not stale():
                notice = "".join(f"<div>{html.escape(w, quote=False)}</div>" for w in self.warnings)
                self._message.value = self._message.value + f'<div class="amzv-warn amzv-notice">{notice}</div>'
                self._message.layout.display = None
                self._result_box.layout.display = None
            if not in_kernel and not self._output.outputs:  # in a kernel the front end holds the outputs
                self._output.layout.display = "none"
            self._busy = False
            self._cancel_button.layout.display = "none"
            self._run_button.description = "Run"
            self._run_button.disabled = bool(self.errors)
        if frame is not None and self.error is None:
            for callback in self._callbacks:
                callback(self)

    def _show_message(self, text: str, kind: str) -> None:
        self._message.value = message_html(text, kind)
        self._message.layout.display = None
        self._result_box.layout.display = None

    # ------------------------------------------------------------------ export

    def _export_name(self) -> str:
        s = self.summary
        stem = "amzv-" + (s.report_type or s.operation if s is not None else self._op()).lower().replace("_", "-")
        if s is not None and s.start and s.end:
            stem += f"-{s.start}" + ("" if s.start == s.end else f"-{s.end}")
        return f"{re.sub(r'[^A-Za-z0-9._-]+', '-', stem)}.{self._export_format.value}"

    def _on_export_format(self, change: Mapping[str, Any]) -> None:
        path = self._export_path.value
        old = f".{change.get('old')}"
        if path.endswith(old):
            self._export_path.value = path[: -len(old)] + f".{change.get('new')}"

    def export(self, path: str | None = None, format: str | None = None) -> Any:
        """Save :attr:`result` as CSV or Parquet (what Export does); the absolute path written, or ``None``.

        Parameters
        ----------
        path : str, optional
            Default: the Export box's file name (relative to the kernel's working folder).
        format : {"csv", "parquet"}, optional
            Default: the Export menu's choice.
        """
        if self.result is None:
            self._export_status.value = message_html("Run the request first: there is nothing to export yet.")
            return None
        fmt = format or self._export_format.value
        try:
            dest = export_frame(self.result, path if path is not None else self._export_path.value, fmt)
        except (ConfigurationError, OSError, ImportError, ValueError) as exc:
            text = in_form_words(str(exc), {"path": "the file name", "format": "the format"})
            self._export_status.value = message_html(text)
            return None
        # the path, not a link: the kernel cannot know the server's URL for its working folder
        self._export_status.value = (
            f'<span class="amzv-muted">Saved {len(self.result):,} rows to '
            f'<code class="amzv-export-path">{html.escape(str(dest), quote=False)}</code></span>')
        return dest

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
    def option_fields(self) -> dict[str, FieldRow]:
        """The report's own option rows, by Amazon's option name."""
        return dict(self._option_rows)

    def __repr__(self) -> str:
        return f"ReportForm({self.to_code()})"


def _statuses(value: Any) -> tuple[str, ...]:
    """``statuses=`` for the Select Statuses field: known, distinct, at most the API's 10.

    The library folds duplicates silently; a form filled from code says so instead (the
    connector's limit is 10 statuses), and names the field, not a widget trait.
    """
    from .._reports.listing import PROCESSING_STATUSES
    from .._reports.plan import MAX_LIST_FILTER

    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    names = [str(v).strip().upper() for v in items]
    if len(names) > MAX_LIST_FILTER:
        msg = (f"statuses lists {len(names)} values; the form's 'Select Statuses' field (like the API) "
               f"takes at most {MAX_LIST_FILTER}")
        raise ConfigurationError(msg, parameter="statuses", value=value, allowed=f"1 to {MAX_LIST_FILTER} values")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        msg = f"statuses lists {', '.join(twice)} more than once; give each status of 'Select Statuses' once"
        raise ConfigurationError(msg, parameter="statuses", value=value)
    bad = [n for n in names if n not in PROCESSING_STATUSES]
    if bad:
        msg = (f"statuses={bad[0]!r} is not a choice of the form's 'Select Statuses' field; "
               f"allowed: {', '.join(PROCESSING_STATUSES)}")
        raise ConfigurationError(msg, parameter="statuses", value=bad[0], allowed=list(PROCESSING_STATUSES))
    return tuple(names)


def _cancel_text(message: str) -> str:
    """The library's stop message as the form says it: cancelled, which ids keep processing, Run resumes."""
    found = re.search(r"(report|query) id\(s\) (.*?) keep processing", message)
    if found is None or "none created" in found.group(2):
        return "Cancelled: nothing is left processing at Amazon. Press Run to start again."
    kind, ids = found.groups()
    if "," in ids:
        kinds = "queries" if kind == "query" else "reports"
        return (f"Cancelled: {kinds} {ids} keep processing at Amazon and stay recorded; press Run again with "
                f"the same fields to resume polling them (no new {kind} is created).")
    return (f"Cancelled: {kind} {ids} keeps processing at Amazon and stays recorded; press Run again with "
            f"the same fields to resume polling it (no new {kind} is created).")


def _tidy_warnings(records: list[tuple[type[Warning], str]]) -> list[str]:
    """The run's warnings as short notices: message only, each once (no path, no source line)."""
    seen: list[str] = []
    for _category, message in records:
        text = message.strip()
        if text and text not in seen:
            seen.append(text)
    return seen


def _profile_names() -> list[str]:
    """The saved profiles' names (``amzv.profiles()``) for the Accounts selector; none when unreadable."""
    try:
        from .._facade.accounts import profiles

        return [str(n) for n in profiles()["name"]]
    except Exception:  # no profiles file, or one that cannot be read: the form's client only
        return []


def _seller_id_of(client: Any) -> str:
    """The selling partner id saved with the client's profile (``""`` when unknown); nothing else is read."""
    name = getattr(client, "profile", None)
    if not name:
        return ""
    try:
        from .._transport.profiles import load_profile

        return (load_profile(name, required=False) or {}).get("selling_partner_id", "")
    except Exception:  # an unreadable profiles file: the user types the id
        return ""
