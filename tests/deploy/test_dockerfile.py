"""What the image must keep (it is not built in CI: no container engine there): a stop signal
that the main process passes on, dependencies installed before the source is copied (a code change
reuses that layer), a non-editable install, the Numba cache outside the evidence volume, and the
start script that runs the worker too (tested in test_docker_start.py)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINES = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()
         if line.strip() and not line.lstrip().startswith("#")]


def _index(pattern: str) -> int:
    return next(k for k, line in enumerate(LINES) if re.search(pattern, line))


def test_dependencies_are_installed_before_the_source_is_copied() -> None:
    assert _index(r"pip install -r requirements\.txt") < _index(r"^COPY labtrack ")
    assert _index(r"^COPY pyproject\.toml \./$") < _index(r"pip install -r requirements\.txt")
    assert not any("pip install -e" in line for line in LINES)  # a wheel: package data, no checkout
    assert _index(r"pip install --no-deps \.") > _index(r"^COPY fixtures ")


def test_stop_signal_start_script_and_caches() -> None:
    assert "STOPSIGNAL SIGTERM" in LINES
    assert LINES[-1] == 'CMD ["sh", "/usr/local/bin/labtrack-start"]'
    assert any(line == "COPY scripts/docker-start.sh /usr/local/bin/labtrack-start" for line in LINES)
    numba = re.search(r"NUMBA_CACHE_DIR=(\S+)", (ROOT / "Dockerfile").read_text())
    assert numba and not numba.group(1).startswith("/data")
    assert "USER labtrack" in LINES
