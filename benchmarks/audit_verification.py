"""Benchmark: verifying the audit chain, full and incremental from a verified mark, and the audit page.

    python -m benchmarks.audit_verification [--entries 2000000] [--new 1000] [--json FILE]

Fills a fresh SQLite database with ``--entries`` keyed, hash-chained audit entries (computed as
the app computes them, bulk inserted), then times: a full verification (what ``labtrack audit
verify`` and the page's "Verify the whole chain" job do); the verification job run by a worker
after ``--new`` more entries, continuing from the mark the full run recorded; and the audit page
(which verifies nothing any more: it reads the stored result), median and p95 of 20 requests.
Not a test: it only measures.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BATCH = 50_000


def _fill(app: Any, start_seq: int, count: int, prev: str) -> str:
    """Append ``count`` entries after ``start_seq`` (chain from ``prev``); returns the new head hash."""
    from labtrack.db import get_engine
    from labtrack.models import AuditEntry
    from labtrack.services import audit, audit_seal

    engine = get_engine(app)
    seal = audit_seal.seal_of(engine)
    assert seal is not None
    table = AuditEntry.__table__  # type: ignore[attr-defined]
    seq = start_seq
    while seq < start_seq + count:
        rows = []
        for _ in range(min(BATCH, start_seq + count - seq)):
            seq += 1
            entry = {"seq": seq, "at": "2026-12-03T07:00:00+00:00", "actor_id": None, "actor": "bench",
                     "action": "create", "entity_type": "custody_event", "entity_id": str(seq), "reason": "bench",
                     "before_json": "null", "after_json": json.dumps({"id": seq, "action": "transfer"})}
            digest = audit.entry_hash(prev, entry)
            rows.append({**entry, "prev_hash": prev, "entry_hash": digest, "mac": seal.entry_mac(digest)})
            prev = digest
        with engine.begin() as connection:
            connection.execute(table.insert(), rows)
    return prev


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=2_000_000)
    parser.add_argument("--new", type=int, default=1000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from sqlmodel import Session

    from labtrack import create_app
    from labtrack.db import create_schema, get_engine
    from labtrack.services import audit, audit_verification
    from labtrack.services.transaction import write
    from labtrack.services.worker import Worker, WorkerSettings
    from tests import factories

    workdir = Path(tempfile.mkdtemp(prefix="labtrack-audit-bench-"))
    app = create_app({"DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite'}", "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "SESSION_COOKIE_SECURE": False,
                      "AUDIT_KEY": "bench-audit-key", "AUDIT_CHECKPOINT_FILE": "", "JOBS_INLINE": False,
                      "CONTINUOUS_MATCHING": False, "ARTIFACTS_DIR": str(workdir)})
    create_schema(get_engine(app))
    results: dict[str, Any] = {"entries": args.entries, "new": args.new, "machine": platform.platform()}
    with app.app_context(), Session(get_engine(app), expire_on_commit=False) as db:
        admin = factories.users_of_every_role(db)["admin"]
        head_seq, head_hash = audit._chain_head(db.connection())
        db.rollback()
        started = time.perf_counter()
        _fill(app, head_seq, args.entries, head_hash)
        results["fill_s"] = round(time.perf_counter() - started, 1)

        started = time.perf_counter()
        full = audit_verification.verify(db, full=True)
        results["full_verify_s"] = round(time.perf_counter() - started, 2)
        assert full.ok, full.first_break
        db.rollback()
        with write(db, actor="bench", reason="bench: the full verification's mark"):
            audit_verification.record(db, full, full=True, job_id=None)
        head_seq, head_hash = audit._chain_head(db.connection())
        db.rollback()
        _fill(app, head_seq, args.new, head_hash)

        audit_verification.request(db, full=False, by=admin.user)
        started = time.perf_counter()
        Worker(app, WorkerSettings(poll_seconds=0.01)).run(once=True)
        results["incremental_job_s"] = round(time.perf_counter() - started, 3)
        db.rollback()
        latest = audit_verification.latest(db)
        assert latest is not None and latest.ok and not latest.full, latest
        results["incremental_entries_checked"] = latest.entries

    client = app.test_client()
    client.post("/login", data={"username": admin.username, "password": admin.password})
    times, size = [], 0
    for _ in range(21):
        started = time.perf_counter()
        response = client.get("/admin/audit")
        times.append((time.perf_counter() - started) * 1000)
        size = len(response.data)
        assert response.status_code == 200 and b"Verified up to entry" in response.data
    times = sorted(times[1:])
    results["audit_page_ms"] = {"median": round(statistics.median(times), 1),
                                "p95": round(times[int(0.95 * (len(times) - 1))], 1), "kb": round(size / 1024, 1)}
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
