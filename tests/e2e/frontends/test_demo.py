"""`amzv demo`, the README's main job, end to end against the built-in sandbox."""

import io
import sys

from amzv_pandas._frontends.cli import main


def test_demo_prints_sales_dtypes_cache_and_catalog(capsys):
    assert main(["demo", "--speed", "500"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "ATVPDKIKX0DER" in out and "A1PA6795UKMFR9" in out  # the marketplace table
    assert "Vendor sales by ASIN, the last 7 available days" in out
    assert "shippedRevenue_amount" in out and "Float64" in out and "Int64" in out  # the dtypes
    assert "cached report document:" in out
    assert "0 API calls, from_cache=True" in out  # the second read came from the cache
    assert "Catalog search" in out and "enrich" in out
    assert "'createReport': 1" in out and "'token': 1" in out
    # stderr is captured (not a terminal): no tqdm frames, one plain line per finished step
    err = captured.err
    assert "\r" not in err and "%|" not in err and "it/s" not in err
    lines = err.splitlines()
    assert lines and all(line.startswith("amzv demo: ") and " done (" in line for line in lines)
    assert any("GET_VENDOR_SALES_REPORT" in line for line in lines) and any("enrich" in line for line in lines)
    # it ends with how to point it at a real account and where the notebooks are
    tail = out[out.rindex("Next steps"):]
    assert "amzv authorize" in tail and "AMZV_PROFILE" in tail and "notebooks/" in tail


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_demo_shows_bars_on_a_terminal(capsys, monkeypatch):
    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert main(["demo", "--speed", "500"]) == 0
    err = term.getvalue()
    assert "%|" in err or "\r" in err  # tqdm drew its bars
    assert "amzv demo: " not in err  # and no step lines on top of them
