"""Where the data files in ``fixtures/`` are (a checkout, an image, or LABTRACK_FIXTURES_DIR)."""

from __future__ import annotations

import os
from pathlib import Path


def fixtures_dir() -> Path:
    override = os.environ.get("LABTRACK_FIXTURES_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "fixtures"
