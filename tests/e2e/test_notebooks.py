"""The example notebooks: saved with the outputs of one clean run, and each runs top to bottom against the sandbox."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
NAMES = ["01_quickstart", "02_vendor_sales", "03_report_form", "04_backfill", "05_many_accounts",
         "06_vendor_analytics"]


def test_every_notebook_is_listed() -> None:
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == NAMES


#: What a secret looks like in any output: LWA refresh/access tokens, a client secret, a
#: presigned URL's signature, or an OAuth field with a value.
SECRET = re.compile(r"Atz[ra]\||amzn1\.oa2-cs\.|X-Amz-Signature=|Signature=[0-9a-f]{16}"
                    r"|(client_secret|refresh_token|access_token)['\"]?\s*[:=]\s*['\"]?[^'\"\s,}*]{6}")


@pytest.mark.parametrize("name", NAMES)
def test_saved_with_the_outputs_of_one_clean_run_and_no_secret(name: str) -> None:
    # Saved by ``python tools/save_notebooks.py``: they read on GitHub with their outputs.
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    # one run, top to bottom, in a fresh kernel: execution counts 1, 2, 3...
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    outputs = [o for c in code for o in c.outputs]
    assert outputs and not [o for o in outputs if o.output_type == "error"]
    # one switch to a real account, on by default for the sandbox
    assert any("USE_SANDBOX = True" in c.source for c in code)
    text = (NOTEBOOKS / f"{name}.ipynb").read_text()
    assert not SECRET.search(text), SECRET.search(text)
    # no path of the machine that saved them (a temporary dataset folder tells nothing)
    assert not re.search(r"/(home|root|Users|work)/", text), re.search(r".{60}/(home|root|Users|work)/.{40}", text)


def test_the_secret_pattern_catches_what_it_must() -> None:
    for leak in ("Atzr|IwEBIA", "Atza|IwEBIA", "amzn1.oa2-cs.v1.abc", "?X-Amz-Signature=abc",
                 "'client_secret': 'abcdef123'", "refresh_token=abcdefgh"):
        assert SECRET.search(leak), leak
    for fine in ("client_secret=***", "refresh_token: '***'", "an access token is refreshed"):
        assert not SECRET.search(fine), fine


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
    # No stray repr of a matplotlib artist (``Text(0, 0.5, '')``) printed under a chart.
    plain = [o.get("data", {}).get("text/plain", "") for o in outputs if o.output_type == "execute_result"]
    assert not [t for t in plain if re.match(r"\[?<?(Text|Line2D|matplotlib)\b", t)], plain
    if name == "02_vendor_sales":
        assert "image/png" in rendered  # the charts
        # The weekly table holds whole Sunday–Saturday weeks only, each labelled by its (past) Sunday.
        (cell,) = [c for c in nb.cells if c.cell_type == "code" and c.source.rstrip().endswith("\nweekly")]
        (table,) = [o.data["text/plain"] for o in cell.outputs if o.output_type == "execute_result"]
        weeks = [dt.date.fromisoformat(d) for d in re.findall(r"^(\d{4}-\d{2}-\d{2})", table, re.M)]
        assert len(weeks) >= 10, table
        assert all(w.weekday() == 6 and w + dt.timedelta(days=6) < dt.date.today() for w in weeks), weeks
        assert [b - a for a, b in zip(weeks, weeks[1:])] == [dt.timedelta(days=7)] * (len(weeks) - 1)
    if name == "04_backfill":
        assert "SyncResult" in rendered and "image/png" in rendered
        # the third run, with nothing to do, shows no empty "0/0" progress bar
        state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
        bars = [str(w["state"].get("value", "")) for w in state.values() if w["model_name"] == "HTMLModel"]
        assert bars and not [b for b in bars if re.search(r"(?<!\d)0/0(?!\d)", b)], bars
        # the first run fetched the month, the second resumed with only the 30 older days, the third nothing
        added = {run: int(n) for run, n in re.findall(r"(first|second|third) run: (\d+) days added", rendered)}
        assert added["first"] > 0 and added["second"] == 30 and added["third"] == 0, added
    if name == "05_many_accounts":
        # six account × marketplace pairs synced into the one dataset, queried by DuckDB, charted
        assert "image/png" in rendered and rendered.count("complete, 57 days added") == 6
        (query,) = [c for c in nb.cells if c.cell_type == "code" and "duckdb.sql" in c.source]
        (table,) = [o.data["text/plain"] for o in query.outputs if o.output_type == "execute_result"]
        assert "sandbox-1" in table and "shipped_units" in table
    if name == "01_quickstart":
        assert "API calls for the second read: 0" in rendered
        cells = {key: [c for c in nb.cells if c.cell_type == "code" and key in c.source]
                 for key in ("report_types()", "cache_info()")}
        # the report types' useful columns, none of them cut short with "..."
        (types,) = [o.data["text/html"] for o in cells["report_types()"][0].outputs if "data" in o]
        assert "GET_VENDOR_SALES_REPORT" in types and "publication_lag_hours" in types
        assert "..." not in types and "\u2026" not in types
        # the cache's sizes read as KiB/MiB, not raw bytes
        (cache,) = [o.data["text/plain"] for o in cells["cache_info()"][0].outputs
                    if o.output_type == "execute_result"]
        assert re.search(r"\d(\.\d)? (B|KiB|MiB|GiB)\b", cache), cache


# ---------------------------------------------------------------------------- the set-up


def test_readme_has_a_notebook_setup_and_the_extra_brings_what_they_import() -> None:
    tomllib = pytest.importorskip("tomllib")
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    assert any('pip install ".[notebook]"' in b and "jupyter lab notebooks/" in b for b in blocks), blocks
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {re.match(r"[A-Za-z0-9_.-]+", r).group(0).lower()
             for r in project["dependencies"] + project["optional-dependencies"]["notebook"]}
    assert {"ipywidgets", "ipykernel", "matplotlib", "jupyterlab"} <= names, names
    assert "jupyterlab>=4" in project["optional-dependencies"]["notebook"]
    # every third-party module a notebook imports is a dependency or in the extra
    distribution = {"IPython": "ipykernel", "amzv_pandas": "amzv_pandas"}  # IPython comes with ipykernel
    names.add("amzv_pandas")
    for path in NOTEBOOKS.glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            for module in re.findall(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", cell.source, re.M):
                if module in sys.stdlib_module_names:
                    continue
                assert distribution.get(module, module).lower() in names, (path.name, module)


def test_form_without_ipywidgets_is_one_line_naming_the_extra() -> None:
    # A finder that refuses ipywidgets, as on a machine where it was never installed.
    code = (
        "import importlib.abc, sys\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'ipywidgets':\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import amzv_pandas as amzv\n"
        "amzv.ReportForm\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: ") and "pip install 'amzv_pandas[notebook]'" in last, done.stderr
    # raised from None: no chained "During handling..."/"direct cause" traceback of ipywidgets' own
    assert "ModuleNotFoundError" not in done.stderr and "direct cause" not in done.stderr, done.stderr
