"""`amzv demo`, the README's main job, end to end against the built-in sandbox."""

from amzv_pandas._frontends.cli import main


def test_demo_prints_sales_dtypes_cache_and_catalog(capsys):
    assert main(["demo", "--speed", "500"]) == 0
    out = capsys.readouterr().out
    assert "ATVPDKIKX0DER" in out and "A1PA6795UKMFR9" in out  # the marketplace table
    assert "Vendor sales by ASIN, the last 7 available days" in out
    assert "shippedRevenue_amount" in out and "Float64" in out and "Int64" in out  # the dtypes
    assert "cached report document:" in out
    assert "0 API calls, from_cache=True" in out  # the second read came from the cache
    assert "Catalog search" in out and "enrich" in out
    assert "'createReport': 1" in out and "'token': 1" in out
