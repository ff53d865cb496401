"""Scenario 5 — import cost: ``python -c "import amzv_pandas"`` vs ``python -c "import pandas"``.

Each is a fresh process; the parent times spawn to exit (interpreter start-up is in both).
One untimed warm-up of each first (bytecode caches), then the two alternate.
Target: amzv_pandas ≤ 1.25× pandas (wall, median).
"""

from __future__ import annotations

from _harness import PYTHON, REPORT_SNIPPET, Row, alternate, median, run_child

NAME = "import"
TITLE = "import amzv_pandas vs import pandas (fresh processes)"
REPEATS = {"small": 3, "full": 15}


def run(size: str, log) -> tuple[list[Row], list[str]]:
    # The appended statement only reads /proc/self/status (peak RSS); both pay it.
    cmds = {"import amzv_pandas": "import amzv_pandas;" + REPORT_SNIPPET,
            "import pandas": "import pandas;" + REPORT_SNIPPET}
    contenders = {name: (lambda code=code: run_child([PYTHON, "-c", code], timeout=120))
                  for name, code in cmds.items()}
    for fn in contenders.values():  # warm-up: compile .pyc, fill the page cache
        fn()
    res = alternate(contenders, REPEATS[size], log=lambda m: None)
    ours = median(r.wall for r in res["import amzv_pandas"])
    base = median(r.wall for r in res["import pandas"])
    log(f"    import amzv_pandas {ours:.3f} s, import pandas {base:.3f} s (medians of {REPEATS[size]})")
    rss_ours = median(r.peak_rss for r in res["import amzv_pandas"])
    rss_base = median(r.peak_rss for r in res["import pandas"])
    rows = [
        Row(NAME, "wall, amzv_pandas vs pandas", ours, base, "s", "<=", 1.25),
        Row(NAME, "peak RSS, amzv_pandas vs pandas", rss_ours, rss_base, "MiB", None, None),
    ]
    return rows, []
