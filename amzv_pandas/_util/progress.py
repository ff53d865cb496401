"""One progress-bar factory for every long operation.

``progress_bar_type`` is ``"auto"`` (tqdm.auto: a widget bar in notebooks,
text elsewhere), ``"tqdm"`` (text), ``"tqdm_notebook"`` (widget), ``None``
(silent), or any object with ``update``/``close`` methods.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any, Literal, Protocol, Union, runtime_checkable

from ..exceptions import ConfigurationError, ProgressBarWarning

__all__ = ["ProgressBar", "ProgressBarType", "get_progress_bar", "validate_progress_bar_type", "SharedProgress",
           "ProgressPart"]


@runtime_checkable
class ProgressBar(Protocol):
    def update(self, n: float = 1) -> Any: ...

    def close(self) -> Any: ...


ProgressBarType = Union[Literal["auto", "tqdm", "tqdm_notebook"], None, ProgressBar]

_KINDS = ("auto", "tqdm", "tqdm_notebook", None)


def validate_progress_bar_type(progress_bar_type: Any) -> None:
    """Raise :class:`ConfigurationError` unless the value is a known kind or a bar object."""
    # A type check first: ``in`` on an array-like would raise its own error.
    if (progress_bar_type is None or isinstance(progress_bar_type, str)) and progress_bar_type in _KINDS:
        return
    if isinstance(progress_bar_type, ProgressBar):
        return
    msg = (
        f"progress_bar_type={progress_bar_type!r} is not allowed; use 'auto', 'tqdm', "
        "'tqdm_notebook', None, or an object with update() and close()"
    )
    raise ConfigurationError(msg, parameter="progress_bar_type", value=progress_bar_type, allowed=list(_KINDS))


def get_progress_bar(
    progress_bar_type: ProgressBarType,
    desc: str = "",
    total: float | None = None,
    unit: str = "it",
    **kwargs: Any,
) -> Any | None:
    """Return a progress bar of the asked kind, or ``None`` for no bar.

    tqdm's notebook module is imported only here, when a bar is asked for.
    """
    validate_progress_bar_type(progress_bar_type)
    if progress_bar_type is None:
        return None
    if not isinstance(progress_bar_type, str):
        return progress_bar_type
    kwargs.setdefault("leave", True)
    try:
        if progress_bar_type == "tqdm":
            from tqdm import tqdm as bar_cls
        elif progress_bar_type == "tqdm_notebook":
            from tqdm.notebook import tqdm as bar_cls
        else:
            from tqdm.auto import tqdm as bar_cls
        return bar_cls(desc=desc, total=total, unit=unit, **kwargs)
    except Exception as exc:  # e.g. tqdm_notebook without ipywidgets
        warnings.warn(f"could not show a {progress_bar_type!r} progress bar: {exc}", ProgressBarWarning, stacklevel=3)
        return None


class SharedProgress:
    """One bar shared by the parts of a call (accounts × marketplaces), counting their windows.

    Each part (:meth:`part`) is itself a bar object a read can be given as ``progress_bar_type``:
    it adds its windows to the total (``add_total``), counts the finished ones (``update``) and
    shows its label with the active window's status in the description. Thread-safe: parts run
    in worker threads.
    """

    def __init__(self, progress_bar_type: ProgressBarType, desc: str = "", unit: str = "window") -> None:
        self.bar = get_progress_bar(progress_bar_type, desc=desc, total=0, unit=unit)
        self.desc = desc
        self.lock = threading.Lock()
        self.total = 0
        self.count = 0
        self.parts: list[ProgressPart] = []

    def part(self, label: str) -> "ProgressPart":
        """A bar object for one account or marketplace (nested labels: ``"acme/US"``)."""
        new = ProgressPart(self, label)
        with self.lock:
            self.parts.append(new)
        return new

    def _grow(self, n: int) -> None:
        with self.lock:
            self.total += n
            if self.bar is not None and hasattr(self.bar, "total"):
                self.bar.total = self.total
                container = getattr(self.bar, "container", None)
                if container is not None:
                    # tqdm.notebook's widget keeps the max it was built with (an "info" stub for
                    # total 0): give it the grown total, as its reset(total=) would.
                    widget = container.children[1]
                    widget.max, widget.bar_style = self.total, ""
                    widget.layout.width = None
                if hasattr(self.bar, "refresh"):
                    self.bar.refresh()

    def _advance(self, n: int) -> None:
        with self.lock:
            self.count += n
            if self.bar is not None and n:
                self.bar.update(n)

    def _describe(self, text: str) -> None:
        with self.lock:
            if self.bar is not None and hasattr(self.bar, "set_description_str"):
                self.bar.set_description_str(f"{self.desc} {text}".strip(), refresh=False)

    def account_done(self, label: str, windows: int | None = None) -> None:
        """Count everything of ``label``'s parts as finished (a cache hit reports no windows):
        ``windows`` is how many it had, when known."""
        with self.lock:
            mine = [p for p in self.parts if p.label == label or p.label.startswith(label + "/")]
        shown = sum(p.total for p in mine)
        if windows is not None and windows > shown:
            self._grow(windows - shown)
            shown = windows
        elif shown == 0:  # nothing counted its work: the account is one step
            self._grow(1)
            shown = 1
        done = sum(p.counted for p in mine)
        for p in mine:
            p.counted = p.total
        self._advance(max(0, shown - done))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class ProgressPart:
    """One part of a :class:`SharedProgress`, duck-typed as a progress bar (``update``/``close``)."""

    def __init__(self, shared: SharedProgress, label: str) -> None:
        self.shared = shared
        self.label = label
        self.total = 0
        self.counted = 0

    def part(self, label: str) -> "ProgressPart":
        return self.shared.part(f"{self.label}/{label}")

    def add_total(self, n: int) -> None:
        self.total += n
        self.shared._grow(n)

    def update(self, n: float = 1) -> None:
        n = int(n)
        self.counted += n
        self.shared._advance(n)

    def set_description_str(self, text: str, refresh: bool = False) -> None:
        desc = self.shared.desc
        if desc and text.startswith(desc + " "):  # the bar already names it (the report type)
            text = text[len(desc) + 1:]
        self.shared._describe(f"{self.label}: {text}")

    def refresh(self) -> None:
        if self.shared.bar is not None and hasattr(self.shared.bar, "refresh"):
            with self.shared.lock:
                self.shared.bar.refresh()

    def close(self) -> None:
        """A read ends: its windows count as finished."""
        if self.counted < self.total:
            self.shared._advance(self.total - self.counted)
            self.counted = self.total
