#!/usr/bin/env bash
# Regenerate requirements.lock (the image's pinned, hashed runtime dependencies) from pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q uv
python3 -m uv pip compile pyproject.toml --generate-hashes --python-version 3.11 \
    --python-platform x86_64-manylinux_2_28 --no-header -o requirements.lock.new
{
  echo "# The runtime dependencies of labtrack, pinned with their SHA-256 hashes (the image installs exactly"
  echo "# these: pip install --require-hashes). Regenerate after changing [project] dependencies with"
  echo "#    bash scripts/lock.sh"
  cat requirements.lock.new
} > requirements.lock
rm requirements.lock.new
