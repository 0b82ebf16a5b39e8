"""Benchmark: the families' inquiry at scale.

    python -m benchmarks.inquiry [--cases 100000] [--accesses 1000000] [--requests 100000]
                                 [--database-url postgresql://...]

Fills a fresh database (SQLite file by default) with ``--cases`` missing persons, each with an
inquiry code, ``--accesses`` recorded uses of the family page (the lockout counts run over them)
and ``--requests`` pending family requests (bulk inserts, no audit rows: this measures reads),
then times, as medians and p99 over repeated calls:

- ``check_code`` for an unknown reference, a known reference with a wrong secret and the right
  code, with the production scrypt cost (n = 16384) and with a trivial one (n = 16: the database
  part alone);
- ``family_view`` (the family's page) and the coordinator's code panel of a case with 10,000
  accesses;
- the first and a far page of the coordinators' list of pending requests.

Not a test: it only measures.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _timed(fn: Callable[[], object], repeat: int) -> dict[str, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 2), "p99_ms": round(times[int(len(times) * 0.99) - 1], 2)}


def _fill(engine, *, cases: int, accesses: int, requests: int, hasher) -> dict[str, object]:  # noqa: ANN001
    from labtrack.core import inquiry_codes as core
    from labtrack.models import InquiryAccess, InquiryChangeRequest, InquiryCode, MissingPerson, User

    rng = random.Random(1)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(User.__table__.insert(), [{  # type: ignore[attr-defined]
            "id": 1, "username": "coordinator", "full_name": "Bench Coordinator", "role": "coordinator",
            "password_hash": "-", "active": True, "failed_logins": 0, "created_at": now}])
        conn.execute(MissingPerson.__table__.insert(), [{  # type: ignore[attr-defined]
            "id": i, "case_number": f"MP-{i:07d}", "name_ar": "", "name_latin": "", "sex": "U",
            "disappearance_place": "", "circumstances": "", "dental_notes": "", "distinguishing_marks": "",
            "status": "missing", "contact_name": "", "contact_phone": "", "contact_relation": "",
            "notify_preference": "each_time", "wait_for_more_parts": False, "created_at": now}
            for i in range(1, cases + 1)])
        references = set()
        while len(references) < cases:
            references.add(core.new_code().reference)
        references_list = sorted(references)
        cheap = core.SecretHasher(hasher.key, n=16).hash("X", "Y")  # the bulk codes are never checked
        conn.execute(InquiryCode.__table__.insert(), [{  # type: ignore[attr-defined]
            "id": i, "reference": references_list[i - 1], "secret_hash": cheap, "missing_person_id": i,
            "status": "active", "issued_by_id": 1, "issued_at": now, "end_reason": ""}
            for i in range(1, cases + 1)])
        outcomes = ["viewed", "accepted", "wrong", "malformed", "locked"]
        batch = []
        for n in range(accesses):
            code_id = rng.randint(1, cases)
            batch.append({"at": now - timedelta(seconds=rng.randint(0, 86_400 * 30)),
                          "reference": references_list[code_id - 1], "inquiry_code_id": code_id,
                          "outcome": rng.choice(outcomes), "client": f"{rng.getrandbits(64):016x}"})
            if len(batch) == 50_000 or n == accesses - 1:
                conn.execute(InquiryAccess.__table__.insert(), batch)  # type: ignore[attr-defined]
                batch = []
        busy = [{"at": now - timedelta(seconds=s), "reference": references_list[0], "inquiry_code_id": 1,
                 "outcome": "viewed", "client": "0" * 16} for s in range(10_000)]
        conn.execute(InquiryAccess.__table__.insert(), busy)  # type: ignore[attr-defined]
        conn.execute(InquiryChangeRequest.__table__.insert(), [{  # type: ignore[attr-defined]
            "inquiry_code_id": i % cases + 1, "missing_person_id": i % cases + 1, "detail": "contact_phone",
            "new_value": "+963 933 000 000", "status": "pending", "submitted_at": now - timedelta(seconds=i),
            "decision_note": ""} for i in range(requests)])
    return {"references": references_list}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--accesses", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    from sqlmodel import Session

    from labtrack.core import inquiry_codes as core
    from labtrack.db import create_schema, make_engine
    from labtrack.models import User
    from labtrack.services import audit, inquiry_access, inquiry_codes, inquiry_requests, inquiry_status

    audit.install_hook()
    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{tmp.name}/inquiry-bench.sqlite"
    engine = make_engine(url)
    create_schema(engine)
    strong = core.SecretHasher(b"benchmark key", n=16384)
    start = time.perf_counter()
    _fill(engine, cases=args.cases, accesses=args.accesses, requests=args.requests, hasher=strong)
    print(f"filled: {args.cases} cases and codes, {args.accesses + 10_000} accesses, {args.requests} pending "
          f"requests in {time.perf_counter() - start:.1f} s ({engine.dialect.name}, {platform.processor() or ''})")

    results: dict[str, object] = {}
    with Session(engine, expire_on_commit=False) as db:
        coordinator = db.get(User, 1)
        for label, hasher in (("n=16384", strong), ("n=16", core.SecretHasher(b"benchmark key", n=16))):
            _ = hasher.decoy
            db.rollback()
            row, code = inquiry_codes.issue(session=db, by=coordinator, hasher=hasher, missing_person_id=1,
                                            reason="benchmark")
            wrong = core.InquiryCode(code.reference, core.new_code().secret)
            loose = inquiry_access.LockoutPolicy(per_code=10**9, per_client=10**9)
            cases = {"unknown reference": lambda: core.new_code().display,
                     "known reference, wrong secret": lambda w=wrong: w.display,
                     "right code": lambda c=code: c.display}
            times: dict[str, list[float]] = {name: [] for name in cases}
            for _ in range(args.repeat):  # interleaved, so that a change of machine load hits every case alike
                for name, typed in cases.items():
                    db.rollback()
                    text = typed()
                    started = time.perf_counter()
                    inquiry_access.check_code(session=db, typed=text, client=f"198.51.100.{random.randint(1, 250)}",
                                              hasher=hasher, policy=loose)
                    times[name].append((time.perf_counter() - started) * 1000)
            for name, values in times.items():
                values.sort()
                results[f"check_code {name} ({label})"] = {
                    "median_ms": round(statistics.median(values), 2),
                    "p99_ms": round(values[int(len(values) * 0.99) - 1], 2)}
        db.rollback()
        results["family_view (family page)"] = _timed(lambda: inquiry_status.family_view(db, row), args.repeat)
        results["code panel, 10,000+ accesses"] = _timed(lambda: inquiry_codes.panel(db, missing_person_id=1),
                                                         args.repeat)
        results["pending requests, page 1"] = _timed(lambda: inquiry_requests.pending(db, page=1), args.repeat)
        results["pending requests, page 1,000"] = _timed(lambda: inquiry_requests.pending(db, page=1000),
                                                          args.repeat)
    for name, values in results.items():
        print(f"{name:<58} median {values['median_ms']:>8} ms   p99 {values['p99_ms']:>8} ms")  # type: ignore[index]
    engine.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
