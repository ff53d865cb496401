"""The form notebook in a real JupyterLab, driven by headless Chromium (Playwright).

Needs Debian's ``chromium`` (``/usr/bin/chromium``), ``jupyterlab`` and ``playwright``
(the Python package only: the browser is Debian's, never ``playwright install``);
``tests/browser_setup.sh`` installs them. Skipped where any is missing.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("AMZV_CHROMIUM", "/usr/bin/chromium")
NOTEBOOK = Path(__file__).resolve().parents[3] / "notebooks" / "03_report_form.ipynb"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    for module in ("jupyterlab", "playwright", "ipywidgets"):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed (tests/browser_setup.sh)"
    return None


if (reason := _missing()) is not None:
    pytest.skip(reason, allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(settings: Path) -> None:
    """Lab user settings for a deterministic page: every cell rendered, no news pop-up."""
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))  # off-screen cells stay in the DOM
    notify = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notify.parent.mkdir(parents=True)
    notify.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """JupyterLab on 127.0.0.1 serving a copy of the form notebook; stopped by its pid."""
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    settings = tmp_path / "settings"
    _write_settings(settings)
    token = secrets.token_hex(16)
    port = _free_port()
    env = dict(os.environ)  # conftest's AMZV_CACHE_DIR/AMZV_CONFIG_DIR reach the kernel
    env.update(JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"))
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--ServerApp.token={token}",
           f"--port={port}", "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.root_dir={root}", f"--LabApp.user_settings_dir={settings}",
           f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI containers run as root
    log = (tmp_path / "lab.log").open("wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text()[-3000:])
            time.sleep(0.5)
        yield {"url": f"{base}/lab/tree/{NOTEBOOK.name}?token={token}", "tmp": tmp_path}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_form_in_jupyterlab(lab: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    tmp: Path = lab["tmp"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            timeout_ms = int(os.environ.get("AMZV_BROWSER_TIMEOUT_MS", "90000"))
            page.set_default_timeout(timeout_ms)
            expect.set_options(timeout=timeout_ms)  # expect() has its own 5 s default
        except Exception:
            browser.close()
            raise
        try:
            page.goto(lab["url"])
            page.locator(".jp-Notebook").first.wait_for()
            form = page.locator(".amzv-report-form").first
            # Run > Run All Cells once the kernel is up; a run asked for while the kernel still
            # connects can be dropped, so ask again until the form renders.
            for attempt in range(4):
                expect(page.locator(".jp-StatusBar-Widget", has_text="| Idle").first).to_be_visible()
                page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
                page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
                try:
                    form.wait_for(timeout=30_000)
                    break
                except Exception:
                    if attempt == 3:
                        raise

            def row(label: str) -> Any:
                return form.locator(".amzv-field", has=page.get_by_text(label, exact=True)).first

            # the pane's fields for "Create and Download Report"
            for label in ("Report", "Report Type", "Country Code", "Market Place", "Duration", "Start Date",
                          "End Date", "Days Back to Start From", "Days Back to End At", "Report Period"):
                expect(row(label)).to_be_visible()
            for label in ("Query", "Select Statuses", "Enter Seller SKUs"):
                expect(row(label)).to_be_hidden()
            run = form.locator("button.amzv-run")
            expect(run).to_have_text("Run")

            # the notebook's own form.run(): the sales table appears inside the form
            output = form.locator(".amzv-output")
            expect(output.locator("table").first).to_be_visible()
            expect(output).to_contain_text("orderedRevenue_amount")
            page.wait_for_timeout(500)
            form.screenshot(path=str(tmp / "form_report.png"))

            # switch the Report menu: the fields change
            row("Report").locator("select").select_option(label="Search Catalog Items")
            expect(row("Query")).to_be_visible()
            for label in ("Report Type", "Duration", "Start Date", "Report Period"):
                expect(row(label)).to_be_hidden()

            # an invalid Query disables Run and shows the library's message next to it
            query = row("Query").locator("input")
            query.fill(",".join(f"w{i}" for i in range(30)))
            expect(row("Query")).to_contain_text("Amazon accepts at most 20")
            expect(run).to_be_disabled()
            query.fill("coffee")
            expect(run).to_be_enabled()

            # Run: the catalog table replaces the report in the output
            run.click()
            expect(output).to_contain_text("item_name")
            expect(output.locator("table").first).to_be_visible()
            expect(output).not_to_contain_text("orderedRevenue_amount")
            expect(run).to_be_enabled()
            page.wait_for_timeout(500)
            form.screenshot(path=str(tmp / "form_search.png"))
            page.screenshot(path=str(tmp / "lab.png"))
        except Exception:
            page.screenshot(path=str(tmp / "failure.png"))  # what the browser showed, for the CI log
            raise
        finally:
            browser.close()
    for name in ("form_report.png", "form_search.png", "lab.png"):
        assert (tmp / name).stat().st_size > 10_000
    print("screenshots in", tmp)
