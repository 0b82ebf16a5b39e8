"""Where the data files in ``fixtures/`` are: LABTRACK_FIXTURES_DIR, else ``labtrack/fixtures`` (in a
checkout a symlink to the top-level ``fixtures/``; in an installed wheel the packaged copy)."""

from __future__ import annotations

import os
from pathlib import Path


def fixtures_dir() -> Path:
    override = os.environ.get("LABTRACK_FIXTURES_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent / "fixtures"
