"""One set of argument checks for every public function (no API call, no side effect).

Each check returns the value normalised (a stripped string, a list, a float...) or raises
:class:`~amzv_pandas.exceptions.ConfigurationError` with ``parameter``, ``value`` and
``allowed`` set and a message of the same shape everywhere::

    timeout=-1 must be a positive number of seconds or None; allowed: a number > 0

so that a wrong value never reaches Amazon (where it costs a call, or a createReport) and
never fails later with a raw ``TypeError`` from pandas or the standard library.
"""

from __future__ import annotations

import difflib
import math
import numbers
import os
import re
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ..exceptions import CachePathError, ConfigurationError

__all__ = [
    "shown",
    "invalid",
    "did_you_mean",
    "check_bool",
    "check_int",
    "check_number",
    "check_choice",
    "check_str",
    "check_str_list",
    "check_mapping_of_str",
    "check_path",
    "check_writable_dir",
    "check_readable_dir",
]

#: Longest path component most file systems accept (ext4, APFS, NTFS: 255 bytes/units).
MAX_NAME_BYTES = 255
#: Longest path Linux accepts (PATH_MAX less the terminating NUL).
MAX_PATH_BYTES = 4095


def shown(value: Any, limit: int = 80) -> str:
    """``repr(value)``, shortened so a 10 MB string does not end up in a message."""
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__ must not hide the real error
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _allowed_text(allowed: Any) -> str:
    if isinstance(allowed, str):
        return allowed
    if isinstance(allowed, Iterable):
        return ", ".join(repr(a) for a in allowed)
    return repr(allowed)


def invalid(parameter: str, value: Any, allowed: Any, why: str = "is not allowed",
            cls: type[ConfigurationError] = ConfigurationError, **extra: Any) -> ConfigurationError:
    """The error every check raises: ``{parameter}={value!r} {why}; allowed: {allowed}``."""
    msg = f"{parameter}={shown(value)} {why}; allowed: {_allowed_text(allowed)}"
    return cls(msg, parameter=parameter, value=value, allowed=allowed, **extra)


def did_you_mean(value: Any, choices: Iterable[str], n: int = 3) -> list[str]:
    """Close matches of ``value`` among ``choices`` (case-insensitive), best first."""
    if not isinstance(value, str):
        return []
    by_upper = {c.upper(): c for c in choices}
    return [by_upper[m] for m in difflib.get_close_matches(value.strip().upper(), list(by_upper), n=n, cutoff=0.6)]


