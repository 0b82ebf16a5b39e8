"""Benchmark: pages at Syrian scale — lists, the search box and the dashboard with many rows.

    python -m benchmarks.pages_at_scale [--persons 100000] [--donors 100000] [--repeat 20]
                                        [--database-url postgresql://...] [--json FILE]

Fills a fresh database (SQLite file by default) with ``--persons`` missing persons and
``--donors`` donors whose names are drawn from Arabic name chains with their Latin
transliterations (bulk inserts, with their name-index keys; no audit rows: this measures reads),
then, logged in as a coordinator (who sees names) and as a technician (who does not), requests
each page ``--repeat`` times through the app (Flask test client: server time, no network) and
reports the median, the p95 and the page size.

Not a test: it only measures. Run big sizes only under ``flock /work/fullsuite.lock`` on shared
machines.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OWN = [("محمد", "Mohammad"), ("محمّد", "Muhammad"), ("أحمد", "Ahmad"), ("علي", "Ali"), ("خالد", "Khaled"),
       ("عمر", "Omar"), ("يوسف", "Youssef"), ("حسن", "Hassan"), ("إبراهيم", "Ibrahim"), ("مصطفى", "Mustafa"),
       ("فاطمة", "Fatima"), ("مريم", "Maryam"), ("عائشة", "Aisha"), ("زينب", "Zainab"), ("سامر", "Samer")]
FAMILY = [("المصري", "al-Masri"), ("الحلبي", "al-Halabi"), ("الشامي", "al-Shami"), ("الحمصي", "al-Homsi"),
          ("العلي", "al-Ali"), ("الأحمد", "al-Ahmad"), ("الخطيب", "al-Khatib"), ("النجار", "al-Najjar"),
          ("الحداد", "al-Haddad"), ("الزعبي", "al-Zoubi"), ("القاسم", "al-Qasem"), ("السيد", "al-Sayed")]
PLACES = ["Aleppo", "Homs", "Damascus", "Daraa", "Idlib", "Hama", "Deir ez-Zor", "Raqqa", "Latakia"]


def _timed(fn, repeat: int) -> dict[str, float]:  # noqa: ANN001
    times, size = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        size = fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[max(0, int(round(len(times) * 0.95)) - 1)]
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": round(p95, 1), "kb": round(size / 1024, 1)}


def _person(rng: random.Random) -> tuple[str, str]:
    own, father, grandfather = rng.choice(OWN), rng.choice(OWN[:10]), rng.choice(OWN[:10])
    family = rng.choice(FAMILY)
    return (f"{own[0]} {father[0]} {grandfather[0]} {family[0]}", f"{own[1]} {father[1]} {family[1]}")


def _fill(engine, *, persons: int, donors: int) -> None:  # noqa: ANN001
    from labtrack.core import names
    from labtrack.models import Donor, MissingPerson, NameIndex

    rng = random.Random(7)
    now = datetime.now(UTC)
    statuses = ["missing"] * 8 + ["provisionally_matched", "identified", "closed"]
    index_rows = []
    with engine.begin() as conn:
        batch = []
        for i in range(1, persons + 1):
            ar, latin = _person(rng)
            place = rng.choice(PLACES)
            year = rng.randint(1940, 2005)
            batch.append({"id": i, "case_number": f"MP-{2011 + i % 14}-{i:07d}", "name_ar": ar, "name_latin": latin,
                          "sex": rng.choice("MFU"), "birth_year": year, "disappearance_place": place,
                          "circumstances": "", "dental_notes": "", "distinguishing_marks": "",
                          "status": rng.choice(statuses), "contact_name": "", "contact_phone": "",
                          "contact_relation": "", "notify_preference": "each_time", "wait_for_more_parts": False,
                          "created_at": now})
            index_rows.append({"kind": "missing_person", "person_id": i,
                               "search_key": names.search_key(ar, latin, place), "birth_year": year})
            if len(batch) == 5000:
                conn.execute(MissingPerson.__table__.insert(), batch)  # type: ignore[attr-defined]
                batch = []
        if batch:
            conn.execute(MissingPerson.__table__.insert(), batch)  # type: ignore[attr-defined]
        batch = []
        for i in range(1, donors + 1):
            ar, latin = _person(rng)
            year = rng.randint(1930, 2008)
            batch.append({"id": i, "code": f"D-{i:07d}", "name_ar": ar, "name_latin": latin, "sex": rng.choice("MF"),
                          "birth_year": year, "phone": "", "address": "", "created_at": now})
            index_rows.append({"kind": "donor", "person_id": i, "search_key": names.search_key(ar, latin),
                               "birth_year": year})
            if len(batch) == 5000:
                conn.execute(Donor.__table__.insert(), batch)  # type: ignore[attr-defined]
                batch = []
        if batch:
            conn.execute(Donor.__table__.insert(), batch)  # type: ignore[attr-defined]
        for start in range(0, len(index_rows), 5000):
            conn.execute(NameIndex.__table__.insert(), index_rows[start:start + 5000])  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--donors", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--json", default="")
    args = parser.parse_args()

    from labtrack import create_app, migrations_runner
    from labtrack.db import get_engine, standalone_session
    from labtrack.services import accounts

    workdir = Path(tempfile.mkdtemp(prefix="labtrack-pages-"))
    os.environ["LABTRACK_INSTANCE_PATH"] = str(workdir)  # keys and secrets of the run stay in it
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "SESSION_COOKIE_SECURE": False, "AUDIT_KEY": "bench",
                      "INQUIRY_KEY": "bench", "LABTRACK_INSTANCE_PATH": str(workdir)})
    with app.app_context():
        engine = get_engine()
        migrations_runner.upgrade(engine)
        start = time.perf_counter()
        _fill(engine, persons=args.persons, donors=args.donors)
        fill_s = time.perf_counter() - start
        with standalone_session() as session:
            for role in ("coordinator", "technician"):
                accounts.create_user(session=session, username=role, full_name=role, role=role,
                                     password="bench-password-1234", by="bench")
    results: dict[str, dict[str, float]] = {}
    pages = {
        "coordinator": [
            ("missing persons, first page", "/missing-persons/"),
            ("missing persons, page 1000", "/missing-persons/?page=1000"),
            ("missing persons, last page sorted by name", "/missing-persons/?sort=-name_latin&page=2000"),
            ("missing persons, status filter + birth-year sort", "/missing-persons/?status=closed&sort=birth_year"),
            ("missing persons, text filter", "/missing-persons/?q=Halabi"),
            ("donors, first page", "/donors/"),
            ("find: Arabic name chain", "/find/?q=محمد خليل المصري"),
            ("find: Latin variant + year", "/find/?q=Mohamed el-Masri 1980"),
            ("find: common Arabic pair", "/find/?q=محمد المصري"),
            ("find: one common Latin name", "/find/?q=Muhammad"),
            ("find: rare chain", "/find/?q=زينب إبراهيم الزعبي"),
            ("find: case number", "/find/?q=MP-2013-0050000"),
            ("dashboard", "/dashboard/"),
        ],
        "technician": [
            ("missing persons, first page (blind)", "/missing-persons/"),
            ("find: a name (blind: not searched)", "/find/?q=محمد المصري"),
        ],
    }
    for role, entries in pages.items():
        client = app.test_client()
        client.post("/login", data={"username": role, "password": "bench-password-1234"})
        for label, path in entries:
            def request(path: str = path, client: Any = client) -> int:
                answer = client.get(path)
                assert answer.status_code in (200, 302), (path, answer.status_code)
                return len(answer.data)

            results[f"{role}: {label}"] = _timed(request, args.repeat)
    report = {"machine": platform.platform(), "database": url.split(":")[0], "persons": args.persons,
              "donors": args.donors, "fill_s": round(fill_s, 1), "repeat": args.repeat, "pages": results}
    width = max(len(k) for k in results)
    print(f"{args.persons:,} missing persons, {args.donors:,} donors ({report['database']}), filled in {fill_s:.0f} s")
    print(f"{'page':<{width}}  median ms   p95 ms   KB")
    for label, r in results.items():
        print(f"{label:<{width}}  {r['median_ms']:>9}  {r['p95_ms']:>7}  {r['kb']:>5}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
