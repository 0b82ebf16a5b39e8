"""External programs the tests drive for real (chromium, zbarimg, pdftotext, pdftoppm, pg_dump).

Missing programs skip the test with the reason, except in CI (``LABTRACK_REQUIRE_TOOLS=1``),
where they fail it: CI must never pass by skipping the real checks.
"""

from __future__ import annotations

import os
import shutil

import pytest


def require(*programs: str) -> None:
    missing = [name for name in programs if shutil.which(name) is None]
    if not missing:
        return
    message = f"needs {', '.join(missing)} (Debian: chromium, zbar-tools, poppler-utils, postgresql-client)"
    if os.environ.get("LABTRACK_REQUIRE_TOOLS") == "1":
        pytest.fail(message)
    pytest.skip(message)