def check_bool(value: Any, parameter: str) -> bool:
    """``True`` or ``False`` (numpy booleans too); ``"no"``, ``0`` or ``None`` are refused."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    raise invalid(parameter, value, [True, False], "must be True or False")


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) \
        and type(value).__name__ != "bool_"


def check_int(value: Any, parameter: str, *, min: int | None = None, max: int | None = None,
              allow_none: bool = False) -> int | None:
    """A whole number in ``[min, max]`` (``None`` if ``allow_none``)."""
    if value is None and allow_none:
        return None
    bounds = (f"an int >= {min}" if max is None else f"an int from {min} to {max}") if min is not None \
        else (f"an int <= {max}" if max is not None else "an int")
    allowed = bounds + (" or None" if allow_none else "")
    if not _is_int(value):
        raise invalid(parameter, value, allowed, "must be a whole number")
    number = int(value)
    if (min is not None and number < min) or (max is not None and number > max):
        raise invalid(parameter, value, allowed, "is out of range")
    return number


def check_number(value: Any, parameter: str, *, min: float | None = None, max: float | None = None,
                 exclusive_min: bool = False, allow_none: bool = False, what: str = "a number") -> float | None:
    """A finite real number above ``min`` (strictly with ``exclusive_min``) and up to ``max``."""
    if value is None and allow_none:
        return None
    parts = []
    if min is not None:
        parts.append(f"{'>' if exclusive_min else '>='} {min:g}")
    if max is not None:
        parts.append(f"<= {max:g}")
    allowed = f"{what} {' and '.join(parts)}".strip() + (" or None" if allow_none else "")
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or type(value).__name__ == "bool_":
        raise invalid(parameter, value, allowed, f"must be {what}")
    number = float(value)
    if not math.isfinite(number):
        raise invalid(parameter, value, allowed, "must be finite" + (" (None means no limit)" if allow_none else ""))
    if min is not None and (number <= min if exclusive_min else number < min):
        raise invalid(parameter, value, allowed, "is out of range")
    if max is not None and number > max:
        raise invalid(parameter, value, allowed, "is out of range")
    return number


def check_choice(value: Any, parameter: str, choices: Sequence[Any], *, case_insensitive: bool = True) -> Any:
    """One of ``choices``, returned in its canonical spelling; a close string is suggested."""
    for choice in choices:
        if value is choice or (not isinstance(value, (bool, str)) and not isinstance(choice, (bool, str))
                               and value == choice):
            return choice
        if isinstance(value, str) and isinstance(choice, str):
            if value.strip() == choice or (case_insensitive and value.strip().lower() == choice.lower()):
                return choice
    close = did_you_mean(value, [c for c in choices if isinstance(c, str)])
    why = "is not allowed" + (f" (did you mean {close[0]!r}?)" if close else "")
    raise invalid(parameter, value, list(choices), why)


def check_str(value: Any, parameter: str, *, pattern: str | re.Pattern[str] | None = None,
              allowed: str = "a non-empty string", allow_none: bool = False,
              max_length: int | None = None) -> str | None:
    """A non-empty string (stripped), matching ``pattern`` when given."""
    if value is None and allow_none:
        return None
    text_allowed = allowed + (" or None" if allow_none else "")
    if not isinstance(value, str):
        raise invalid(parameter, value, text_allowed, "must be a string")
    text = value.strip()
    if not text:
        raise invalid(parameter, value, text_allowed, "is empty")
    if max_length is not None and len(text) > max_length:
        raise invalid(parameter, value, text_allowed, f"is {len(text)} characters long (at most {max_length})")
    if pattern is not None and not re.fullmatch(pattern, text):
        raise invalid(parameter, value, text_allowed, "does not have the expected form")
    return text


def check_str_list(value: Any, parameter: str, *, split: bool = True, min_items: int = 1,
                   max_items: int | None = None, allow_none: bool = False,
                   what: str = "a string") -> list[str] | None:
    """A string (comma-separated when ``split``) or an iterable of strings, deduplicated in order.

    Elements must be strings: ``[1, 2]`` or ``[None]`` are refused rather than sent as "1,2".
    """
    if value is None and allow_none:
        return None
    count = f"{min_items} to {max_items}" if max_items is not None else f"at least {min_items}"
    allowed = f"{what} or a list of {count} of them" + (" or None" if allow_none else "")
    if isinstance(value, str):
        items = [p.strip() for p in value.split(",")] if split else [value.strip()]
        items = [p for p in items if p]
    elif isinstance(value, (bytes, bytearray, Mapping)) or not isinstance(value, Iterable):
        raise invalid(parameter, value, allowed, "must be a string or a list of strings")
    else:
        items = []
        for item in value:
            if not isinstance(item, str):
                raise invalid(parameter, value, allowed, f"holds {shown(item, 40)}, which is not a string")
            if item.strip():
                items.append(item.strip())
    out = list(dict.fromkeys(items))
    if len(out) < min_items:
        raise invalid(parameter, value, allowed, "is empty" if not out else f"holds fewer than {min_items}")
    if max_items is not None and len(out) > max_items:
        raise invalid(parameter, value, allowed, f"holds {len(out)} values (at most {max_items})")
    return out


def check_mapping_of_str(value: Any, parameter: str, *, allowed_keys: Sequence[str] | None = None,
                         allow_none: bool = True) -> dict[str, Any]:
    """A mapping whose keys are non-empty strings (``None`` -> ``{}``); values are the caller's to check."""
    if value is None and allow_none:
        return {}
    allowed = "a mapping of option name to value, e.g. {'reportPeriod': 'DAY'}"
    if allowed_keys:
        allowed += f" (names: {', '.join(allowed_keys)})"
    if not isinstance(value, Mapping):
        raise invalid(parameter, value, allowed, f"must be a mapping, not {type(value).__name__}")
    for key in value:
        if not isinstance(key, str) or not key.strip():
            raise invalid(parameter, value, allowed, f"has the key {shown(key, 40)}, which is not a name")
    return dict(value)


