"""The public surface, pinned; and what `import amzv_pandas` may not do."""

import json
import subprocess
import sys

import amzv_pandas as amzv

EXPECTED = {
    "__version__", "exceptions",
    "Client", "Credentials", "authorize", "get_default_client", "set_default_client", "marketplaces", "sandbox",
    "get_catalog_items", "search_catalog_items", "expand_attributes",
    "sync", "read_synced", "sync_history", "SyncResult", "DateRange",
    "read_report", "get_report", "list_reports", "list_report_schedules", "report_types", "get_report_type",
    "cache_info", "clear_cache", "ReportForm",
}


def test_all_is_pinned():
    assert set(amzv.__all__) == EXPECTED
    assert len(amzv.__all__) == len(set(amzv.__all__))


def test_every_public_name_resolves():
    for name in amzv.__all__:
        assert getattr(amzv, name) is not None, name
    assert set(dir(amzv)) >= EXPECTED


def test_unknown_attribute():
    import pytest

    with pytest.raises(AttributeError):
        amzv.no_such_thing  # noqa: B018


def test_import_is_light_and_offline():
    code = r"""
import builtins, io, json, os, socket, sys
opened, connected = [], []
real_open = io.open
def spy_open(file, *a, **k):
    opened.append(str(file)); return real_open(file, *a, **k)
class NoSocket(socket.socket):
    def connect(self, *a, **k):
        connected.append(a); raise OSError("network touched at import")
before = set(sys.modules)
builtins.open = io.open = spy_open
socket.socket = NoSocket
import amzv_pandas
new = set(sys.modules) - before
print(json.dumps({"opened": [f for f in opened if "amzv" in f or "cache" in f.lower() or "config" in f.lower()],
                  "connected": len(connected),
                  "modules": sorted(m for m in new if m.split(".")[0] in
                                    ("ipywidgets", "tqdm", "requests", "pyarrow", "amzv_pandas", "IPython"))}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    report = json.loads(out.strip().splitlines()[-1])
    assert report["connected"] == 0
    assert report["opened"] == []
    mods = report["modules"]
    assert not any(m.startswith(("ipywidgets", "tqdm", "IPython")) for m in mods), mods
    assert "amzv_pandas.sandbox" not in mods
    assert not any(m.startswith("amzv_pandas.sandbox") for m in mods)


def test_public_names_survive_importing_every_submodule():
    """A submodule named like a public function would replace it once imported."""
    import importlib
    import pkgutil

    modules = {m.name for m in pkgutil.iter_modules(amzv.__path__)}
    # marketplaces() is bound eagerly by __init__ after its module loaded, so it stays the function
    assert not (set(amzv.__all__) - {"exceptions", "sandbox", "marketplaces"}) & modules
    code = ("import amzv_pandas as amzv, importlib, pkgutil\n"
            "for m in pkgutil.iter_modules(amzv.__path__):\n"
            "    if m.name not in ('__main__', 'widgets'):\n"
            "        importlib.import_module('amzv_pandas.' + m.name)\n"
            "bad = [n for n in amzv.__all__ if n not in ('exceptions', 'sandbox', '__version__')\n"
            "       and not callable(getattr(amzv, n))]\n"
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
