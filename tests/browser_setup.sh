#!/usr/bin/env bash
# Installs what tests/test_browser.py needs: Debian's Chromium, and JupyterLab + Playwright
# (the Python package only; the browser is /usr/bin/chromium, so never `playwright install`).
# Playwright drives Chromium over CDP itself: chromium-driver (chromedriver) is not needed.
# Usage: tests/browser_setup.sh [python]   (default: the active environment's python)
set -euo pipefail
PYTHON="${1:-python}"

if [ ! -x /usr/bin/chromium ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
fi
"$PYTHON" -m pip install -q "jupyterlab>=4" "playwright>=1.40" "ipywidgets>=8"
/usr/bin/chromium --headless --no-sandbox --disable-gpu --version >/dev/null 2>&1 || /usr/bin/chromium --version
"$PYTHON" -c "import jupyterlab, playwright, ipywidgets; print('browser test ready: jupyterlab', jupyterlab.__version__)"
