"""The example notebooks: saved clean, and each runs top to bottom against the sandbox."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = ["01_quickstart", "02_vendor_sales", "03_report_form", "04_backfill"]


def test_every_notebook_is_listed() -> None:
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_saved_without_outputs_or_widget_state(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
    assert "widgets" not in nb.metadata
    # one switch to a real account, on by default for the sandbox
    assert any("USE_SANDBOX = True" in c.source for c in code)
    text = (NOTEBOOKS / f"{name}.ipynb").read_text()
    assert "refresh_token" not in text and "client_secret" not in text


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs(name: str, tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}},
    )
    # Kernel "python3" is ipykernel's spec, argv "python -m ipykernel_launcher": jupyter_client
    # runs it with sys.executable, i.e. this venv's python (amzv_pandas installed). The kernel
    # inherits the environment, so conftest's AMZV_CACHE_DIR/AMZV_CONFIG_DIR isolate it too.
    assert sys.executable
    client.execute()  # raises CellExecutionError, with the cell and its traceback, on any failure
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code")
    rendered = json.dumps(outputs)
    # No secret of the sandbox account (client secret "amzn1.oa2-cs.v1...", refresh token "Atzr|...")
    # anywhere in the executed notebook, widget state included (nbclient saves it in the metadata).
    executed = nbformat.writes(nb)
    assert "amzn1.oa2-cs." not in executed and "Atzr|" not in executed
    if name == "03_report_form":
        assert "application/vnd.jupyter.widget-view+json" in rendered  # the form displayed as a widget
        state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
        assert any(w["model_name"] == "ButtonModel" and w["state"].get("description") == "Run"
                   for w in state.values())
        assert "amzv.read_report(report_type='GET_VENDOR_SALES_REPORT'" in rendered  # to_code() printed
    if name == "02_vendor_sales":
        assert "image/png" in rendered  # the charts
    if name == "04_backfill":
        assert "SyncResult" in rendered and "image/png" in rendered
        # the first run fetched the month, the second resumed with only the 30 older days, the third nothing
        import re

        added = {run: int(n) for run, n in re.findall(r"(first|second|third) run: (\d+) days added", rendered)}
        assert added["first"] > 0 and added["second"] == 30 and added["third"] == 0, added
    if name == "01_quickstart":
        assert "API calls for the second read: 0" in rendered
