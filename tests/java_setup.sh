#!/usr/bin/env bash
# Installs the Java runtime tests/e2e/engines/test_engines.py needs for Spark: Debian's headless JRE.
# pyspark itself comes with the `test` extra (it ships Spark's jars, not a JVM).
# Where there is no apt-get (or no root), it says so and the Spark test skips itself.
set -uo pipefail

if command -v java >/dev/null 2>&1 && java -version >/dev/null 2>&1; then
    echo "spark test: $(java -version 2>&1 | head -n 1)"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; else
        echo "spark test: no root to install a Java runtime; it will be skipped"; exit 0
    fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "spark test: no apt-get to install a Java runtime; it will be skipped"
    exit 0
fi
$SUDO apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends default-jre-headless \
    || { echo "spark test: installing a Java runtime failed; it will be skipped"; exit 0; }
echo "spark test: $(java -version 2>&1 | head -n 1)"
