"""The benchmark scripts must keep running: `benchmarks/run.py --size small` end to end.

Only the shape of the results is checked (every scenario present, numeric ratios); never
whether a target passes and never any timing: that is what `--size full` and
benchmarks/README.md are for.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "benchmarks" / "run.py"


@pytest.mark.slow
def test_run_small(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, str(RUN), "--size", "small", "--json", str(out), "--quiet"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    results = json.loads(out.read_text())

    sys.path.insert(0, str(RUN.parent))
    try:
        from run import SCENARIOS
    finally:
        sys.path.remove(str(RUN.parent))
    assert results["size"] == "small"
    assert set(results["scenarios"]) == set(SCENARIOS)
    for name, scenario in results["scenarios"].items():
        assert scenario["error"] is None, f"{name} crashed:\n{scenario['error']}"
        rows = scenario["rows"]
        measured = [r for r in rows if r["status"] != "skipped"]
        assert measured, f"{name} produced no measured row"
        for row in rows:
            assert row["status"] in ("pass", "FAIL", "info", "skipped"), row
            if row["status"] == "skipped":
                continue  # e.g. python-amazon-sp-api not installed: the note says so
            assert isinstance(row["ratio"], (int, float)) and math.isfinite(row["ratio"]), row
            assert isinstance(row["ours"], (int, float)) and isinstance(row["baseline"], (int, float)), row
    assert "scenario" in proc.stdout and "ratio" in proc.stdout  # the printed table
