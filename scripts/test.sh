#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh machine, then run the whole suite.
#   bash scripts/test.sh [pytest args...]
# Set LABTRACK_TEST_DATABASE_URL=postgresql://... to run the same suite on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

# 1. Debian tools the tests drive for real: headless Chromium, ZBar, poppler.
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v zbarimg >/dev/null 2>&1 || need+=(zbar-tools)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${need[*]} from Debian packages..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "Missing ${need[*]}: the tests that need them will be skipped (install them to run all)." >&2
  fi
fi

# 2. A virtual environment with labtrack and its test dependencies.
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

# 3. The suite, on every core (pytest-xdist; each test has its own SQLite file or PostgreSQL
#    schema, so tests never share a database). LABTRACK_TEST_WORKERS=0 runs it in one process.
exec .venv/bin/python -m pytest -n "${LABTRACK_TEST_WORKERS:-auto}" "$@"
