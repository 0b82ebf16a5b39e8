"""Profile import: all or nothing, every problem with its row, the same file twice, QC at import."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from labtrack.core.errors import Conflict, ValidationFailed
from labtrack.imports.reader import read_profiles
from labtrack.models import AuditEntry, Profile, ProfileAllele, ProfileImport, Sample
from labtrack.services import demo, profile_import, quality
from labtrack.services.audit import verify_chain

ROOT = Path(__file__).resolve().parents[2]
MALFORMED = ROOT / "fixtures" / "malformed"
REAL = ROOT / "tests" / "data" / "real-exports"


@pytest.fixture
def demo_db(db: Session) -> Session:
    demo.load_demo(db)
    return db


def count(db: Session, model: type) -> int:
    return db.exec(select(func.count()).select_from(model)).one()


def admin(db: Session):  # noqa: ANN201
    from labtrack.models import User

    return db.exec(select(User).where(User.role == "admin")).first()


def problems_of(error: ValidationFailed) -> list[tuple[int | None, str | None, str]]:
    return [(p.row, p.field, p.message) for p in error.problems]


def test_long_csv_with_errors_reports_every_row_and_stores_nothing(demo_db: Session) -> None:
    before = (count(demo_db, Profile), count(demo_db, ProfileAllele), count(demo_db, ProfileImport))
    with pytest.raises(ValidationFailed) as caught:
        profile_import.import_profiles(session=demo_db, raw=(MALFORMED / "long_errors.csv").read_bytes(),
                                       filename="long_errors.csv", by=admin(demo_db))
    found = problems_of(caught.value)
    assert all(p.file == "long_errors.csv" for p in caught.value.problems)
    rows = {row for row, _f, _m in found}
    assert {3, 4, 5, 6, 7} <= rows and 8 not in rows
    text = " | ".join(m for _r, _f, m in found)
    assert "'abc' is not a repeat number" in text
    assert "unknown marker 'D99S999'" in text
    assert "D3S1358 of sample QTF-00001-S01-S0 appears twice" in text
    assert "unknown sample barcode QTF-00099-S01-0I" in text
    assert "'QTF-00001-S01-SX' is not a sample barcode" in text
    assert (count(demo_db, Profile), count(demo_db, ProfileAllele), count(demo_db, ProfileImport)) == before


def test_genemapper_file_with_errors_reports_every_row(demo_db: Session) -> None:
    with pytest.raises(ValidationFailed) as caught:
        profile_import.import_profiles(session=demo_db, raw=(MALFORMED / "genemapper_errors.txt").read_bytes(),
                                       filename="genemapper_errors.txt", by=admin(demo_db), kit="Identifiler")
    found = {(row, message.split(":")[0][:40]) for row, _f, message in problems_of(caught.value)}
    assert {row for row, _ in found} == {4, 5, 6, 7, 8}
    assert any("Penta_E is not a locus of kit Identifiler" in m for *_x, m in problems_of(caught.value))


def test_the_same_file_twice_is_refused(demo_db: Session) -> None:
    raw = b"sample_id,marker,allele1,allele2\nNJH-00002-S01-JA,TH01,6,9.3\nNJH-00002-S01-JA,FGA,21,24.2\n"
    record = profile_import.import_profiles(session=demo_db, raw=raw, filename="a.csv", by=admin(demo_db))
    assert record.n_profiles == 1
    before = count(demo_db, Profile)
    with pytest.raises(Conflict, match="imported already"):
        profile_import.import_profiles(session=demo_db, raw=raw, filename="renamed.csv", by=admin(demo_db))
    assert count(demo_db, Profile) == before


def test_retyping_creates_a_new_version_and_supersedes_the_old(demo_db: Session) -> None:
    sample = demo_db.exec(select(Sample).where(Sample.accession == "NJH-00002-S01-JA")).one()
    raw = b"sample_id,marker,allele1,allele2\nNJH-00002-S01-JA,TH01,6,9.3\n"
    profile_import.import_profiles(session=demo_db, raw=raw, filename="retype.csv", by=admin(demo_db))
    versions = demo_db.exec(select(Profile).where(Profile.sample_id == sample.id).order_by(Profile.version)).all()
    assert [(p.version, p.superseded) for p in versions] == [(1, True), (2, False)]
    assert versions[1].searchable is False  # one locus < 12
    duplicate = raw + b"\n"
    with pytest.raises(ValidationFailed, match="nothing was imported") as caught:
        profile_import.import_profiles(session=demo_db, raw=duplicate, filename="again.csv", by=admin(demo_db))
    assert "duplicate profile" in caught.value.problems[0].message


def test_demo_quality_control(demo_db: Session) -> None:
    """The demo data: a staff-contaminated sample, a partial profile, a duplicate remains sample."""
    notes = {acc: p for p, acc in demo_db.exec(
        select(Profile, Sample.accession).join(Sample, Sample.id == Profile.sample_id))}
    assert "STAFF MATCH" in notes["QTF-00004-S01-LU"].qc_notes and "STAFF-02" in notes["QTF-00004-S01-LU"].qc_notes
    assert not notes["QTF-00004-S01-LU"].searchable
    assert not notes["NJH-00001-S02-MU"].searchable and notes["NJH-00001-S02-MU"].n_autosomal_loci == 8
    assert notes["QTF-00001-S01-S0"].searchable
    duplicates = quality.duplicate_report(demo_db)
    assert any({d.first, d.second} == {"QTF-00001-S01-S0", "QTF-00001-S02-8Z"} and d.same_remains
               for d in duplicates)


def test_bulk_import_is_audited_by_a_summary_entry(demo_db: Session) -> None:
    entries = demo_db.exec(select(AuditEntry).where(AuditEntry.action == "bulk_import",
                                                    AuditEntry.entity_type == "profile_import")).all()
    assert len(entries) == 2  # demo staff profiles and demo profiles
    record = demo_db.exec(select(ProfileImport).where(ProfileImport.filename == "profiles.csv")).one()
    assert any(record.file_sha256 in e.after_json and '"profiles":13' in e.after_json for e in entries)
    assert verify_chain(demo_db).ok


def test_real_export_imports_after_mapping_names_to_barcodes(demo_db: Session) -> None:
    """A real GeneMapper file (references) whose sample names are renamed to registered barcodes."""
    raw = (REAL / "euroformix" / "ESX17_tutorial_refs.csv").read_bytes()
    raw = raw.replace(b"P1,", b"REF-00001-A-CA,").replace(b"P2,", b"REF-00002-A-KP,")
    record = profile_import.import_profiles(session=demo_db, raw=raw, filename="refs.csv", by=admin(demo_db))
    assert record.kit == "PowerPlex ESX 17" and record.n_profiles == 2


def test_mixture_is_stored_but_not_searchable(demo_db: Session) -> None:
    parsed = read_profiles((REAL / "lrmixstudio" / "genemapperSample.txt").read_bytes(), filename="mix.txt")
    parsed.profiles[0].sample_id = "NJH-00002-S01-JA"
    record = profile_import.store_parsed(session=demo_db, parsed=parsed, by=admin(demo_db))
    profile = demo_db.exec(select(Profile).where(Profile.import_id == record.id)).one()
    assert profile.is_mixture and not profile.searchable
    assert "possible mixture" in profile.qc_notes
    extra = demo_db.exec(select(ProfileAllele).where(ProfileAllele.profile_id == profile.id,
                                                     ProfileAllele.locus == "D10S1248")).one()
    assert extra.extra_alleles  # the third and further peaks are kept


def _one_peak_file(demo_db: Session) -> bytes:
    """The demo's femur and first reference re-typed: at D3S1358 a single peak (allele written
    once), at vWA a homozygote call (written twice); the other loci as stored."""
    lines = ["sample_id,marker,allele1,allele2"]
    for accession in ("QTF-00001-S01-S0", "REF-00001-A-CA"):
        rows = demo_db.exec(select(ProfileAllele.locus, ProfileAllele.allele1, ProfileAllele.allele2)
                            .join(Profile, Profile.id == ProfileAllele.profile_id)  # type: ignore[arg-type]
                            .join(Sample, Sample.id == Profile.sample_id)  # type: ignore[arg-type]
                            .where(Sample.accession == accession, Profile.superseded == False)).all()  # noqa: E712
        for locus, a1, a2 in rows:
            if locus == "D3S1358":
                lines.append(f"{accession},{locus},{a1},")
            elif locus == "vWA":
                lines.append(f"{accession},{locus},{a1},{a1}")
            else:
                lines.append(f"{accession},{locus},{a1},{a2}")
    return ("\n".join(lines) + "\n").encode()


def _stored(db: Session, accession: str) -> dict[str, tuple[str, str]]:
    rows = db.exec(select(ProfileAllele.locus, ProfileAllele.allele1, ProfileAllele.allele2)
                   .join(Profile, Profile.id == ProfileAllele.profile_id)  # type: ignore[arg-type]
                   .join(Sample, Sample.id == Profile.sample_id)  # type: ignore[arg-type]
                   .where(Sample.accession == accession, Profile.superseded == False)).all()  # noqa: E712
    return {locus: (a1, a2) for locus, a1, a2 in rows}


def test_single_peaks_are_one_allele_seen_in_remains_and_homozygotes_in_references(demo_db: Session) -> None:
    raw = _one_peak_file(demo_db)
    record = profile_import.import_profiles(session=demo_db, raw=raw, filename="bone.csv", by=admin(demo_db))
    femur, reference = _stored(demo_db, "QTF-00001-S01-S0"), _stored(demo_db, "REF-00001-A-CA")
    assert femur["D3S1358"][1] == "" and femur["vWA"][0] == femur["vWA"][1]  # one seen; a homozygote call
    assert reference["D3S1358"][0] == reference["D3S1358"][1]  # references: a single peak is a homozygote
    profile = demo_db.exec(select(Profile).join(Sample, Sample.id == Profile.sample_id)  # type: ignore[arg-type]
                           .where(Sample.accession == "QTF-00001-S01-S0", Profile.superseded == False)).one()  # noqa: E712
    assert "one allele seen (possible drop-out) at D3S1358" in profile.qc_notes
    entries = demo_db.exec(select(AuditEntry).where(AuditEntry.entity_type == "profile_import",
                                                    AuditEntry.entity_id == str(record.id))).all()
    assert any(re.search(r'"one_allele_seen": ?1\b', e.after_json) for e in entries)


def test_the_single_allele_option_overrides_the_default_and_is_checked(demo_db: Session) -> None:
    raw = _one_peak_file(demo_db)
    with pytest.raises(ValidationFailed) as caught:
        profile_import.import_profiles(session=demo_db, raw=raw, filename="bone.csv", by=admin(demo_db),
                                       single_allele="maybe")
    assert "single-allele reading 'maybe'" in caught.value.problems[0].message
    profile_import.import_profiles(session=demo_db, raw=raw, filename="bone.csv", by=admin(demo_db),
                                   single_allele="homozygote")
    femur = _stored(demo_db, "QTF-00001-S01-S0")
    assert femur["D3S1358"][0] == femur["D3S1358"][1]


def test_a_profile_import_moves_its_samples_to_profiled_with_a_record_and_deep_verify_holds(
        app, demo_db: Session) -> None:  # noqa: ANN001
    """The demo's typed samples are "profiled" after the import, each with a state-change record
    naming the import (the steps done outside labtrack are said to be unrecorded), and the deep
    audit verification still finds every row as the log describes it."""
    from labtrack.db import get_engine
    from labtrack.models import SampleStateChange
    from labtrack.services import audit_deep, audit_seal

    record = demo_db.exec(select(ProfileImport).where(ProfileImport.filename == "profiles.csv")).one()
    typed = demo_db.exec(select(Sample).join(Profile, Profile.sample_id == Sample.id)  # type: ignore[arg-type]
                         .where(Profile.import_id == record.id)).all()
    assert typed and {s.state for s in typed} == {"profiled"}
    changes = demo_db.exec(select(SampleStateChange).where(SampleStateChange.to_state == "profiled")).all()
    assert {c.sample_id for c in changes} >= {s.id for s in typed}
    assert all(f"profile imported (import #{record.id}, profiles.csv)" in c.reason for c in changes
               if c.sample_id in {s.id for s in typed})
    entry = demo_db.exec(select(AuditEntry).where(AuditEntry.action == "bulk_import",
                                                  AuditEntry.entity_id == str(record.id))).one()
    assert all(str(s.id) in entry.after_json for s in typed)
    result = audit_deep.deep_verify(demo_db, seal=audit_seal.seal_of(get_engine(app)))
    assert result.ok, result  # the moved samples and their records are what the log describes
