"""The one home of ``dtype_backend``: validation and conversion (issue 15, point 2)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from amzv_pandas._parsers.arrow import DTYPE_BACKENDS, check_dtype_backend, convert_frame, frame_to_pandas
from amzv_pandas.exceptions import ConfigurationError


def _frame():
    df = pd.DataFrame({
        "asin": pd.array(["B1", None, "B3"], dtype="str"),
        "units": pd.array([1, None, 3], dtype="Int64"),
        "revenue": pd.array([1.5, None, 2.0], dtype="Float64"),
        "day": pd.to_datetime(["2024-01-01", None, "2024-01-03"]).as_unit("us").tz_localize("UTC"),
        "flag": pd.array([True, None, False], dtype="boolean"),
        "options": [{"a": 1}, {}, {"b": "x"}],
    }, index=pd.RangeIndex(10, 13))
    df.attrs["amzv"] = {"rows": 3}
    return df


def test_check_dtype_backend():
    assert check_dtype_backend(None) == "numpy_nullable"
    for b in DTYPE_BACKENDS:
        assert check_dtype_backend(b) == b
    with pytest.raises(ConfigurationError, match=r"did you mean 'pyarrow'") as err:
        check_dtype_backend("py_arrow")
    assert err.value.parameter == "dtype_backend" and "'numpy_nullable'" in str(err.value)
    for bad in ("numpy", "PyArrow ", 3, True, ["pyarrow"]):
        with pytest.raises(ConfigurationError, match="dtype_backend"):
            check_dtype_backend(bad)


def test_convert_frame():
    df = _frame()
    assert convert_frame(df, "numpy_nullable") is df
    out = convert_frame(df, "pyarrow")
    assert out.index.equals(df.index) and list(out.columns) == list(df.columns) and out.attrs == df.attrs
    assert all(isinstance(out[c].dtype, pd.ArrowDtype) for c in df.columns if c != "options")
    assert out["options"].dtype == object and out["options"].tolist() == df["options"].tolist()
    assert out["units"].isna().tolist() == [False, True, False] and out["units"].sum() == 4
    # text is not copied: the Arrow buffers of the str column are shared
    src = df["asin"].array._pa_array.chunk(0).buffers()[2]
    dst = out["asin"].array._pa_array.chunk(0).buffers()[2]
    assert src.address == dst.address
    assert df["units"].dtype == "Int64"  # the input is left alone


def test_frame_to_pandas_restores_or_maps():
    table = pa.Table.from_pandas(_frame().drop(columns="options"), preserve_index=False)
    back = frame_to_pandas(table)
    assert [str(t) for t in back.dtypes] == ["str", "Int64", "Float64", "datetime64[us, UTC]", "boolean"]
    arrow = frame_to_pandas(table, "pyarrow")
    assert all(isinstance(t, pd.ArrowDtype) for t in arrow.dtypes)
