"""Arrow helpers the document parsers share: the accepted sources, timestamp types, to pandas.

Also the one home of ``dtype_backend`` (as pandas' own readers take it): :func:`check_dtype_backend`
validates the value every frame-returning function accepts, :func:`to_pandas` /
:func:`frame_to_pandas` convert Arrow data by it, and :func:`convert_frame` converts a frame
built another way.
"""

from __future__ import annotations

import os
from typing import IO, Any, Union

import pandas as pd
import pyarrow as pa

from amzv_pandas._specs.registry import STR_DTYPE
from amzv_pandas.exceptions import ConfigurationError

__all__ = ["Source", "UTC_TS", "NAIVE_TS", "DTYPE_BACKENDS", "check_dtype_backend", "convert_frame",
           "frame_to_pandas", "is_path", "types_mapper", "to_pandas"]

#: What ``dtype_backend`` accepts, as in ``pandas.read_csv``/``read_parquet``.
DTYPE_BACKENDS = ("numpy_nullable", "pyarrow")

#: What a parser reads: bytes, a path, or a binary file-like object.
Source = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]", IO[bytes]]

UTC_TS = pa.timestamp("us", tz="UTC")
NAIVE_TS = pa.timestamp("us")


def is_path(source: Any) -> bool:
    """Whether ``source`` names a file (rather than holding the bytes)."""
    return isinstance(source, (str, os.PathLike))


def types_mapper(t: pa.DataType) -> Any:
    """Arrow -> pandas dtypes: nullable Int64/Float64/boolean and the default ``str``."""
    if pa.types.is_integer(t):
        return pd.Int64Dtype()
    if pa.types.is_floating(t):
        return pd.Float64Dtype()
    if pa.types.is_boolean(t):
        return pd.BooleanDtype()
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return STR_DTYPE
    return None  # timestamps and the rest: pyarrow's own conversion


def check_dtype_backend(dtype_backend: Any) -> str:
    """Validate ``dtype_backend`` (``None`` means ``"numpy_nullable"``); returns the value to use.

    Raises
    ------
    ConfigurationError
        Naming ``dtype_backend``, the value given and the two allowed values (with a did-you-mean).
    """
    if dtype_backend is None:
        return "numpy_nullable"
    if isinstance(dtype_backend, str) and dtype_backend in DTYPE_BACKENDS:
        return dtype_backend
    import difflib

    allowed = ", ".join(repr(b) for b in DTYPE_BACKENDS)
    close = difflib.get_close_matches(str(dtype_backend).lower(), DTYPE_BACKENDS, n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    msg = f"dtype_backend={dtype_backend!r} is not a dtype backend; use one of {allowed}{hint}"
    raise ConfigurationError(msg, parameter="dtype_backend", value=dtype_backend, allowed=allowed)


def to_pandas(table: pa.Table, dtype_backend: str = "numpy_nullable") -> pd.DataFrame:
    """``table`` (fresh from a parser) as a frame with the library's dtypes, or ``pd.ArrowDtype`` columns."""
    # self_destruct frees each Arrow column once converted: lower peak memory.
    mapper = pd.ArrowDtype if dtype_backend == "pyarrow" else types_mapper
    return table.to_pandas(types_mapper=mapper, split_blocks=True, self_destruct=True)


def frame_to_pandas(table: pa.Table, dtype_backend: str = "numpy_nullable") -> pd.DataFrame:
    """A table that carries pandas metadata (a cached frame) back to pandas.

    ``"numpy_nullable"`` restores the dtypes the frame had; ``"pyarrow"`` maps every column to
    ``pd.ArrowDtype``, which wraps the Arrow buffers without copying them (from a memory-mapped
    cache file, no byte is copied).
    """
    if dtype_backend == "pyarrow":
        return table.to_pandas(types_mapper=pd.ArrowDtype, split_blocks=True)
    return table.to_pandas(split_blocks=True)


def convert_frame(frame: pd.DataFrame, dtype_backend: str = "numpy_nullable") -> pd.DataFrame:
    """``frame`` with ``dtype_backend``'s dtypes (a no-op for ``"numpy_nullable"``, the library's default).

    ``"pyarrow"``: every column Arrow can hold becomes ``pd.ArrowDtype`` (text columns keep
    their Arrow buffers: no copy); object columns (dicts, lists) stay as they are. The index,
    the column order and ``attrs`` are kept.
    """
    if dtype_backend != "pyarrow":
        return frame
    out = frame.copy(deep=False)
    for i in range(frame.shape[1]):
        col = frame.iloc[:, i]
        if isinstance(col.dtype, pd.ArrowDtype) or col.dtype == object:
            continue
        try:
            arr = pa.array(col, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):  # pragma: no cover - kept as is
            continue
        out.isetitem(i, pd.Series(pd.arrays.ArrowExtensionArray(arr), index=frame.index, name=col.name))
    out.attrs = dict(frame.attrs)
    return out
