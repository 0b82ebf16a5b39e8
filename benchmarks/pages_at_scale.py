"""Benchmark: pages at Syrian scale — lists, the search box and the dashboard with many rows.

    python -m benchmarks.pages_at_scale [--persons 100000] [--donors 100000] [--candidates 100000]
                                        [--repeat 20] [--database-url postgresql://...] [--json FILE]

Fills a fresh database (SQLite file by default; an empty PostgreSQL database with
``--database-url``) with ``--persons`` missing persons and ``--donors`` donors whose names are
drawn from Arabic name chains with their Latin transliterations (bulk inserts, with their
name-index keys; no audit rows: this measures reads), and ``--candidates`` open candidate matches
(remains with a sample and profile each in 15 sites, one family per two candidates, every
candidate with rivals, 5 % proposed), then, logged in as a coordinator (who sees names), an
analyst (the review queue) and a technician (who does not see names), requests each page once
(not reported) and then ``--repeat`` times through the app (Flask test client: server time, no
network) and reports the median, the p95 and the page size.

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


def _insert(conn, model, rows: list[dict[str, Any]]) -> None:  # noqa: ANN001
    for start in range(0, len(rows), 5000):
        conn.execute(model.__table__.insert(), rows[start:start + 5000])


def _fill_candidates(engine, *, candidates: int, persons: int, analyst_id: int) -> None:  # noqa: ANN001
    """``candidates`` open candidate matches: remains (one sample and profile each) in 15 sites,
    each remains a candidate for two families, each family for two remains (so every candidate has
    rivals), 5 % proposed for confirmation; families' missing persons from the registered ones."""
    from labtrack.core import ids
    from labtrack.models import (
        Family,
        FrequencyTable,
        Match,
        MatchReview,
        MatchRun,
        PedigreeMember,
        Profile,
        Remains,
        Sample,
        Site,
    )

    rng = random.Random(11)
    now = datetime.now(UTC)
    n_remains = max(1, candidates // 2)
    n_families = n_remains
    codes = [f"S{chr(65 + i)}{chr(65 + j)}" for i in range(5) for j in range(3)]
    with engine.begin() as conn:
        _insert(conn, Site, [{"id": k + 1, "code": code, "name_en": f"Site {code}", "name_ar": "", "governorate": "",
                              "legal_case_ref": "", "status": "active", "next_remains_number": n_remains + 1,
                              "created_at": now} for k, code in enumerate(codes)])
        remains, samples, profiles = [], [], []
        for i in range(1, n_remains + 1):
            site = (i - 1) % len(codes)
            accession = ids.remains_id(codes[site], i)
            remains.append({"id": i, "accession": accession, "site_id": site + 1, "number": i,
                            "remains_type": rng.choice(["complete_body", "isolated_part"]), "est_sex": "U",
                            "trench": "", "grid": "", "recovery_team": "", "anatomical_elements": "",
                            "next_sample_number": 2, "created_at": now})
            samples.append({"id": i, "accession": ids.sample_id(accession, 1), "remains_id": i, "number": 1,
                            "sample_type": "femur", "state": "profiled", "failure_reason": "", "created_at": now})
            profiles.append({"id": i, "sample_id": i, "origin": "remains", "version": 1, "kit": "GlobalFiler",
                             "n_autosomal_loci": 20, "searchable": True, "is_mixture": False, "superseded": False,
                             "qc_notes": "", "created_at": now})
        _insert(conn, Remains, remains)
        _insert(conn, Sample, samples)
        _insert(conn, Profile, profiles)
        _insert(conn, Family, [{"id": f, "code": f"FAM-{f:07d}", "created_at": now} for f in range(1, n_families + 1)])
        _insert(conn, PedigreeMember, [{"id": f, "family_id": f, "person_code": "MP", "sex": "U",
                                        "missing_person_id": (f - 1) % max(1, persons) + 1 if persons else None,
                                        "relation_label": "missing person"} for f in range(1, n_families + 1)])
        _insert(conn, FrequencyTable, [{"id": 1, "name": "bench", "source": "bench", "is_default": True,
                                        "created_at": now}])
        _insert(conn, MatchRun, [{"id": 1, "started_by_id": analyst_id, "status": "done", "progress": 1.0,
                                  "frequency_table_id": 1, "params_json": "{}", "engine_version": "bench",
                                  "scope_json": '{"full": true}', "outcome_json": "{}", "n_remains": n_remains,
                                  "n_families": n_families, "n_matches": candidates, "created_at": now}])
        shift = max(1, n_families // 3)
        matches, reviews = [], []
        for m in range(1, candidates + 1):
            r = (m - 1) // 2 % n_remains + 1
            family = (r - 1 + ((m - 1) % 2) * shift) % n_families + 1
            lr = round(rng.uniform(1.0, 14.0), 3)
            matches.append({"id": m, "run_id": 1, "profile_id": r, "sample_id": r, "family_id": family, "log10_lr": lr,
                            "posterior": 0.9999 if lr > 6 else 0.5, "prior": 1e-5, "rank": 1, "loci_used": 20,
                            "per_locus_json": "[]", "near_miss": False, "excluded_loci": "", "closed_reason": "",
                            "created_at": now})
            if m % 20 == 0:
                reviews.append({"match_id": m, "step": "propose_confirm", "reason": "bench", "by_user_id": analyst_id,
                                "at": now})
        _insert(conn, Match, matches)
        _insert(conn, MatchReview, reviews)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--donors", type=int, default=100_000)
    parser.add_argument("--candidates", type=int, default=100_000, help="open candidate matches (review queue)")
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
            users = {role: accounts.create_user(session=session, username=role, full_name=role, role=role,
                                                password="bench-password-1234", by="bench")
                     for role in ("coordinator", "technician", "analyst")}
        start = time.perf_counter()
        _fill_candidates(engine, candidates=args.candidates, persons=args.persons, analyst_id=users["analyst"].id)
        with engine.begin() as conn:  # planner statistics, as autovacuum / a maintained database has them
            conn.exec_driver_sql("ANALYZE")
        fill_s += time.perf_counter() - start
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
        "analyst": [
            ("review queue, first page", "/review/"),
            ("review queue, page 500", "/review/?page=500"),
            ("review queue, last page", "/review/?page=2000"),
            ("review queue, sorted by posterior", "/review/?sort=posterior"),
            ("review queue, proposed for confirmation", "/review/?status=proposed_confirm"),
            ("review queue, one site", "/review/?site=SBB"),
            ("review queue API, 100 rows", "/api/v1/review/matches?limit=100"),
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

            request()  # one warm-up request, not reported
            results[f"{role}: {label}"] = _timed(request, args.repeat)
    report = {"machine": platform.platform(), "database": url.split(":")[0], "persons": args.persons,
              "donors": args.donors, "candidates": args.candidates, "fill_s": round(fill_s, 1), "repeat": args.repeat,
              "pages": results}
    width = max(len(k) for k in results)
    print(f"{args.persons:,} missing persons, {args.donors:,} donors, {args.candidates:,} candidates "
          f"({report['database']}), filled in {fill_s:.0f} s")
    print(f"{'page':<{width}}  median ms   p95 ms   KB")
    for label, r in results.items():
        print(f"{label:<{width}}  {r['median_ms']:>9}  {r['p95_ms']:>7}  {r['kb']:>5}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
