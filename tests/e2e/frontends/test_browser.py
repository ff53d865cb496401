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


SCREENS = Path(os.environ.get("AMZV_SCREENS_DIR", "/tmp/amzv-screens"))


def _new_cell(page: Any, code: str) -> Any:
    """Add a cell at the end of the notebook, type ``code`` into it as pasted text, run it; its output area."""
    cells = page.locator(".jp-Notebook .jp-CodeCell")
    before = cells.count()
    cells.last.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")  # command mode: insert a cell below
    page.wait_for_function(f"document.querySelectorAll('.jp-Notebook .jp-CodeCell').length > {before}")
    cell = page.locator(".jp-Notebook .jp-CodeCell").nth(before)  # Shift+Enter adds another after it
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.insert_text(code)  # a paste: no auto-indent, no auto-closed brackets
    page.keyboard.press("Shift+Enter")
    return cell.locator(".jp-OutputArea")


def _theme(page: Any, name: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text="Settings").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
    page.locator(".lm-Menu-itemLabel", has_text=name).first.click()
    page.wait_for_function(
        f"document.body.dataset.jpThemeName === {name!r}", timeout=30_000)
    page.wait_for_timeout(800)


def test_form_in_jupyterlab(lab: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    from amzv_pandas._frontends.form_fields import HELP

    tmp: Path = lab["tmp"]
    SCREENS.mkdir(parents=True, exist_ok=True)
    shots: list[Path] = []

    def shot(locator: Any, name: str) -> None:
        path = SCREENS / f"{name}.png"
        locator.screenshot(path=str(path))
        shots.append(path)

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

            def rows_total(where: Any) -> int:
                return int(where.locator(".amzv-summary").inner_text().split(" rows")[0].replace(",", ""))

            def row(label: str, where: Any = form) -> Any:
                return where.locator(".amzv-field", has=page.get_by_text(label, exact=True)).first

            # the pane's fields for "Create and Download Report"
            for label in ("Report", "Report Type", "Country Code", "Market Places", "Duration", "Start Date",
                          "End Date", "Days Back to Start From", "Days Back to End At", "Report Period"):
                expect(row(label)).to_be_visible()
            # no saved profile in this lab: no Accounts selector; reports take several marketplaces
            for label in ("Query", "Select Statuses", "Enter Seller SKUs", "View", "Market Place", "Accounts"):
                expect(row(label)).to_be_hidden()
            expect(row("Market Places").locator("select[multiple]")).to_be_visible()
            run = form.locator("button.amzv-run")
            expect(run).to_have_text("Run")

            # the notebook's own form.run(): a summary line and a capped preview inside the form
            result = form.locator(".amzv-result")
            expect(result.locator(".amzv-preview table").first).to_be_visible()
            expect(result).to_contain_text("orderedRevenue_amount")
            expect(result.locator(".amzv-summary")).to_contain_text("rows × 17 columns · GET_VENDOR_SALES_REPORT")
            # 350 rows: a bounded, scrollable preview (the whole result area, export row included)
            assert rows_total(result) >= 200
            assert result.bounding_box()["height"] < 600, result.bounding_box()
            # dates never wrap: every startDate cell is one line
            heights = result.locator("td").evaluate_all("tds => tds.slice(0, 60).map(td => td.offsetHeight)")
            assert max(heights) < 40, heights  # one line (two would be ~55 px)
            # each label's help shows on hover (its title)
            label = row("Days Back to Start From").locator(".amzv-label")
            label.hover()
            assert label.get_attribute("title") == HELP["Days Back to Start From"]
            # the Report Type menu shows the longest name whole (the select is as wide as its longest option)
            width = row("Report Type").locator("select").evaluate(
                "s => { const c = document.createElement('canvas').getContext('2d');"
                " c.font = getComputedStyle(s).font;"
                " return [s.clientWidth, Math.max(...[...s.options].map(o => c.measureText(o.text).width))]; }")
            assert width[0] >= width[1] + 20, width
            # the day a relative box means shows beside it
            expect(row("Days Back to End At")).to_contain_text("= ")
            page.wait_for_timeout(300)
            shot(form, "light_report")

            # clear a specific start date: an error under the field, Run disabled; half-typed too
            row("Start Date").get_by_role("button", name="Specific").click()
            start_box = row("Select Specific Start Date").locator("input")
            expect(start_box).to_be_visible()
            start_box.fill("")
            expect(row("Select Specific Start Date").locator(".amzv-error")).to_contain_text("is empty")
            expect(run).to_be_disabled()
            start_box.fill("2026-11-")
            expect(row("Select Specific Start Date").locator(".amzv-error")).to_contain_text("is not a date")
            expect(run).to_be_disabled()
            # the label column keeps its width under a long message
            assert abs(row("Select Specific Start Date").locator(".amzv-label").bounding_box()["width"] - 210) < 2
            shot(form, "light_date_error")
            start_box.fill("today-9")
            expect(row("Select Specific Start Date")).not_to_contain_text("is not a date")
            expect(run).to_be_enabled()
            row("Start Date").get_by_role("button", name="Relative").click()

            # Show code, pasted into a new cell, gives a frame of the same shape
            form.locator(".amzv-show-code").click()
            code_box = form.locator(".amzv-code-text")
            expect(code_box).to_be_visible()
            code = code_box.inner_text()
            assert code.startswith("import amzv_pandas as amzv\n") and "client = " in code
            rows_shown = rows_total(result)
            out = _new_cell(page, code.replace("\ndf\n", "\n").rstrip("df").rstrip() + "\ndf.shape")
            expect(out).to_contain_text(f"({rows_shown}, 17)")
            form.locator(".amzv-show-code").click()

            # switch the Report menu: the fields change and the old table is gone
            row("Report").locator("select").select_option(label="Search Catalog Items")
            expect(row("Query")).to_be_visible()
            for label in ("Report Type", "Duration", "Start Date", "Report Period"):
                expect(row(label)).to_be_hidden()
            expect(form.locator(".amzv-preview")).to_have_count(0)
            expect(result).to_be_hidden()

            # an invalid Query disables Run and shows the message under it, in the form's words
            query = row("Query").locator("input")
            query.fill(",".join(f"w{i}" for i in range(30)))
            expect(row("Query")).to_contain_text("Amazon accepts at most 20")
            expect(row("Query")).not_to_contain_text("keywords")
            expect(run).to_be_disabled()
            query.fill("coffee")
            expect(run).to_be_enabled()

            # Run: the search result replaces the report; the form stays bounded
            run.click()
            expect(result.locator(".amzv-summary")).to_contain_text("search_catalog_items")
            expect(result).to_contain_text("item_name")
            expect(result).not_to_contain_text("orderedRevenue_amount")
            expect(run).to_be_enabled()
            height = form.bounding_box()["height"]
            assert height < 1200, height
            # Export: the file is written and its path shown
            form.locator("button.amzv-export").click()
            expect(form.locator(".amzv-export-path")).to_be_visible()
            exported = Path(form.locator(".amzv-export-path").inner_text())
            assert exported.exists() and exported.suffix == ".csv", exported
            page.wait_for_timeout(300)
            shot(form, "light_search_200_rows")

            # Get Catalog Items, Warn About with an unknown SKU: the run stops naming it
            row("Report").locator("select").select_option(label="Get Catalog Items")
            row("Enter Seller SKUs").locator("textarea").fill("NO-SUCH-SKU-77")
            row("Seller ID").locator("input").fill("A1SELLER")
            row("Continue on Invalid SKU Error").locator("select").select_option(label="Warn About Invalid SKUs")
            expect(run).to_be_enabled()
            run.click()
            message = form.locator(".amzv-run-message")
            expect(message).to_contain_text("NO-SUCH-SKU-77")
            expect(message.locator(".amzv-error")).to_be_visible()
            shot(form, "light_warn_about")

            # Vendor Analytics (Data Kiosk): its own fields; Run gives a preview
            analytics = page.locator(".amzv-report-form").nth(1)
            for label in ("View", "Aggregate By", "Metric Groups", "Group By", "Duration"):
                expect(row(label, analytics)).to_be_visible()
            analytics.locator("button.amzv-run").click()
            expect(analytics.locator(".amzv-summary")).to_contain_text("read_vendor_analytics")
            analytics.locator(".amzv-show-code").click()
            expect(analytics.locator(".amzv-code-text")).to_contain_text("df = amzv.read_vendor_analytics(")
            expect(analytics.locator(".amzv-code-text")).to_contain_text("metrics=['orders', 'traffic']")
            analytics.locator(".amzv-show-code").click()
            shot(analytics, "light_vendor_analytics")

            # Cancel a slow report: polling stops within seconds, the id is kept, the kernel is free
            out = _new_cell(page, "slow = amzv.sandbox.serve(speed=1, processing_seconds=600)\n"
                                  "slow_form = amzv.ReportForm(client=slow.client())\nslow_form")
            slow_form = out.locator(".amzv-report-form")
            expect(slow_form).to_be_visible()
            slow_form.locator("button.amzv-run").click()
            expect(slow_form.locator("button.amzv-run")).to_have_text("Running...")
            expect(slow_form.locator(".amzv-output")).to_contain_text("IN_", timeout=20_000)
            busy = _new_cell(page, "print('kernel free', 6 * 7)")  # while the report is processing
            expect(busy).to_contain_text("kernel free 42", timeout=20_000)
            t0 = time.monotonic()
            slow_form.locator("button.amzv-cancel").click()
            expect(slow_form.locator(".amzv-run-message")).to_contain_text("Cancelled", timeout=10_000)
            assert time.monotonic() - t0 < 6
            expect(slow_form.locator(".amzv-run-message")).to_contain_text("press Run again")
            expect(slow_form.locator("button.amzv-run")).to_be_enabled()
            shot(slow_form, "light_cancelled")
            after = _new_cell(page, "print('next cell', slow.stats()['calls'].get('createReport'))")
            expect(after).to_contain_text("next cell 1")
            # Run again resumes the same report: no second createReport
            slow_form.locator("button.amzv-run").click()
            expect(slow_form.locator(".amzv-output")).to_contain_text("IN_", timeout=20_000)
            again = _new_cell(page, "print('resumed', slow.stats()['calls'].get('createReport'))")
            expect(again).to_contain_text("resumed 1")
            slow_form.locator("button.amzv-cancel").click()
            expect(slow_form.locator(".amzv-run-message")).to_contain_text("Cancelled", timeout=10_000)

            # the dark theme: the same form, readable
            _theme(page, "JupyterLab Dark")
            form.scroll_into_view_if_needed()
            row("Report").locator("select").select_option(label="Create and Download Report")
            row("Start Date").get_by_role("button", name="Specific").click()
            row("Select Specific Start Date").locator("input").fill("")
            expect(row("Select Specific Start Date").locator(".amzv-error")).to_be_visible()
            color = row("Select Specific Start Date").locator(".amzv-error").evaluate(
                "e => getComputedStyle(e).color")
            assert color != "rgb(176, 0, 32)", color  # not the light theme's #b00020 on a dark page
            shot(form, "dark_date_error")
            row("Select Specific Start Date").locator("input").fill("today-9")
            run.click()
            expect(result.locator(".amzv-preview table").first).to_be_visible()
            page.wait_for_timeout(300)
            shot(form, "dark_report")
            # two marketplaces in one run (one report each), joined with a marketplaceId column
            row("Market Places").locator("select").select_option(label=["United States (US)", "Canada (CA)"])
            expect(run).to_be_enabled()
            run.click()
            expect(result.locator(".amzv-preview")).to_contain_text("marketplaceId")
            expect(result.locator(".amzv-summary")).to_contain_text("reports ")
            form.locator(".amzv-show-code").click()
            expect(form.locator(".amzv-code-text")).to_contain_text("marketplace=['CA', 'US'],")  # the menu's order
            page.wait_for_timeout(300)
            shot(form, "dark_two_marketplaces_code")
            shot(analytics, "dark_vendor_analytics")
            page.screenshot(path=str(SCREENS / "dark_lab.png"))
        except Exception:
            page.screenshot(path=str(SCREENS / "failure.png"))  # what the browser showed, for the CI log
            print("failure screenshot in", SCREENS)
            raise
        finally:
            browser.close()
    for path in shots:
        assert path.stat().st_size > 5_000, path
    print("screenshots in", SCREENS)
