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
    install = r"pip install --require-hashes --no-deps -r requirements\.lock"
    assert _index(install) < _index(r"^COPY labtrack ")
    assert _index(r"^COPY pyproject\.toml requirements\.lock \./$") < _index(install)
    assert not any("pip install -e" in line for line in LINES)  # a wheel: package data, no checkout
    assert _index(r"pip install --no-deps \.") > _index(r"^COPY fixtures ")


def test_stop_signal_start_script_and_caches() -> None:
    assert "STOPSIGNAL SIGTERM" in LINES
    assert LINES[-1] == 'CMD ["sh", "/usr/local/bin/labtrack-start"]'
    assert any(line == "COPY scripts/docker-start.sh /usr/local/bin/labtrack-start" for line in LINES)
    numba = re.search(r"NUMBA_CACHE_DIR=(\S+)", (ROOT / "Dockerfile").read_text())
    assert numba and not numba.group(1).startswith("/data")
    assert "USER labtrack" in LINES


def test_the_lock_pins_every_runtime_dependency_with_hashes_within_pyproject() -> None:
    """requirements.lock (what the image installs, hashes required) covers every dependency of
    pyproject.toml at a version pyproject allows, and every pin carries at least one hash."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    text = (ROOT / "requirements.lock").read_text()
    pins: dict[str, str] = {}
    hashes: dict[str, int] = {}
    current = ""
    for line in text.splitlines():
        pin = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)", line)
        if pin:
            current = canonicalize_name(pin.group(1))
            pins[current] = pin.group(2)
            hashes[current] = 0
        elif "--hash=sha256:" in line:
            hashes[current] += 1
    assert pins and all(count >= 1 for count in hashes.values()), [n for n, c in hashes.items() if c == 0]
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for entry in declared:
        requirement = Requirement(entry)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in requirements.lock (bash scripts/lock.sh)"
        assert requirement.specifier.contains(pins[name], prereleases=True), (name, pins[name])
