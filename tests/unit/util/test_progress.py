"""The shared progress bar of many-marketplace and many-account calls."""

from __future__ import annotations

import pytest

from amzv_pandas._util.progress import SharedProgress


def test_a_notebook_bar_grows_with_the_windows_its_parts_add() -> None:
    pytest.importorskip("ipywidgets")
    shared = SharedProgress("tqdm_notebook", desc="GET_VENDOR_SALES_REPORT")
    try:
        us, ca = shared.part("US"), shared.part("CA")
        us.add_total(1)
        ca.add_total(1)
        widget = shared.bar.container.children[1]
        # built for an unknown total (a 20px "info" stub), it must now count 2 windows
        assert shared.bar.total == 2 and widget.max == 2 and widget.bar_style == ""
        assert widget.layout.width is None
    finally:
        shared.close()
