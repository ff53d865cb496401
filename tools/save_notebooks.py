"""Run every notebook in ``notebooks/`` top to bottom against the built-in sandbox and save it
with its outputs, so they read on GitHub.

    python tools/save_notebooks.py [NAME ...]

Each runs in a fresh kernel, in a temporary working directory, with its own empty cache and
config directories (``AMZV_CACHE_DIR``/``AMZV_CONFIG_DIR``), as a new user's machine would be.
``tests/e2e/test_notebooks.py`` checks the saved outputs hold no secret and came from one clean
run; the suite still executes every notebook from clean.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbclient
import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def save(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="amzv-nb-") as tmp:
        env = {"AMZV_CACHE_DIR": os.path.join(tmp, "cache"), "AMZV_CONFIG_DIR": os.path.join(tmp, "config")}
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                    resources={"metadata": {"path": tmp}}).execute()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    nbformat.validate(nb)
    nbformat.write(nb, path)
    print(f"saved {path.name}")


def main(names: list[str]) -> int:
    paths = [NOTEBOOKS / f"{n.removesuffix('.ipynb')}.ipynb" for n in names] or sorted(NOTEBOOKS.glob("*.ipynb"))
    for path in paths:
        save(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
