"""Arrow helpers the document parsers share: the accepted sources, timestamp types, to pandas."""

from __future__ import annotations

import os
from typing import IO, Any, Union

import pandas as pd
import pyarrow as pa

from amzv_pandas._specs.registry import STR_DTYPE

__all__ = ["Source", "UTC_TS", "NAIVE_TS", "is_path", "types_mapper", "to_pandas"]

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


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """``table`` as a frame with the library's dtypes."""
    # self_destruct frees each Arrow column once converted: lower peak memory.
    return table.to_pandas(types_mapper=types_mapper, split_blocks=True, self_destruct=True)
