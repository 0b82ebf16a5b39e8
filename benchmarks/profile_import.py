"""Benchmark: import N STR profiles (20 loci each) from a long CSV, all or nothing.

Usage (from the repository root)::

    python benchmarks/profile_import.py --profiles 100000 [--database-url URL]

Set-up (not timed): a fresh SQLite file (or the given database, which must be empty), one user,
N remains samples over as many sites as needed (bulk core inserts), and a deterministic long CSV
(``labtrack.simulation``, NIST 1036 frequencies, 20 CODIS loci). Timed: reading and validating
the file (pandas) and storing it through ``labtrack.services.profile_import.import_profiles``
(one ``transaction.write``, core ``executemany`` inserts, one audit summary entry).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from sqlmodel import Session  # noqa: E402

from labtrack.core import ids  # noqa: E402
from labtrack.core.kits import KITS  # noqa: E402
from labtrack.db import create_schema, make_engine  # noqa: E402
from labtrack.fixtures_path import fixtures_dir  # noqa: E402
from labtrack.imports.reader import read_profiles  # noqa: E402
from labtrack.models import Remains, Sample, Site, utcnow  # noqa: E402
from labtrack.services import accounts, profile_import  # noqa: E402
from labtrack.services.transaction import write  # noqa: E402
from labtrack.simulation import load_table  # noqa: E402

PER_SITE = 99_999
LOCI = [locus for locus in KITS["GlobalFiler"].autosomal if locus != "SE33"][:20]


def set_up(session: Session, n: int) -> list[str]:
    accessions = []
    now = utcnow()
    with write(session, actor="benchmark", reason="benchmark set-up"):
        for site_index in range((n + PER_SITE - 1) // PER_SITE):
            code = "B" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[site_index // 26] + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[site_index % 26]
            site = Site(code=code, name_en=f"benchmark site {code}")
            session.add(site)
            session.flush()
            count = min(PER_SITE, n - site_index * PER_SITE)
            remains = [{"accession": ids.remains_id(code, i), "site_id": site.id, "number": i,
                        "remains_type": "complete_body", "next_sample_number": 2, "created_at": now}
                       for i in range(1, count + 1)]
            remains_ids = session.execute(insert(Remains.__table__).returning(  # type: ignore[attr-defined]
                Remains.__table__.c.id, sort_by_parameter_order=True), remains).scalars().all()  # type: ignore[attr-defined]
            samples = [{"accession": ids.sample_id(r["accession"], 1), "remains_id": rid, "number": 1,
                        "sample_type": "femur", "state": "received", "created_at": now}
                       for r, rid in zip(remains, remains_ids, strict=True)]
            session.execute(insert(Sample.__table__), samples)  # type: ignore[attr-defined]
            accessions += [s["accession"] for s in samples]
    return accessions


def make_file(accessions: list[str]) -> bytes:
    """A long CSV of random unrelated genotypes (vectorised draw, NIST 1036 frequencies)."""
    table = load_table(fixtures_dir() / "freqs" / "nist1036.csv")
    rng = np.random.default_rng(7)
    n = len(accessions)
    frames = []
    for locus in LOCI:
        alleles, freqs = table[locus]
        draws = rng.choice(len(alleles), size=(n, 2), p=freqs)
        draws.sort(axis=1)  # table alleles are in ascending order
        names = np.asarray(alleles, dtype=object)
        frames.append(pd.DataFrame({"sample_id": accessions, "marker": locus,
                                    "allele1": names[draws[:, 0]], "allele2": names[draws[:, 1]]}))
    frame = pd.concat(frames).sort_values("sample_id", kind="stable")
    return frame.to_csv(index=False, lineterminator="\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    url = args.database_url or f"sqlite:///{folder}/bench.sqlite"
    engine = make_engine(url)
    create_schema(engine)
    with Session(engine, expire_on_commit=False) as session:
        user = accounts.create_user(session=session, username="bench", full_name="Benchmark",
                                    role="analyst", password="benchmark-password", by="benchmark")
        started = time.perf_counter()
        accessions = set_up(session, args.profiles)
        raw = make_file(accessions)
        print(f"set-up: {len(accessions)} samples, file {len(raw) / 1e6:.1f} MB "
              f"({time.perf_counter() - started:.1f} s, not counted)")
        started = time.perf_counter()
        parsed = read_profiles(raw, filename="bench.csv")
        read_s = time.perf_counter() - started
        assert not parsed.problems, parsed.problems[:5]
        started = time.perf_counter()
        record = profile_import.import_profiles(session=session, raw=raw, filename="bench.csv", by=user)
        total = time.perf_counter() - started
        print(f"read and validate only: {read_s:.1f} s")
        print(f"import_profiles (read + validate + store): {total:.1f} s for {record.n_profiles} profiles "
              f"x {len(LOCI)} loci ({record.n_profiles / total:,.0f} profiles/s) on {engine.dialect.name}")


if __name__ == "__main__":
    main()
