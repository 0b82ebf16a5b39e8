"""Benchmark: re-association of remains by direct matching at Syrian scale (issue 11, item 5).

    python -m benchmarks.reassociation [--remains 150000] [--sites 60] [--dropout 0.05]
                                       [--locus-failure 0.03] [--seed 11]
                                       [--database-url postgresql://...] [--json FILE]

Simulates a set of mass graves: people drawn from the NIST 1036 allele frequencies at the 20
autosomal loci of GlobalFiler, each recovered as one remains or as several body parts (60 % one,
25 % two, 10 % three, 5 % four to six), the parts of a person mostly in one grave of one site and
sometimes in another grave of the same site (commingling, secondary graves). Every remains has
one bone sample with one current profile typed from degraded bone: each heterozygous locus shows
one allele only with probability ``--dropout`` (drop-out), each locus fails with probability
``--locus-failure``. The rows go into a fresh database (migrated; SQLite file by default, an EMPTY
PostgreSQL database with ``--database-url``) in bulk; the default frequency table is imported
through the app.

Then it queues a re-association run (``services.reassociation.request``) and runs it in a worker
(``Worker.run_one``: the direct matching, the grouping, the stored pairs, groups and graves, one
write), timing it and reading the process's peak memory; it checks the result against the truth
(remains of one person grouped together, remains of different people never grouped together),
and times the pages that show it (the graves of the newest run, its groups, a far page and one
site's groups) for an analyst through the app (Flask test client: server time).

Not a test: it only measures. Run big sizes only under ``flock /work/fullsuite.lock`` on shared
machines.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LOCI = ("D3S1358", "vWA", "D16S539", "CSF1PO", "TPOX", "D8S1179", "D21S11", "D18S51", "D2S441", "D19S433",
        "TH01", "FGA", "D22S1045", "D5S818", "D13S317", "D7S820", "SE33", "D10S1248", "D1S1656", "D12S391")
PARTS = ((1, 0.60), (2, 0.25), (3, 0.10), (4, 0.02), (5, 0.02), (6, 0.01))
PASSWORD = "bench-password-1234"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Grave:
    """The simulated people and their remains: genotypes, site and grave of each remains."""

    def __init__(self, n_remains: int, n_sites: int, dropout: float, failure: float, seed: int) -> None:
        from labtrack.fixtures_path import fixtures_dir

        rng = np.random.default_rng(seed)
        table = pd.read_csv(fixtures_dir() / "freqs" / "nist1036.csv", comment="#", dtype={"allele": str})
        sizes, weights = zip(*PARTS, strict=True)
        counts = rng.choice(sizes, size=n_remains, p=weights)  # more people than needed, then cut
        self.person_of = np.repeat(np.arange(n_remains), counts)[:n_remains]
        n_people = int(self.person_of.max()) + 1
        # sites: a third of the people in the first (a big grave), the rest spread; graves T0..T9
        site_of_person = np.where(rng.random(n_people) < 1 / 3, 0, rng.integers(1, max(2, n_sites), n_people))
        grave_of_person = rng.integers(0, 10, n_people)
        moved = rng.random(n_remains) < 0.2  # a part found in another grave of the same site
        self.site = site_of_person[self.person_of] % max(1, n_sites)
        self.grave = np.where(moved, rng.integers(0, 10, n_remains), grave_of_person[self.person_of])
        self.example = ""  # a remains of a person with several parts (set by ``fill``)
        self.calls: list[list[tuple[str, str, str]]] = [[] for _ in range(n_remains)]
        for locus in LOCI:
            rows = table[table.marker == locus]
            names = rows.allele.to_numpy()
            p = rows.frequency.to_numpy(dtype=float)
            p = p / p.sum()
            people = rng.choice(len(names), size=(n_people, 2), p=p)
            alleles = people[self.person_of]
            fails = rng.random(n_remains) < failure
            drops = rng.random(n_remains) < dropout
            for r in range(n_remains):
                if fails[r]:
                    continue
                a, b = sorted((names[alleles[r, 0]], names[alleles[r, 1]]), key=float)
                if a != b and drops[r]:
                    a, b = (a if rng.random() < 0.5 else b), ""
                self.calls[r].append((locus, a, b))


def fill(app: Any, grave: Grave, n_sites: int) -> dict[str, float]:
    """Sites, remains, one sample and one current profile each, their alleles; the default
    frequency table through the app; ``ANALYZE``. Seconds per part."""
    from benchmarks.pages_at_scale import _insert as bulk  # SQLite: executemany; PostgreSQL: COPY
    from labtrack.core import ids
    from labtrack.db import get_engine, standalone_session
    from labtrack.fixtures_path import fixtures_dir
    from labtrack.models import Profile, ProfileAllele, Remains, Sample, Site
    from labtrack.services import accounts, demo

    timings: dict[str, float] = {}
    now = datetime.now(UTC)
    start = time.perf_counter()
    with app.app_context():
        with standalone_session() as session:
            admin = accounts.create_user(session=session, username="admin", full_name="admin", role="admin",
                                         password=PASSWORD, by="bench")
            accounts.create_user(session=session, username="analyst", full_name="analyst", role="analyst",
                                 password=PASSWORD, by="bench")
            demo.load_frequency_table(session, fixtures_dir() / "freqs" / "nist1036.csv", name="NIST 1036",
                                      source="NIST STRBase 1036", make_default=True, actor=admin)
            session.commit()
        timings["users and frequency table"] = time.perf_counter() - start
        start = time.perf_counter()
        codes = [f"S{a}{b}" for a in map(chr, range(65, 91)) for b in map(chr, range(65, 91))][:n_sites]
        n = len(grave.person_of)
        numbers = np.zeros(n_sites, dtype=np.int64)
        accession, number = [], []
        for r in range(n):
            numbers[grave.site[r]] += 1
            number.append(int(numbers[grave.site[r]]))
            accession.append(ids.remains_id(codes[grave.site[r]], number[-1]))
        several = np.flatnonzero(grave.person_of[1:] == grave.person_of[:-1])
        grave.example = accession[int(several[0])] if len(several) else accession[0]
        engine = get_engine()
        with engine.begin() as conn:
            bulk(conn, Site, ({
                "id": k + 1, "code": code, "name_en": f"Site {code}", "name_ar": "", "governorate": "",
                "legal_case_ref": "", "status": "active", "next_remains_number": int(numbers[k]) + 1,
                "created_at": now} for k, code in enumerate(codes)))
            bulk(conn, Remains, ({
                "id": r + 1, "accession": accession[r], "site_id": int(grave.site[r]) + 1,
                "number": number[r], "remains_type": "isolated_part",
                "est_sex": "U", "trench": f"T{grave.grave[r]}", "grid": "", "recovery_team": "",
                "anatomical_elements": "", "next_sample_number": 2, "created_at": now} for r in range(n)))
            bulk(conn, Sample, ({
                "id": r + 1, "accession": ids.sample_id(accession[r], 1), "remains_id": r + 1, "donor_id": None,
                "missing_person_id": None, "number": 1, "sample_type": "femur", "state": "profiled",
                "failure_reason": "", "created_at": now} for r in range(n)))
            bulk(conn, Profile, ({
                "id": r + 1, "sample_id": r + 1, "staff_member_id": None, "origin": "remains", "version": 1,
                "kit": "GlobalFiler", "n_autosomal_loci": len(grave.calls[r]), "searchable": True,
                "is_mixture": False, "superseded": False, "qc_notes": "", "qc_notes_json": "",
                "created_at": now} for r in range(n)))
            bulk(conn, ProfileAllele, ({
                "profile_id": r + 1, "locus": locus, "allele1": a, "allele2": b, "extra_alleles": ""}
                for r in range(n) for locus, a, b in grave.calls[r]))
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                for table in ("site", "remains", "sample", "profile"):
                    conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                         f"(SELECT coalesce(max(id), 0) + 1 FROM \"{table}\"), false)")
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        timings["remains, samples, profiles, alleles (bulk)"] = time.perf_counter() - start
    return {k: round(v, 1) for k, v in timings.items()}


def run(app: Any) -> dict[str, Any]:
    """Queue a run and let a worker take it; seconds, memory and what it stored."""
    from sqlmodel import select

    from labtrack.db import standalone_session
    from labtrack.models import Job, User
    from labtrack.services import reassociation
    from labtrack.services.worker import Worker

    with app.app_context(), standalone_session() as session:
        admin = session.exec(select(User).where(User.username == "admin")).one()
        job = reassociation.request(session, by=admin)
        session.commit()
        job_id = job.id
    before_rss, before_peak = _rss_mb(), _peak_mb()
    start = time.perf_counter()
    cpu = time.process_time()
    Worker(app).run_one()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    with app.app_context(), standalone_session() as session:
        finished = session.get(Job, job_id)
        latest = reassociation.latest(session)
        assert finished is not None and finished.status == "done", (finished.status, finished.error)
        assert latest is not None
        stored = {"run_id": latest.id, "profiles": latest.profiles, "pairs": latest.pairs, "groups": latest.groups}
    return {"seconds": round(seconds, 1), "cpu_seconds": round(cpu_seconds, 1),
            "rss_before_mb": round(before_rss), "peak_mb": round(max(_peak_mb(), before_peak)),
            "peak_grew_mb": round(max(0.0, _peak_mb() - before_peak)), **stored}


def truth(app: Any, grave: Grave, run_id: int) -> dict[str, Any]:
    """The stored groups against the simulated people."""
    from sqlmodel import select

    from labtrack.db import standalone_session
    from labtrack.models import ReassociationGroup

    group_of: dict[int, int] = {}
    with app.app_context(), standalone_session() as session:
        number = {}
        for group_number, remains in session.exec(select(ReassociationGroup.group_number, ReassociationGroup.remains)
                                                  .where(ReassociationGroup.run_id == run_id)):
            for accession in remains.split(","):
                number[accession] = group_number
        from labtrack.models import Remains

        for remains_id, accession in session.exec(select(Remains.id, Remains.accession)):
            if accession in number:
                group_of[int(remains_id) - 1] = number[accession]
    parts = Counter(grave.person_of.tolist())
    multi = [p for p, k in parts.items() if k > 1]
    members: dict[int, list[int]] = {}
    for r, person in enumerate(grave.person_of.tolist()):
        members.setdefault(person, []).append(r)
    whole = sum(1 for p in multi if len({group_of.get(r, -1 - r) for r in members[p]}) == 1)
    linked_pairs = sum(k * (k - 1) // 2 for k in parts.values())
    found_pairs = 0
    for p in multi:
        groups = Counter(group_of.get(r) for r in members[p] if r in group_of)
        found_pairs += sum(k * (k - 1) // 2 for k in groups.values())
    people_in_group: dict[int, set[int]] = {}
    for r, g in group_of.items():
        people_in_group.setdefault(g, set()).add(int(grave.person_of[r]))
    false_groups = sum(1 for people in people_in_group.values() if len(people) > 1)
    return {"people": len(parts), "people_with_several_parts": len(multi),
            "people_regrouped_whole": whole, "same_person_pairs": linked_pairs, "same_person_pairs_linked": found_pairs,
            "groups_mixing_people": false_groups}


def pages(app: Any, run_id: int, repeat: int, find: str) -> dict[str, dict[str, float]]:
    """The re-association pages for an analyst: median / p95 ms and KB (``find``: a remains ID)."""
    client = app.test_client()
    answer = client.post("/login", data={"username": "analyst", "password": PASSWORD})
    assert answer.status_code in (200, 302), answer.status_code
    urls = {"graves of the newest run": "/profiles/reassociation/",
            "graves, far page": "/profiles/reassociation/?page=5",
            "groups of the run": f"/profiles/reassociation/runs/{run_id}/groups",
            "groups, far page": f"/profiles/reassociation/runs/{run_id}/groups?page=500",
            "groups of one site": f"/profiles/reassociation/runs/{run_id}/groups?site_code=SAA",
            "groups: find a remains": f"/profiles/reassociation/runs/{run_id}/groups?q={find}"}
    result = {}
    for name, url in urls.items():
        first = client.get(url)
        assert first.status_code == 200, (url, first.status_code)
        if "q=" in url:  # the remains searched for is on the page, in its group
            assert find in first.get_data(as_text=True), url
        times, size = [], len(first.data)
        for _ in range(repeat):
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        times = sorted(times) or [0.0]
        result[name] = {"median_ms": round(statistics.median(times), 1),
                        "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
                        "kb": round(size / 1024, 1)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--remains", type=int, default=150_000)
    parser.add_argument("--sites", type=int, default=60)
    parser.add_argument("--dropout", type=float, default=0.05)
    parser.add_argument("--locus-failure", type=float, default=0.03)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from labtrack import create_app, migrations_runner
    from labtrack.db import get_engine

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'reassociation.sqlite'}"
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                          "RATELIMIT_ENABLED": False, "JOBS_INLINE": False, "CONTINUOUS_MATCHING": False,
                          "SESSION_COOKIE_SECURE": False, "ARTIFACTS_DIR": tmp, "AUDIT_KEY": "bench-audit-key",
                          "AUDIT_CHECKPOINT_FILE": str(Path(tmp) / "checkpoints.jsonl")})
        migrations_runner.upgrade(get_engine(app))
        start = time.perf_counter()
        grave = Grave(args.remains, args.sites, args.dropout, args.locus_failure, args.seed)
        simulated = round(time.perf_counter() - start, 1)
        filled = fill(app, grave, args.sites)
        print(f"simulated {args.remains:,} remains in {simulated} s; filled {filled}", flush=True)
        job = run(app)
        print(f"re-association run: {job}", flush=True)
        checked = truth(app, grave, job["run_id"])
        print(f"against the truth: {checked}", flush=True)
        timed = pages(app, job["run_id"], args.repeat, grave.example)
        for name, numbers in timed.items():
            print(f"  {name:28} median {numbers['median_ms']:7.1f} ms  p95 {numbers['p95_ms']:7.1f} ms  "
                  f"{numbers['kb']:6.1f} KB")
        get_engine(app).dispose()
    report = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
              "cpus": os.cpu_count(), "load_average": os.getloadavg(), "database": "postgresql" if
              args.database_url else "sqlite", "remains": args.remains, "sites": args.sites,
              "dropout": args.dropout, "locus_failure": args.locus_failure, "simulated_s": simulated,
              "fill_s": filled, "run": job, "truth": checked, "pages": timed}
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
