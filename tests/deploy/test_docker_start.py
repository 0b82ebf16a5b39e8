"""The image's main process (scripts/docker-start.sh, PID 1 in the container) with stand-ins for
`labtrack` and `waitress-serve`: it migrates first, runs the worker and the web server, passes a
stop signal on to both at once and exits 0, ends the container when either dies, and refuses a
PostgreSQL deployment whose keys would be made per container."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STUB = """#!/bin/sh
name=$(basename "$0")
echo "$name $*" >> "$STUB_LOG"
case "$name $1" in
  "labtrack db") exit "${STUB_MIGRATE_STATUS:-0}" ;;
  "labtrack worker") [ -n "${STUB_WORKER_DIES:-}" ] && exit 0 ;;
esac
trap 'echo "$name TERM" >> "$STUB_LOG"; exit 0' TERM
while :; do sleep 0.1; done
"""


@pytest.fixture
def start(tmp_path: Path):  # noqa: ANN201
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("labtrack", "waitress-serve"):
        (bin_dir / name).write_text(STUB)
        (bin_dir / name).chmod(0o755)
    log = tmp_path / "log"
    log.touch()
    started: list[subprocess.Popen[str]] = []

    def _start(**env: str) -> tuple[subprocess.Popen[str], Path]:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("LABTRACK_")}
        environ.update({"PATH": f"{bin_dir}:{os.environ['PATH']}", "STUB_LOG": str(log),
                        "LABTRACK_DATABASE_URL": "sqlite:////data/labtrack.sqlite", **env})
        process = subprocess.Popen(["sh", str(ROOT / "scripts" / "docker-start.sh")], env=environ,
                                   stderr=subprocess.PIPE, text=True)
        started.append(process)
        return process, log

    yield _start
    for process in started:
        if process.poll() is None:
            process.kill()
        if process.stderr is not None and not process.stderr.closed:
            process.communicate()


def _until(condition, seconds: float = 10) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _running(log: Path) -> bool:
    text = log.read_text()
    return "labtrack worker" in text and "waitress-serve" in text


def test_migrates_then_runs_both_and_a_stop_signal_reaches_both_at_once(start) -> None:  # noqa: ANN001
    process, log = start()
    assert _until(lambda: _running(log))
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0  # no SIGKILL after docker's timeout
    lines = log.read_text().splitlines()
    assert lines[0] == "labtrack db upgrade"
    assert {"labtrack TERM", "waitress-serve TERM"} <= set(lines)
    assert "waitress-serve --host=0.0.0.0 --port=8000 --threads=8 --call labtrack:create_app" in lines


def test_migration_can_be_a_separate_step(start) -> None:  # noqa: ANN001
    process, log = start(LABTRACK_MIGRATE="0", LABTRACK_WORKER="0")
    assert _until(lambda: "waitress-serve" in log.read_text())
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0
    assert log.read_text().splitlines() == [
        "waitress-serve --host=0.0.0.0 --port=8000 --threads=8 --call labtrack:create_app", "waitress-serve TERM"]


def test_when_the_worker_dies_the_container_ends_non_zero(start) -> None:  # noqa: ANN001
    process, log = start(STUB_WORKER_DIES="1")
    assert process.wait(timeout=15) == 1
    assert "waitress-serve TERM" in log.read_text()
    assert "ended (status 1): stopping the container" in process.communicate()[1]


def test_a_failed_migration_starts_nothing(start) -> None:  # noqa: ANN001
    process, log = start(STUB_MIGRATE_STATUS="3")
    assert process.wait(timeout=10) == 3
    assert log.read_text().splitlines() == ["labtrack db upgrade"]


def test_postgresql_without_shared_keys_is_refused_before_anything_runs(start) -> None:  # noqa: ANN001
    process, log = start(LABTRACK_DATABASE_URL="postgresql://db/labtrack", LABTRACK_SECRET_KEY="s")
    assert process.wait(timeout=10) == 2
    assert "set LABTRACK_AUDIT_KEY LABTRACK_INQUIRY_KEY in the environment" in process.communicate()[1]
    assert log.read_text() == ""
    keyed, log = start(LABTRACK_DATABASE_URL="postgresql://db/labtrack", LABTRACK_SECRET_KEY="s",
                       LABTRACK_AUDIT_KEY="a", LABTRACK_INQUIRY_KEY="i")
    assert _until(lambda: _running(log))
    keyed.send_signal(signal.SIGTERM)
    assert keyed.wait(timeout=10) == 0