# --------------------------------------------------------------------------------------------
# paths


def check_path(value: Any, parameter: str) -> Path:
    """A usable path: a str or path-like without NUL, no component over 255 bytes (not touched)."""
    allowed = "a directory path (str or os.PathLike)"
    if isinstance(value, bool) or not isinstance(value, (str, os.PathLike)):
        raise invalid(parameter, value, allowed, "must be a path", cls=CachePathError)
    try:
        text = os.fspath(value)
    except TypeError:
        raise invalid(parameter, value, allowed, "must be a path", cls=CachePathError) from None
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if not text.strip():
        raise invalid(parameter, value, allowed, "is empty", cls=CachePathError)
    if "\0" in text:
        raise invalid(parameter, value, allowed, "holds a NUL character", cls=CachePathError)
    path = Path(text).expanduser()
    raw = os.fsencode(str(path))
    if len(raw) > MAX_PATH_BYTES:
        raise invalid(parameter, value, allowed, f"is {len(raw)} bytes long (at most {MAX_PATH_BYTES})",
                      cls=CachePathError)
    for part in path.parts:
        size = len(os.fsencode(part))
        if size > MAX_NAME_BYTES:
            why = f"has a component of {size} bytes ({shown(part, 40)}); file systems allow {MAX_NAME_BYTES}"
            raise invalid(parameter, value, allowed, why, cls=CachePathError)
    return path


def _nearest_existing(path: Path) -> Path:
    here = path.absolute()
    while not here.exists() and here.parent != here:
        here = here.parent
    return here


def check_writable_dir(value: Any, parameter: str) -> Path:
    """A directory that exists and is writable, or could be created (nothing is created here).

    Raises :class:`~amzv_pandas.exceptions.CachePathError` for a NUL or an over-long
    component, a path that is (or lies under) a file, and a directory the process may not
    write to: the checks run before any report is created, so a bad path never costs one.
    """
    path = check_path(value, parameter)
    allowed = "a writable directory (or one that can be created)"
    try:
        base = _nearest_existing(path)
        if not base.is_dir():
            where = "is a file" if base == path.absolute() else f"lies under {str(base)!r}, which is a file"
            raise invalid(parameter, value, allowed, where, cls=CachePathError)
        if not os.access(base, os.W_OK | os.X_OK):
            where = "is not writable" if base == path.absolute() else f"cannot be created: {str(base)!r} is not writable"
            raise invalid(parameter, value, allowed, where, cls=CachePathError)
    except OSError as exc:  # e.g. a component the OS still refuses, or a permission error on stat
        raise invalid(parameter, value, allowed, f"cannot be used ({exc.strerror or exc})", cls=CachePathError) \
            from None
    return path


def check_readable_dir(value: Any, parameter: str) -> Path:
    """A path to read a directory from: not a file, readable if it exists (it may not exist)."""
    path = check_path(value, parameter)
    allowed = "a readable directory"
    try:
        if path.exists():
            if not path.is_dir():
                raise invalid(parameter, value, allowed, "is a file", cls=CachePathError)
            if not os.access(path, os.R_OK | os.X_OK):
                raise invalid(parameter, value, allowed, "is not readable", cls=CachePathError)
        else:
            base = _nearest_existing(path)
            if not base.is_dir():
                raise invalid(parameter, value, allowed, f"lies under {str(base)!r}, which is a file",
                              cls=CachePathError)
    except OSError as exc:
        raise invalid(parameter, value, allowed, f"cannot be used ({exc.strerror or exc})", cls=CachePathError) \
            from None
    return path
