"""Running the form's call off the kernel's main thread, cancelling it, its warnings, exporting the result.

Run starts a :class:`RunThread` so the kernel stays usable while a report is processed. The
thread runs in a copy of the clicking message's context, so what it displays (the progress
bar) still goes to the form after other cells have run (ipykernel keeps the parent message in
context variables).

Cancel reuses the library's own Ctrl-C path: it raises :class:`KeyboardInterrupt` in the run's
thread, exactly as Ctrl-C does in the main thread; the report and Data Kiosk drivers wait in
short slices, so they hear it within a fraction of a second, stop their workers and name the
report ids that keep processing at Amazon (the in-flight record keeps them, so the same call
run again resumes polling instead of creating a new report).
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import threading
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator

import pandas as pd

from .._util.files import atomic_write
from ..exceptions import ConfigurationError

__all__ = ["RunThread", "captured_warnings", "displays_into", "export_frame", "EXPORT_FORMATS"]

EXPORT_FORMATS = ("csv", "parquet")


class RunThread:
    """One run of ``target`` in a daemon thread, cancellable with :meth:`cancel`."""

    def __init__(self, target: Callable[[], None], name: str = "amzv-form-run") -> None:
        self._target = target
        self._lock = threading.Lock()
        self._ident: int | None = None
        self.cancel_requested = False
        context = contextvars.copy_context()
        self.thread = threading.Thread(target=context.run, args=(self._main,), name=name, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _main(self) -> None:
        try:
            with self._lock:
                self._ident = threading.get_ident()
            try:
                self._target()
            finally:
                with self._lock:
                    self._ident = None
        except KeyboardInterrupt:  # a Cancel that arrived as the call returned: nothing left to stop
            with self._lock:
                self._ident = None

    @property
    def running(self) -> bool:
        return self.thread.is_alive()

    def cancel(self) -> bool:
        """Ask the run to stop (a KeyboardInterrupt in its thread); ``False`` when it is not running."""
        with self._lock:
            if self._ident is None or self.cancel_requested:
                return False
            self.cancel_requested = True
            done = ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._ident),
                                                              ctypes.py_object(KeyboardInterrupt))
            return done == 1

    def join(self, timeout: float | None = None) -> None:
        self.thread.join(timeout)


@contextlib.contextmanager
def captured_warnings(records: list[tuple[type[Warning], str]]) -> Iterator[None]:
    """Collect the warnings this thread shows into ``records`` (category, message) instead of stderr.

    ``warnings.catch_warnings`` swaps process-wide state and is not thread-safe; this hook only
    takes the warnings shown from the thread that entered it and passes every other thread's
    (another cell running meanwhile) to the previous hook.
    """
    owner = threading.current_thread()
    previous = warnings.showwarning

    def show(message: Any, category: type[Warning], filename: str, lineno: int, file: Any = None,
             line: Any = None) -> None:
        if threading.current_thread() is owner:
            records.append((category, str(message)))
        else:
            previous(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    try:
        yield
    finally:
        if warnings.showwarning is show:
            warnings.showwarning = previous


@contextlib.contextmanager
def displays_into(output: Any) -> Iterator[None]:
    """Send what this thread displays (the progress bar) into the ``output`` widget's outputs.

    A thread started by a button click cannot use ``with output:``: the front end routes outputs
    by the clicking message, whose handler is gone by then, and drops them. ipykernel's display
    hooks are per thread, so this hook takes only this thread's displays and appends them to
    the widget's ``outputs`` (synced to the front end like any trait), as ipywidgets advises for
    threads.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        yield
        return
    publisher = getattr(get_ipython(), "display_pub", None)
    if publisher is None or not hasattr(publisher, "register_hook"):
        yield
        return

    def hook(msg: dict[str, Any]) -> dict[str, Any] | None:
        if msg.get("msg_type", msg.get("header", {}).get("msg_type")) != "display_data":
            return msg
        content = msg.get("content", {})
        output.outputs = tuple(output.outputs) + ({"output_type": "display_data", "data": content.get("data", {}),
                                                   "metadata": content.get("metadata", {})},)
        return None  # handled: not sent to the clicking message's (gone) cell

    publisher.register_hook(hook)
    try:
        yield
    finally:
        publisher.unregister_hook(hook)


def export_frame(frame: pd.DataFrame, path: str | Path, fmt: str | None = None) -> Path:
    """Write ``frame`` to ``path`` as CSV or Parquet (by ``fmt`` or the suffix), atomically; the absolute path.

    Raises
    ------
    ConfigurationError
        An empty path or a format other than csv/parquet.
    """
    text = str(path).strip()
    if not text:
        raise ConfigurationError("path is empty; enter a file name such as sales.csv", parameter="path", value=path)
    dest = Path(text).expanduser()
    kind = (fmt or dest.suffix.lstrip(".") or "csv").lower()
    if kind not in EXPORT_FORMATS:
        raise ConfigurationError(f"format={kind!r} is not allowed; use one of {', '.join(EXPORT_FORMATS)}",
                                 parameter="format", value=kind, allowed=list(EXPORT_FORMATS))
    if dest.suffix.lower() != f".{kind}":
        dest = dest.with_name(dest.name + f".{kind}")
    dest = dest.resolve()
    with atomic_write(dest) as fh:
        if kind == "csv":
            frame.to_csv(fh, index=False, encoding="utf-8")
        else:
            frame.to_parquet(fh, index=False)
    return dest
