"""The synced dataset read as-is by the engines users reach for next: the same rows as read_synced,
with the partition columns (account str, marketplace_id str, day date).

One dataset (two sandbox accounts × US and CA, 20 days) is written once for the module; each engine
reads the folder with its own Hive-partitioning reader and the rows are compared with
``amzv.read_synced``'s. Spark runs in one local session for the module (``tests/java_setup.sh``
installs a JRE where ``java`` is missing; without one, only the Spark test skips).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pandas as pd
import pytest

import amzv_pandas as amzv

TRAFFIC = "GET_VENDOR_TRAFFIC_REPORT"
US, CA = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"
# The engines' own deprecation notes about pandas 3 (dask's reset_index, pyspark's version check).
pytestmark = [pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index"),
              pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")]

#: What every engine's frame is compared on: the partitions, then the rows' own columns.
COLUMNS = ["account", "marketplace_id", "day", "startDate", "asin", "glanceViews", "reportPeriod"]


@pytest.fixture(scope="module")
def dataset(make_sandbox, tmp_path_factory):
    root = tmp_path_factory.mktemp("engines") / "traffic"
    old = os.environ.get("AMZV_POLL_INTERVAL")
    os.environ["AMZV_POLL_INTERVAL"] = "0.02"
    try:
        sb = make_sandbox(speed=500, processing_seconds=0.2, accounts=2)
        r = amzv.sync(TRAFFIC, root, start="today-60", end="today-41", marketplace=["US", "CA"],
                      accounts=sb.clients(), progress_bar_type=None)
    finally:
        os.environ.pop("AMZV_POLL_INTERVAL") if old is None else os.environ.__setitem__("AMZV_POLL_INTERVAL", old)
    assert r.status == "complete" and len(r.pairs) == 4
    return root


@pytest.fixture(scope="module")
def expected(dataset) -> pd.DataFrame:
    df = amzv.read_synced(dataset)
    assert set(df["account"]) == {"sandbox-1", "sandbox-2"} and set(df["marketplaceId"]) == {US, CA}
    # The day partition of a row is its startDate's day: the engines' day (from the path) is compared with it.
    df = df.assign(marketplace_id=df["marketplaceId"], day=df["startDate"].dt.date)
    return normalize(df)


def normalize(df: pd.DataFrame) -> pd.DataFrame:
    """The compared columns with plain dtypes, in one row order (engines differ in both)."""
    out = pd.DataFrame({
        "account": df["account"].astype(str), "marketplace_id": df["marketplace_id"].astype(str),
        "day": pd.to_datetime(pd.Series(df["day"]).astype(str)).dt.date,
        "startDate": pd.to_datetime(df["startDate"]).astype("datetime64[us]"),
        "asin": df["asin"].astype(str), "glanceViews": df["glanceViews"].astype("Int64"),
        "reportPeriod": df["reportPeriod"].astype(str)})
    return out.sort_values(COLUMNS[:5]).reset_index(drop=True)


def assert_same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert set(COLUMNS) <= set(got.columns)
    pd.testing.assert_frame_equal(normalize(got), expected)


def test_duckdb(dataset, expected):
    duckdb = pytest.importorskip("duckdb")
    rel = duckdb.sql(f"SELECT * FROM read_parquet('{dataset}/**/*.parquet', hive_partitioning=true)")
    types = dict(zip(rel.columns, map(str, rel.types)))
    assert (types["account"], types["marketplace_id"], types["day"]) == ("VARCHAR", "VARCHAR", "DATE")
    assert len(rel.columns) == len(set(rel.columns))  # no partition column twice
    assert_same(rel.df(), expected)
    # A query across accounts and marketplaces, as the README shows it.
    top = duckdb.sql(f"""SELECT account, marketplace_id, sum(glanceViews) AS views
                         FROM read_parquet('{dataset}/**/*.parquet', hive_partitioning=true)
                         WHERE day >= DATE '2000-01-01' GROUP BY ALL ORDER BY ALL""").df()
    assert len(top) == 4 and top["views"].sum() == expected["glanceViews"].sum()


def test_polars(dataset, expected):
    pl = pytest.importorskip("polars")
    frame = pl.scan_parquet(f"{dataset}/**/*.parquet", hive_partitioning=True).collect()
    assert (frame.schema["account"], frame.schema["marketplace_id"], frame.schema["day"]) == (
        pl.String, pl.String, pl.Date)
    assert_same(frame.to_pandas(), expected)


def test_pyarrow_dataset(dataset, expected):
    import pyarrow as pa
    import pyarrow.dataset as ds

    # Hive flavour as it is: the partition values are read as text...
    plain = ds.dataset(dataset, format="parquet", partitioning="hive")
    assert plain.schema.field("account").type == pa.string() and plain.schema.field("day").type == pa.string()
    assert_same(plain.to_table().to_pandas(), expected)
    # ...and typed with the partition schema (the README's form): day a date.
    schema = pa.schema([("account", pa.string()), ("marketplace_id", pa.string()), ("day", pa.date32())])
    typed = ds.dataset(dataset, format="parquet", partitioning=ds.partitioning(schema, flavor="hive"))
    table = typed.to_table(filter=ds.field("account") == "sandbox-2")
    assert table.schema.field("day").type == pa.date32()
    assert_same(table.to_pandas(), expected[expected["account"] == "sandbox-2"].reset_index(drop=True))


def test_dask(dataset, expected):
    dd = pytest.importorskip("dask.dataframe")
    import pyarrow as pa

    frame = dd.read_parquet(dataset)  # partition columns come back as categoricals of the path's values
    assert {"account", "marketplace_id", "day"} <= set(frame.columns)
    assert_same(frame.compute(), expected)
    schema = pa.schema([("account", pa.string()), ("marketplace_id", pa.string()), ("day", pa.date32())])
    typed = dd.read_parquet(dataset, dataset={"partitioning": {"flavor": "hive", "schema": schema}})
    assert str(typed.dtypes["day"]).startswith("date32") and str(typed.dtypes["account"]) in ("string", "str")
    assert_same(typed.compute(), expected)


def _java() -> str | None:
    java = shutil.which("java")
    if java is None:
        return None
    try:
        subprocess.run([java, "-version"], capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return java


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    if _java() is None:
        pytest.skip("no Java runtime (tests/java_setup.sh installs one)")
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[1]").appName("amzv-engines")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC").config("spark.sql.shuffle.partitions", "1")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark(spark, dataset, expected):
    frame = spark.read.parquet(str(dataset))
    types = dict(frame.dtypes)
    assert (types["account"], types["marketplace_id"], types["day"]) == ("string", "string", "date")
    rows = [r.asDict() for r in frame.select(*COLUMNS).collect()]
    assert_same(pd.DataFrame(rows, columns=COLUMNS), expected)
    per_pair = frame.groupBy("account", "marketplace_id").count().collect()
    assert sorted((r["account"], r["marketplace_id"]) for r in per_pair) == [
        ("sandbox-1", CA), ("sandbox-1", US), ("sandbox-2", CA), ("sandbox-2", US)]

