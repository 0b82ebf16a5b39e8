"""Every real public export imports into the database (sample names mapped to registered
barcodes), all or nothing; mixtures are stored but kept out of the search set."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from labtrack.core import ids
from labtrack.imports.reader import read_profiles
from labtrack.models import Profile, Remains, Sample, Site
from labtrack.services import profile_import
from labtrack.services.transaction import write
from tests.core.test_profile_readers import MIXTURES, SINGLE_SOURCE

REAL = Path(__file__).resolve().parents[1] / "data" / "real-exports"


def make_samples(db: Session, n: int, by: object) -> list[str]:
    """``n`` samples on remains of one site (99 samples per remains at most); their accessions."""
    with write(db, actor=by, reason="test samples"):
        site = Site(code="TST", name_en="test site")
        db.add(site)
        db.flush()
        samples = []
        for number in range(1, n // 99 + 2):
            remains = Remains(accession=ids.remains_id("TST", number), site_id=site.id, number=number,
                              remains_type="commingled")
            db.add(remains)
            db.flush()
            samples += [Sample(accession=ids.sample_id(remains.accession, i), remains_id=remains.id,
                               number=i, sample_type="femur") for i in range(1, 100)]
        db.add_all(samples)
    return [s.accession for s in samples]


def test_every_real_export_imports(db: Session, users: dict) -> None:
    by = users["analyst"].user
    files = [(relative, kit) for relative, kit, _n, _m in SINGLE_SOURCE] + [(m, None) for m in MIXTURES]
    parsed_files = [read_profiles((REAL / relative).read_bytes(), filename=relative) for relative, _ in files]
    accessions = iter(make_samples(db, sum(len(p.profiles) for p in parsed_files), by))
    for (relative, kit), parsed in zip(files, parsed_files, strict=True):
        names = {}
        for profile in parsed.profiles:  # replicate runs of one name stay one sample (versions)
            profile.sample_id = names.setdefault(profile.sample_id, next(accessions))
        record = profile_import.store_parsed(session=db, parsed=parsed, by=by)
        assert record.n_profiles == len(parsed.profiles), relative
        if kit:
            assert record.kit == kit
        stored = db.exec(select(Profile).where(Profile.import_id == record.id)).all()
        assert len(stored) == len(parsed.profiles)
        for profile in stored:
            if profile.is_mixture:
                assert not profile.searchable and "possible mixture" in profile.qc_notes
        if relative in MIXTURES:
            assert all(p.is_mixture and not p.searchable for p in stored), relative
