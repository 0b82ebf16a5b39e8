"""Benchmark: pages at Syrian scale — every page of the navigation and the search box, for each role.

    python -m benchmarks.pages_at_scale [--scale small|full] [--persons N] [--donors N] [--families N]
                                        [--remains N] [--samples N] [--profiles N] [--custody-events N]
                                        [--audit-entries N] [--candidates N] [--documents N] [--sites N]
                                        [--repeat 20] [--roles admin,...] [--pages REGEX]
                                        [--database-url postgresql://...] [--json FILE]

Fills a fresh database (SQLite file by default; an EMPTY PostgreSQL database with
``--database-url``) in bulk: SQLAlchemy core ``executemany`` in batches of 5,000 on SQLite, one
``COPY`` per table on PostgreSQL (the name index's GIN trigram index dropped for the load and made
again after it; then ``VACUUM ANALYZE``), rows that satisfy the models' constraints, triggers and
the app's own rules:

- missing persons and donors with Arabic name chains and Latin transliterations, and their
  name-index keys (``names.search_key``);
- families: one missing person and ``donors / families`` typed donors each (pedigree members);
- sites (half of the remains in the first, the rest spread over the others), remains with
  accessions from ``ids.remains_id``; samples (one per remains, then donors' reference kits
  ``ids.reference_id``); profiles (re-typed versions: the older ones superseded);
- open candidate matches of one match run (every candidate with rivals, 5 % proposed for
  confirmation, through ``match_review`` so the review-status triggers keep ``match.review_status``),
  some more finished match runs;
- custody items (every remains and sample) and their custody events, chained by
  ``previous_event_id`` (register, receive, store, handover, return, ...);
- issued documents (numbers from ``ids.document_number``; no PDF bytes: the list does not load them);
- audit entries continuing the app's hash chain (``audit.entry_hash``, with the audit key's MAC and a
  signed checkpoint of the new head), so ``labtrack audit verify`` still verifies the database.

``--scale full`` is issue 11's size (100,000 missing persons, 300,000 donors in 100,000 families,
150,000 remains, 200,000 samples, 400,000 profiles, 1,000,000 custody events, 2,000,000 audit
entries, 100,000 candidates); ``--scale small`` (default) is a quick check a hundred times smaller.
Any size can be given on its own.

Then, logged in as each role (technician, analyst, coordinator, admin), it requests every page of
the navigation (``labtrack.web.NAVIGATION``) and of the lists behind it (sites, a site's remains,
samples, profiles, missing persons, donors, families, match runs, the review queue, documents,
custody events, the audit log, the dashboard), a far page and a filter where the list has them, a
few detail pages, and the search box by ID and by name: once (warm-up, not reported; a page the
role may not open answers 403 and is listed as such) and then ``--repeat`` times through the app
(Flask test client: server time, no network; a page whose warm-up took over 2 s only 3 times, the
slowest as its p95). It reports the median, the p95 and the page size,
and flags every page over the targets (p95 <= 300 ms and <= 500 KB; a name search <= 200 ms).

Before the pages, it computes the dashboard's figures three times as the worker's job does and
reports the seconds (the page shows the stored figures: ``services.dashboard_snapshot``).

``--pages REGEX`` times only the pages whose label matches; ``--roles ''`` only fills. Not a
test: it only measures. Run big sizes only under ``flock /work/fullsuite.lock`` on shared
machines.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OWN = [("محمد", "Mohammad"), ("محمّد", "Muhammad"), ("أحمد", "Ahmad"), ("علي", "Ali"), ("خالد", "Khaled"),
       ("عمر", "Omar"), ("يوسف", "Youssef"), ("حسن", "Hassan"), ("إبراهيم", "Ibrahim"), ("مصطفى", "Mustafa"),
       ("فاطمة", "Fatima"), ("مريم", "Maryam"), ("عائشة", "Aisha"), ("زينب", "Zainab"), ("سامر", "Samer")]
FAMILY = [("المصري", "al-Masri"), ("الحلبي", "al-Halabi"), ("الشامي", "al-Shami"), ("الحمصي", "al-Homsi"),
          ("العلي", "al-Ali"), ("الأحمد", "al-Ahmad"), ("الخطيب", "al-Khatib"), ("النجار", "al-Najjar"),
          ("الحداد", "al-Haddad"), ("الزعبي", "al-Zoubi"), ("القاسم", "al-Qasem"), ("السيد", "al-Sayed")]
PLACES = ["Aleppo", "Homs", "Damascus", "Daraa", "Idlib", "Hama", "Deir ez-Zor", "Raqqa", "Latakia"]
ROLES = ("technician", "analyst", "coordinator", "admin")
PASSWORD = "bench-password-1234"
BATCH = 5000
TARGET_MS, TARGET_KB, TARGET_NAME_SEARCH_MS = 300.0, 500.0, 200.0
SLOW_S, SLOW_REPEAT = 2.0, 3  # a page whose warm-up took over 2 s is timed 3 times (its p95 is their slowest)


@dataclass(frozen=True)
class Sizes:
    """How many rows of each kind the benchmark writes."""

    persons: int
    donors: int
    families: int
    remains: int
    samples: int
    profiles: int
    custody_events: int
    audit_entries: int
    candidates: int
    documents: int
    sites: int
    match_runs: int


SCALES: dict[str, Sizes] = {
    # issue 11: "at least 100,000 missing persons, 300,000 donors in 100,000 families, 150,000 remains,
    # 200,000 samples, 400,000 profiles, 1,000,000 custody events, 2,000,000 audit entries"
    "full": Sizes(persons=100_000, donors=300_000, families=100_000, remains=150_000, samples=200_000,
                  profiles=400_000, custody_events=1_000_000, audit_entries=2_000_000, candidates=100_000,
                  documents=100_000, sites=60, match_runs=200),
    "small": Sizes(persons=1_000, donors=3_000, families=1_000, remains=1_500, samples=2_000, profiles=4_000,
                   custody_events=10_000, audit_entries=20_000, candidates=1_000, documents=1_000, sites=15,
                   match_runs=20),
    # for the smoke test: seconds, not minutes
    "tiny": Sizes(persons=40, donors=90, families=30, remains=40, samples=60, profiles=100, custody_events=300,
                  audit_entries=200, candidates=30, documents=20, sites=4, match_runs=3),
}


@dataclass(frozen=True)
class Landmarks:
    """Rows the pages are requested about (a far page needs the list's length, a detail page an ID)."""

    big_site: str
    remains_in_big_site: int
    remains_accession: str
    sample_accession: str
    reference_accession: str
    case_number: str
    person_id: int
    donor_id: int
    family_id: int
    match_id: int
    run_id: int
    item_accession: str


def _timed(fn: Callable[[], int], repeat: int) -> dict[str, float]:
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


def _insert(conn: Any, model: Any, rows: Iterator[dict[str, Any]] | list[dict[str, Any]]) -> int:
    """Insert ``rows`` (any iterable); the count. On SQLite SQLAlchemy core ``executemany`` in
    batches of 5,000; on PostgreSQL one ``COPY ... FROM STDIN`` for the whole table (``_copy``)."""
    table = model.__table__
    if conn.dialect.name == "postgresql":
        return _copy(conn, table, rows)
    batch, count = [], 0
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            conn.execute(table.insert(), batch)
            count += len(batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
        count += len(batch)
    return count


def _copy(conn: Any, table: Any, rows: Iterator[dict[str, Any]] | list[dict[str, Any]]) -> int:
    """Stream ``rows`` into ``table`` with one PostgreSQL ``COPY`` (psycopg's ``cursor.copy``, as
    ``services.profile_import`` does), in the connection's transaction. The rows are what an
    ``INSERT`` through SQLAlchemy would write: the columns a row leaves out get their model
    default, and every value goes through its column type's bind processor. Triggers fire as for
    an ``INSERT``: row triggers per row, statement triggers (the family side's version) once.
    (The multi-row ``INSERT ... VALUES`` per 1,000 rows it replaced spent most of the fill in
    SQLAlchemy compiling those statements: 349 s against 31 s at a tenth of the full scale.)"""
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return 0
    given = list(first)
    defaults: dict[str, Any] = {}
    for column in table.columns:
        if column.name in first or column.default is None:
            continue  # left out without a model default: the server's default (an id's sequence) or NULL
        default = column.default
        if default.is_scalar:
            defaults[column.name] = default.arg
        elif default.is_callable:
            defaults[column.name] = default.arg(None)
        else:
            raise ValueError(f"{table.name}.{column.name}: a default the benchmark cannot copy ({default!r})")
    columns = given + list(defaults)
    dialect = conn.dialect
    processors = [table.c[name].type.bind_processor(dialect) for name in columns]
    fixed = tuple(defaults.values())
    raw = conn.connection.dbapi_connection
    quoted = ", ".join(f'"{name}"' for name in columns)
    count = 0
    # table and column names come from the models' metadata, the values go through COPY's own encoding
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        for row in itertools.chain((first,), iterator):
            values = (*(row[name] for name in given), *fixed)
            copy.write_row([value if process is None else process(value)
                            for process, value in zip(processors, values, strict=True)])
            count += 1
    return count


def _fill_people(conn: Any, sizes: Sizes, now: datetime) -> None:
    """Missing persons and donors (names in both scripts) and their name-index keys."""
    from labtrack.core import names
    from labtrack.models import Donor, MissingPerson, NameIndex
    from labtrack.models.search import TRGM_INDEX, drop_text_index, install_text_index

    rng = random.Random(7)
    statuses = ["missing"] * 8 + ["provisionally_matched", "identified", "closed"]
    index_rows: list[dict[str, Any]] = []

    def persons() -> Iterator[dict[str, Any]]:
        for i in range(1, sizes.persons + 1):
            ar, latin = _person(rng)
            place = rng.choice(PLACES)
            year = rng.randint(1940, 2005)
            index_rows.append({"kind": "missing_person", "person_id": i,
                               "search_key": names.search_key(ar, latin, place), "birth_year": year})
            yield {"id": i, "case_number": f"MP-{2011 + i % 14}-{i:07d}", "name_ar": ar, "name_latin": latin,
                   "sex": rng.choice("MFU"), "birth_year": year, "disappearance_place": place,
                   "circumstances": "", "dental_notes": "", "distinguishing_marks": "",
                   "status": rng.choice(statuses), "contact_name": "", "contact_phone": "",
                   "contact_relation": "", "notify_preference": "each_time", "wait_for_more_parts": False,
                   "created_at": now}

    def donors() -> Iterator[dict[str, Any]]:
        for i in range(1, sizes.donors + 1):
            ar, latin = _person(rng)
            year = rng.randint(1930, 2008)
            index_rows.append({"kind": "donor", "person_id": i, "search_key": names.search_key(ar, latin),
                               "birth_year": year})
            yield {"id": i, "code": f"D-{i:07d}", "name_ar": ar, "name_latin": latin, "sex": rng.choice("MF"),
                   "birth_year": year, "phone": "", "address": "", "created_at": now}

    _insert(conn, MissingPerson, persons())
    _insert(conn, Donor, donors())
    trigram = conn.dialect.name == "postgresql" and conn.exec_driver_sql(
        "SELECT to_regclass(%s) IS NOT NULL", (TRGM_INDEX,)).scalar()
    if trigram:
        # PostgreSQL: the GIN trigram index built once after the load rather than kept row by row; the
        # same index as the migration's (``models.search.install_text_index``)
        drop_text_index(conn)
    _insert(conn, NameIndex, index_rows)  # SQLite: the FTS5 table is kept by the name index's triggers
    if trigram:
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
        if not install_text_index(conn):
            raise RuntimeError(f"{TRGM_INDEX} could not be made again after the load")


def _site_codes(n: int) -> list[str]:
    letters = [chr(65 + k) for k in range(26)]
    return [f"S{a}{b}" for a in letters for b in letters][:n]


@dataclass
class _Lab:
    """What one step of the fill hands the next (the rows' IDs and accessions)."""

    conn: Any
    sizes: Sizes
    now: datetime
    users: dict[str, int]
    rng: random.Random = field(default_factory=lambda: random.Random(11))
    n_families: int = 0
    codes: list[str] = field(default_factory=list)
    per_site: list[int] = field(default_factory=list)
    remains_accessions: list[str] = field(default_factory=list)
    sample_accessions: list[str] = field(default_factory=list)
    n_remains_samples: int = 0
    n_reference: int = 0
    current_profile: dict[int, int] = field(default_factory=dict)
    runs: int = 0
    n_matches: int = 0


def _fill_families(lab: _Lab) -> None:
    from labtrack.models import Family, PedigreeMember

    conn, sizes, now = lab.conn, lab.sizes, lab.now
    # families: the missing person and ``donors / families`` donors each (every donor in one family)
    n_families = lab.n_families = max(1, sizes.families)
    _insert(conn, Family, ({"id": f, "code": f"FAM-{f:07d}", "created_at": now} for f in range(1, n_families + 1)))

    def members() -> Iterator[dict[str, Any]]:
        member = 0
        for f in range(1, n_families + 1):
            member += 1
            yield {"id": member, "family_id": f, "person_code": "MP", "sex": "U",
                   "missing_person_id": (f - 1) % sizes.persons + 1 if sizes.persons else None,
                   "donor_id": None, "relation_label": "missing person"}
        for d in range(1, sizes.donors + 1):
            member += 1
            yield {"id": member, "family_id": (d - 1) % n_families + 1, "person_code": f"D{d}", "sex": "U",
                   "missing_person_id": None, "donor_id": d, "relation_label": "relative"}

    _insert(conn, PedigreeMember, members())



def _fill_remains(lab: _Lab) -> None:
    from labtrack.core import ids
    from labtrack.models import Remains, Site

    conn, sizes, now, rng = lab.conn, lab.sizes, lab.now, lab.rng
    # sites: half of the remains in the first site (a big grave), the rest spread over the others
    codes = lab.codes = _site_codes(max(1, sizes.sites))
    per_site = lab.per_site = [0] * len(codes)
    remains_site: list[int] = []
    for i in range(sizes.remains):
        site = 0 if i < sizes.remains // 2 or len(codes) == 1 else 1 + i % (len(codes) - 1)
        per_site[site] += 1
        remains_site.append(site)
    _insert(conn, Site, [{"id": k + 1, "code": code, "name_en": f"Site {code}", "name_ar": "", "governorate": "",
                          "legal_case_ref": "", "status": "active", "next_remains_number": per_site[k] + 1,
                          "created_at": now} for k, code in enumerate(codes)])
    numbers = [0] * len(codes)
    remains_accessions = lab.remains_accessions

    def remains() -> Iterator[dict[str, Any]]:
        for i, site in enumerate(remains_site, start=1):
            numbers[site] += 1
            accession = ids.remains_id(codes[site], numbers[site])
            remains_accessions.append(accession)
            yield {"id": i, "accession": accession, "site_id": site + 1, "number": numbers[site],
                   "remains_type": rng.choice(["complete_body", "isolated_part", "partial"]), "est_sex": "U",
                   "trench": f"T{i % 9}", "grid": "", "recovery_team": "", "anatomical_elements": "",
                   "next_sample_number": 2 if i <= sizes.samples else 1, "created_at": now}

    _insert(conn, Remains, remains())



def _fill_samples(lab: _Lab) -> None:
    from labtrack.core import ids
    from labtrack.models import Profile, Sample

    conn, sizes, now, rng = lab.conn, lab.sizes, lab.now, lab.rng
    remains_accessions = lab.remains_accessions
    # samples: one per remains first, then the donors' reference kits
    n_remains_samples = lab.n_remains_samples = min(sizes.samples, sizes.remains)
    n_reference = lab.n_reference = min(sizes.samples - n_remains_samples, sizes.donors)
    sample_accessions = lab.sample_accessions

    def samples() -> Iterator[dict[str, Any]]:
        for i in range(1, n_remains_samples + 1):
            accession = ids.sample_id(remains_accessions[i - 1], 1)
            sample_accessions.append(accession)
            yield {"id": i, "accession": accession, "remains_id": i, "donor_id": None, "missing_person_id": None,
                   "number": 1, "sample_type": rng.choice(["femur", "tibia", "petrous", "tooth"]),
                   "state": "profiled" if i % 10 else rng.choice(["received", "extracted", "amplified"]),
                   "failure_reason": "", "created_at": now}
        for k in range(1, n_reference + 1):
            accession = ids.reference_id(k)
            sample_accessions.append(accession)
            yield {"id": n_remains_samples + k, "accession": accession, "remains_id": None, "donor_id": k,
                   "missing_person_id": None, "number": 1, "sample_type": "buccal_swab", "state": "profiled",
                   "failure_reason": "", "created_at": now}

    n_samples = _insert(conn, Sample, samples())

    # profiles: ``profiles / samples`` versions per sample, the older ones superseded
    current_profile = lab.current_profile

    def profiles() -> Iterator[dict[str, Any]]:
        if not n_samples:
            return
        base, extra = divmod(sizes.profiles, n_samples)
        profile = 0
        for s in range(1, n_samples + 1):
            versions = base + (1 if s <= extra else 0)
            for version in range(1, versions + 1):
                profile += 1
                latest = version == versions
                if latest:
                    current_profile[s] = profile
                yield {"id": profile, "sample_id": s, "staff_member_id": None,
                       "origin": "remains" if s <= n_remains_samples else "reference", "version": version,
                       "kit": "GlobalFiler", "n_autosomal_loci": 20 if latest else 12, "searchable": latest,
                       "is_mixture": False, "superseded": not latest,
                       "qc_notes": "" if latest or version > 1 else "re-typed: low peak heights",
                       "qc_notes_json": "", "created_at": now}

    _insert(conn, Profile, profiles())



def _fill_candidates(lab: _Lab) -> None:
    from labtrack.models import FrequencyTable, Match, MatchReview, MatchRun

    conn, sizes, now, rng, users = lab.conn, lab.sizes, lab.now, lab.rng, lab.users
    n_families, n_remains_samples, current_profile = lab.n_families, lab.n_remains_samples, lab.current_profile
    # one match run with the open candidates (rivals for every candidate), finished runs before it
    _insert(conn, FrequencyTable, [{"id": 1, "name": "bench", "source": "bench", "is_default": True,
                                    "created_at": now}])
    typed_remains = [s for s in range(1, n_remains_samples + 1) if s in current_profile]
    n_cand_remains = min(len(typed_remains), max(1, sizes.candidates // 2))
    runs = lab.runs = max(1, sizes.match_runs)
    _insert(conn, MatchRun, ({"id": r, "started_by_id": users["analyst"], "status": "done", "progress": 1.0,
                              "frequency_table_id": 1, "params_json": "{}", "engine_version": "bench",
                              "scope_json": '{"full": true}', "outcome_json": "{}",
                              "n_remains": n_cand_remains, "n_families": n_families,
                              "n_matches": sizes.candidates if r == runs else 0,
                              "created_at": now - timedelta(days=runs - r)} for r in range(1, runs + 1)))
    shift = max(1, n_families // 3)
    reviews: list[dict[str, Any]] = []

    def matches() -> Iterator[dict[str, Any]]:
        if not n_cand_remains:
            return
        for m in range(1, sizes.candidates + 1):
            r = typed_remains[(m - 1) // 2 % n_cand_remains]
            family = (r - 1 + ((m - 1) % 2) * shift) % n_families + 1
            lr = round(rng.uniform(1.0, 14.0), 3)
            if m % 20 == 0:
                reviews.append({"match_id": m, "step": "propose_confirm", "reason": "bench",
                                "by_user_id": users["analyst"], "at": now})
            yield {"id": m, "run_id": runs, "profile_id": current_profile[r], "sample_id": r, "family_id": family,
                   "log10_lr": lr, "posterior": 0.9999 if lr > 6 else 0.5, "prior": 1e-5, "rank": 1,
                   "loci_used": 20, "per_locus_json": "[]", "near_miss": False, "excluded_loci": "",
                   "closed_reason": "", "created_at": now}

    lab.n_matches = _insert(conn, Match, matches())
    _insert(conn, MatchReview, reviews)



def _fill_custody(lab: _Lab) -> None:
    from labtrack.core import ids
    from labtrack.models import CustodyEvent, CustodyItem, StorageLocation

    conn, sizes, now, users = lab.conn, lab.sizes, lab.now, lab.users
    remains_accessions, sample_accessions = lab.remains_accessions, lab.sample_accessions
    # storage: a room, two freezers, boxes
    locations = [{"id": 1, "accession": ids.location_id("R01"), "name": "Room 1", "level": "room", "parent_id": None,
                  "created_at": now}]
    for f in range(1, 3):
        locations.append({"id": 1 + f, "accession": ids.location_id("R01", f"F{f:02d}"), "name": f"Freezer {f}",
                          "level": "freezer", "parent_id": 1, "created_at": now})
    boxes = []
    for f in range(1, 3):
        for b in range(1, 21):
            box = len(locations) + 1
            boxes.append(box)
            locations.append({"id": box, "accession": ids.location_id("R01", f"F{f:02d}", f"B{b:02d}"),
                              "name": f"Box {b}", "level": "box", "parent_id": 1 + f, "created_at": now})
    _insert(conn, StorageLocation, locations)

    # custody: every remains and sample is an item; events chained per item
    items = [(acc, "remains", i, None) for i, acc in enumerate(remains_accessions, start=1)]
    items += [(acc, "sample", None, s) for s, acc in enumerate(sample_accessions, start=1)]
    _insert(conn, CustodyItem, ({"id": k, "accession": acc, "kind": kind, "remains_id": r, "sample_id": s,
                                 "location_id": None, "created_at": now}
                                for k, (acc, kind, r, s) in enumerate(items, start=1)))
    cycle = ("receive", "store", "handover", "return", "store", "handover", "return")
    start_at = now - timedelta(days=3 * 365)
    step = timedelta(seconds=max(1, int(3 * 365 * 86400 / max(1, sizes.custody_events))))

    def events() -> Iterator[dict[str, Any]]:
        if not items:
            return
        base, extra = divmod(sizes.custody_events, len(items))
        event = 0
        for k in range(1, len(items) + 1):
            previous = None
            for n in range(base + (1 if k <= extra else 0)):
                event += 1
                action = "register" if n == 0 else cycle[(n - 1) % len(cycle)]
                yield {"id": event, "event_key": None, "item_id": k, "previous_event_id": previous,
                       "action": action, "from_user_id": None,
                       "to_user_id": users["technician"] if action in ("register", "receive", "handover") else None,
                       "from_location_id": None, "to_location_id": boxes[k % len(boxes)] if action == "store" else None,
                       "to_party": "", "reason": "", "seal_number": "", "seal_intact": None, "shipment_ref": "",
                       "batch_ref": f"B-{k // 500:05d}", "corrects_event_id": None,
                       "recorded_by_id": users["technician"], "method": "scanned", "at": start_at + step * event}
                previous = event

    _insert(conn, CustodyEvent, events())



def _fill_documents(lab: _Lab) -> None:
    from labtrack.core import ids
    from labtrack.models import IssuedDocument

    conn, sizes, now, users = lab.conn, lab.sizes, lab.now, lab.users
    kinds = ("labels", "custody_form", "transfer_manifest", "match_report", "certificate", "notification")
    _insert(conn, IssuedDocument, ({"id": d, "number": ids.document_number(2026, d), "kind": kinds[d % len(kinds)],
                                    "record_type": "remains", "record_id": (d - 1) % max(1, sizes.remains) + 1,
                                    "sha256": f"{d:064x}", "language": "en" if d % 3 else "ar", "params_json": "{}",
                                    "reissue_of_id": None, "issued_by_id": users["coordinator"],
                                    "at": now - timedelta(minutes=sizes.documents - d)}
                                   for d in range(1, sizes.documents + 1)))


def _fill_lab(conn: Any, sizes: Sizes, now: datetime, users: dict[str, int]) -> Landmarks:
    """Families, sites, remains, samples, profiles, candidates, match runs, custody, documents."""
    lab = _Lab(conn, sizes, now, users)
    for step in (_fill_families, _fill_remains, _fill_samples, _fill_candidates, _fill_custody, _fill_documents):
        step(lab)
    codes, per_site, remains_accessions, sample_accessions = lab.codes, lab.per_site, lab.remains_accessions, \
        lab.sample_accessions
    n_remains_samples, n_reference, n_families, n_matches, runs = lab.n_remains_samples, lab.n_reference, \
        lab.n_families, lab.n_matches, lab.runs
    big = codes[0]
    return Landmarks(big_site=big, remains_in_big_site=per_site[0],
                     remains_accession=remains_accessions[len(remains_accessions) // 3] if remains_accessions else "",
                     sample_accession=sample_accessions[n_remains_samples // 2] if n_remains_samples else "",
                     reference_accession=sample_accessions[-1] if n_reference else "",
                     case_number=f"MP-{2011 + (sizes.persons // 2) % 14}-{sizes.persons // 2:07d}",
                     person_id=max(1, sizes.persons // 2), donor_id=max(1, sizes.donors // 2),
                     family_id=max(1, n_families // 2), match_id=max(1, n_matches // 2), run_id=runs,
                     item_accession=remains_accessions[0] if remains_accessions else "")



def _fill_audit(conn: Any, n: int, seal: Any) -> None:
    """``n`` audit entries continuing the chain from its head (hash, MAC, and a signed checkpoint
    of the new head), as the app's session hook would have written them for row creations."""
    from labtrack.models import AuditEntry
    from labtrack.services import audit

    seq, prev = audit._chain_head(conn)  # noqa: SLF001 - the benchmark continues the app's own chain
    at = datetime.now(UTC)
    entities = ("missing_person", "donor", "remains", "sample", "profile", "custody_event", "match_review")

    def entries() -> Iterator[dict[str, Any]]:
        nonlocal seq, prev
        for k in range(n):
            seq += 1
            entity = entities[k % len(entities)]
            entry = {"seq": seq, "at": (at - timedelta(seconds=n - k)).isoformat(), "actor_id": None,
                     "actor": "import" if k % 3 else "technician", "action": "create", "entity_type": entity,
                     "entity_id": str(k // len(entities) + 1), "reason": "" if k % 50 else "bulk import",
                     "before_json": "null", "after_json": audit.canonical_json({"id": k // len(entities) + 1})}
            digest = audit.entry_hash(prev, entry)
            yield {**entry, "prev_hash": prev, "entry_hash": digest,
                   "mac": seal.entry_mac(digest) if seal is not None else None}
            prev = digest

    _insert(conn, AuditEntry, entries())
    if seal is not None and n:
        seal.write_checkpoint(seq, prev, at.isoformat())


def build(app: Any, sizes: Sizes) -> tuple[Landmarks, dict[str, float]]:
    """Fill the (migrated, empty) database of ``app``: users of every role (through the app, so
    audited), then the rows of ``sizes`` in bulk; ``ANALYZE``. The landmarks and seconds per part."""
    from labtrack.db import get_engine, standalone_session
    from labtrack.services import accounts, audit_seal

    timings: dict[str, float] = {}
    now = datetime.now(UTC)
    with app.app_context():
        engine = get_engine()
        with standalone_session() as session:
            users = {role: accounts.create_user(session=session, username=role, full_name=role, role=role,
                                                password=PASSWORD, by="bench").id
                     for role in ROLES}
        start = time.perf_counter()
        with engine.begin() as conn:
            _fill_people(conn, sizes, now)
        timings["people"] = time.perf_counter() - start
        start = time.perf_counter()
        with engine.begin() as conn:
            landmarks = _fill_lab(conn, sizes, now, users)
        if engine.dialect.name == "postgresql":  # the rows came with their ids: move the sequences past them
            with engine.begin() as conn:
                for table in ("missing_person", "donor", "family", "pedigree_member", "site", "remains", "sample",
                              "profile", "match_run", "match", "storage_location", "custody_item", "custody_event",
                              "issued_document", "frequency_table"):
                    conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                         f"(SELECT coalesce(max(id), 0) + 1 FROM \"{table}\"), false)")
        timings["lab"] = time.perf_counter() - start
        start = time.perf_counter()
        with engine.begin() as conn:
            _fill_audit(conn, sizes.audit_entries, audit_seal.seal_of(engine))
        timings["audit"] = time.perf_counter() - start
        start = time.perf_counter()
        if engine.dialect.name == "postgresql":
            # planner statistics and the visibility map (index-only scans), as autovacuum gives a
            # database some time after a bulk load; VACUUM runs outside a transaction. Only this
            # schema's tables (a test's schema shares its database with others)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                tables = conn.exec_driver_sql("SELECT quote_ident(tablename) FROM pg_tables "
                                              "WHERE schemaname = current_schema()").scalars().all()
                conn.exec_driver_sql(f"VACUUM ANALYZE {', '.join(tables)}")
            timings["vacuum_analyze"] = time.perf_counter() - start
        else:
            with engine.begin() as conn:  # planner statistics, as a maintained database has them
                conn.exec_driver_sql("ANALYZE")
            timings["analyze"] = time.perf_counter() - start
    return landmarks, {k: round(v, 1) for k, v in timings.items()}


def _far(rows: int, per: int = 50) -> int:
    """A page in the middle of a list of ``rows`` (the far pages are what OFFSET makes slow)."""
    return max(1, (rows + per - 1) // per // 2)


def pages(sizes: Sizes, marks: Landmarks) -> list[tuple[str, str, bool]]:
    """(label, path, is a name search) of every page requested, for each role."""
    q = quote
    entries = [
        ("home", "/", False),
        ("dashboard", "/dashboard/", False),
        ("sites", "/sites/", False),
        (f"site {marks.big_site}: remains, first page", f"/sites/{marks.big_site}", False),
        (f"site {marks.big_site}: remains, far page", f"/sites/{marks.big_site}?page={_far(marks.remains_in_big_site)}",
         False),
        (f"site {marks.big_site}: remains, type filter + sort",
         f"/sites/{marks.big_site}?remains_type=partial&sort=-number", False),
        ("remains detail", f"/sites/remains/{marks.remains_accession}", False),
        ("samples, first page", "/samples/", False),
        ("samples, far page", f"/samples/?page={_far(min(sizes.samples, sizes.remains))}", False),
        ("samples, state filter", "/samples/?state=extracted", False),
        ("sample detail", f"/samples/{marks.sample_accession}", False),
        ("profiles, first page", "/profiles/", False),
        ("profiles, far page", f"/profiles/?page={_far(min(sizes.samples, sizes.profiles))}", False),
        ("profiles, origin filter", "/profiles/?origin=reference", False),
        ("missing persons, first page", "/missing-persons/", False),
        ("missing persons, far page", f"/missing-persons/?page={_far(sizes.persons)}", False),
        ("missing persons, last page by name", f"/missing-persons/?sort=-name_latin&page={_far(sizes.persons) * 2}",
         False),
        ("missing persons, status filter + birth-year sort", "/missing-persons/?status=closed&sort=birth_year", False),
        ("missing persons, text filter", "/missing-persons/?q=Halabi", False),
        ("missing person detail", f"/missing-persons/{marks.person_id}", False),
        ("donors, first page", "/donors/", False),
        ("donors, far page", f"/donors/?page={_far(sizes.donors)}", False),
        ("donors, sex filter", "/donors/?sex=F&sort=birth_year", False),
        ("donor detail", f"/donors/{marks.donor_id}", False),
        ("families, first page", "/families/", False),
        ("families, far page", f"/families/?page={_far(sizes.families)}", False),
        ("family detail", f"/families/{marks.family_id}", False),
        ("match runs", "/matching/", False),
        ("match runs, far page", f"/matching/?page={_far(sizes.match_runs)}", False),
        ("match run detail", f"/matching/runs/{marks.run_id}", False),
        ("review queue, first page", "/review/", False),
        ("review queue, far page", f"/review/?page={_far(sizes.candidates)}", False),
        ("review queue, proposed for confirmation", "/review/?status=proposed_confirm", False),
        ("review queue, one site", f"/review/?site={marks.big_site}", False),
        ("candidate detail", f"/review/matches/{marks.match_id}", False),
        ("documents, first page", "/documents/", False),
        ("documents, far page", f"/documents/?page={_far(sizes.documents)}", False),
        ("documents, kind filter", "/documents/?kind=certificate", False),
        ("custody events, first page", "/custody/events", False),
        ("custody events, far page", f"/custody/events?page={_far(sizes.custody_events)}", False),
        ("custody events, action filter", "/custody/events?action=store", False),
        ("custody item", f"/custody/items/{marks.item_accession}", False),
        ("scanning station", "/custody/station", False),
        ("storage", "/storage/", False),
        ("closed events", "/events/", False),
        ("notifications", "/notifications/", False),
        ("family requests", "/inquiry-requests/", False),
        ("users", "/admin/users", False),
        ("audit log, first page", "/admin/audit", False),
        ("audit log, far page", f"/admin/audit?page={_far(sizes.audit_entries)}", False),
        ("audit log, entity filter", "/admin/audit?entity_type=remains", False),
        ("find: remains ID", f"/find/?q={q(marks.remains_accession)}", False),
        ("find: sample ID", f"/find/?q={q(marks.sample_accession)}", False),
        ("find: reference kit ID", f"/find/?q={q(marks.reference_accession)}", False),
        ("find: case number", f"/find/?q={q(marks.case_number)}", False),
        ("find: Arabic name chain", f"/find/?q={q('محمد خليل المصري')}", True),
        ("find: Latin variant + year", f"/find/?q={q('Mohamed el-Masri 1980')}", True),
        ("find: common Arabic pair", f"/find/?q={q('محمد المصري')}", True),
        ("find: one common Latin name", f"/find/?q={q('Muhammad')}", True),
        ("find: rare chain", f"/find/?q={q('زينب إبراهيم الزعبي')}", True),
    ]
    return entries


def refresh_dashboard(app: Any, times: int = 3) -> list[float]:
    """Compute and store the dashboard's figures as its worker job does (the page shows the stored
    figures and never computes them: ``services.dashboard_snapshot``), ``times`` times; the seconds
    each computation took."""
    from labtrack.db import standalone_session
    from labtrack.services import dashboard_snapshot

    seconds = []
    with app.app_context(), standalone_session(app) as session:
        for _ in range(times):
            seconds.append(round(dashboard_snapshot.refresh(session).seconds, 3))
    return seconds


def navigation_paths(app: Any) -> dict[str, list[str]]:
    """The navigation's paths for each role (``labtrack.web.NAVIGATION``), to check none is left out."""
    from flask import url_for

    from labtrack.web import NAVIGATION

    with app.test_request_context():
        return {role: [url_for(endpoint) for endpoint, _, roles in NAVIGATION
                       if role in roles and endpoint in app.view_functions] for role in ROLES}


def measure(app: Any, entries: list[tuple[str, str, bool]], repeat: int, roles: tuple[str, ...] = ROLES,
            progress: Callable[[str, str, dict[str, Any]], None] | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """Per role and page: the timing (median, p95, KB, and ``over`` naming the targets missed),
    or ``{"status": 403}`` for a page the role may not open. ``repeat=0``: one request each, not
    timed (whether the pages answer, and their sizes). ``progress`` is told each page's result."""
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for role in roles:
        client = app.test_client()
        answer = client.post("/login", data={"username": role, "password": PASSWORD})
        assert answer.status_code in (302, 303), (role, answer.status_code)
        results[role] = {}
        for label, path, name_search in entries:
            started = time.perf_counter()
            first = client.get(path)  # one warm-up request, not reported
            slow = time.perf_counter() - started > SLOW_S  # far over target: fewer requests, not fewer pages
            if first.status_code in (403, 404):
                results[role][label] = {"status": first.status_code, "path": path}
                continue
            # a found ID answers with a redirect to its item (the search's own time is what is measured)
            assert first.status_code in (200, 302), (role, path, first.status_code)

            def request(path: str = path, status: int = first.status_code, client: Any = client,
                        role: str = role) -> int:
                page = client.get(path)
                assert page.status_code == status, (role, path, page.status_code)
                return len(page.data)

            if repeat:
                times = min(repeat, SLOW_REPEAT) if slow else repeat
                timing: dict[str, Any] = {**_timed(request, times), "path": path, "repeat": times}
            else:  # only whether it answers, and its size (the smoke test)
                timing = {"median_ms": 0.0, "p95_ms": 0.0, "kb": round(len(first.data) / 1024, 1), "path": path}
            if first.status_code == 302:
                timing["redirect"] = first.headers["Location"]
            over = []
            limit = TARGET_NAME_SEARCH_MS if name_search else TARGET_MS
            if timing["p95_ms"] > limit:
                over.append(f"p95 > {limit:.0f} ms")
            if timing["kb"] > TARGET_KB:
                over.append(f"> {TARGET_KB:.0f} KB")
            timing["over"] = over
            results[role][label] = timing
            if progress is not None:
                progress(role, label, timing)
    return results


def _sizes_from(args: argparse.Namespace) -> Sizes:
    sizes = SCALES[args.scale]
    chosen = {f.name: getattr(args, f.name) for f in fields(Sizes) if getattr(args, f.name) is not None}
    return replace(sizes, **chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=tuple(SCALES), default="small",
                        help="sizes: full = issue 11's Syrian scale; small (default) = a quick check")
    for f in fields(Sizes):
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=int, default=None, dest=f.name,
                            help=f"rows of {f.name.replace('_', ' ')} (full: {getattr(SCALES['full'], f.name):,})")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--roles", default=",".join(ROLES), help="comma-separated roles to measure")
    parser.add_argument("--pages", default="", metavar="REGEX",
                        help="time only the pages whose label matches (e.g. 'find: |custody events'); default all")
    parser.add_argument("--database-url", default="", help="an EMPTY database (PostgreSQL); default a new SQLite file")
    parser.add_argument("--json", default="")
    args = parser.parse_args()
    sizes = _sizes_from(args)

    from labtrack import create_app, migrations_runner
    from labtrack.db import get_engine

    workdir = Path(tempfile.mkdtemp(prefix="labtrack-pages-"))
    os.environ["LABTRACK_INSTANCE_PATH"] = str(workdir)  # keys and secrets of the run stay in it
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "SESSION_COOKIE_SECURE": False, "AUDIT_KEY": "bench",
                      "AUDIT_CHECKPOINT_FILE": str(workdir / "audit-checkpoints"),
                      "INQUIRY_KEY": "bench", "LABTRACK_INSTANCE_PATH": str(workdir)})
    with app.app_context():
        migrations_runner.upgrade(get_engine())
    load = os.getloadavg()[0]
    start = time.perf_counter()
    marks, parts = build(app, sizes)
    fill_s = time.perf_counter() - start
    print(f"{url.split(':')[0]}: {', '.join(f'{k} {v:,}' for k, v in asdict(sizes).items())}")
    print(f"filled in {fill_s:.0f} s ({', '.join(f'{k} {v} s' for k, v in parts.items())}), load {load:.1f}",
          flush=True)
    entries = pages(sizes, marks)
    requested = {path.split("?")[0] for _, path, _ in entries}
    for role, paths in navigation_paths(app).items():
        left_out = [p for p in paths if p not in requested]
        if left_out:
            print(f"note: navigation of {role} not measured: {left_out}")
    if args.pages:
        entries = [entry for entry in entries if re.search(args.pages, entry[0])]
        print(f"--pages {args.pages!r}: {len(entries)} page(s): {'; '.join(label for label, _, _ in entries)}")
    roles = tuple(r for r in args.roles.split(",") if r)
    refresh_s = refresh_dashboard(app) if roles else []
    if refresh_s:
        print(f"dashboard figures computed (the worker's job, before the pages): {refresh_s} s", flush=True)
    started = datetime.now(UTC)
    def progress(role: str, label: str, timing: dict[str, Any]) -> None:  # a long run's partial results
        print(f"  ... {role}: {label}: {timing['median_ms']} / {timing['p95_ms']} ms, {timing['kb']} KB "
              f"{' '.join(timing['over'])}", flush=True)

    results = measure(app, entries, args.repeat, roles, progress)
    load_after = os.getloadavg()[0]
    report = {"machine": platform.platform(), "cpus": os.cpu_count(), "database": url.split(":")[0],
              "started": started.isoformat(timespec="seconds"), "load_before": round(load, 2),
              "load_after": round(load_after, 2), "sizes": asdict(sizes), "fill_s": round(fill_s, 1),
              "fill_parts_s": parts, "repeat": args.repeat, "pages_filter": args.pages,
              "dashboard_refresh_s": refresh_s, "pages": results}
    width = max(len(label) for label, _, _ in entries) + 2
    over_all = []
    for role, rows in results.items():
        print(f"\n{role}\n{'page':<{width}}  median ms   p95 ms       KB")
        forbidden = []
        for label, r in rows.items():
            if "status" in r:
                forbidden.append(label)
                continue
            flag = f"  OVER: {', '.join(r['over'])}" if r["over"] else ""
            if r["over"]:
                over_all.append(f"{role}: {label} ({r['p95_ms']} ms, {r['kb']} KB)")
            print(f"{label:<{width}}  {r['median_ms']:>9}  {r['p95_ms']:>7}  {r['kb']:>7}{flag}")
        if forbidden:
            print(f"not for this role (403/404): {'; '.join(forbidden)}")
    print(f"\nload average {load:.1f} before, {load_after:.1f} after; {len(over_all)} page(s) over target")
    for line in over_all:
        print(f"  OVER  {line}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
