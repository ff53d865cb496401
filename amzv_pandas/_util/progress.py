"""One progress-bar factory for every long operation.

``progress_bar_type`` is ``"auto"`` (tqdm.auto: a widget bar in notebooks,
text elsewhere), ``"tqdm"`` (text), ``"tqdm_notebook"`` (widget), ``None``
(silent), or any object with ``update``/``close`` methods.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal, Protocol, Union, runtime_checkable

from ..exceptions import ConfigurationError, ProgressBarWarning

__all__ = ["ProgressBar", "ProgressBarType", "get_progress_bar", "validate_progress_bar_type"]


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
