#!/usr/bin/env bash
# Installs the browser tests/e2e/frontends/test_browser.py drives: Debian's Chromium (/usr/bin/chromium).
# JupyterLab and Playwright (the Python package only) come with the `test` extra; Playwright
# drives this Chromium directly, so never `playwright install` and no chromedriver.
# Where there is no apt-get (or no root), it says so and the browser test skips itself.
set -uo pipefail

if [ -x /usr/bin/chromium ]; then
    echo "browser test: $(/usr/bin/chromium --version 2>/dev/null)"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; else
        echo "browser test: no root to install chromium; it will be skipped"; exit 0
    fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "browser test: no apt-get to install chromium; it will be skipped"
    exit 0
fi
$SUDO apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core \
    || { echo "browser test: installing chromium failed; it will be skipped"; exit 0; }
echo "browser test: $(/usr/bin/chromium --version 2>/dev/null)"
