"""Each profile's genotype digest: equal genotypes give equal digests whatever the storage order,
the profile import writes it with the alleles, and migration 0034 computes the same for the
profiles stored before it."""

from __future__ import annotations

import importlib.util
from collections import defaultdict
from pathlib import Path

from sqlalchemy import delete
from sqlmodel import Session, select

from labtrack.core import genotype_digest
from labtrack.models import Profile, ProfileAllele, ProfileGenotype
from labtrack.services import demo

MIGRATION = Path(__file__).resolve().parents[2] / "labtrack/migrations/versions/0034_issue11_profile_genotype.py"


def test_equal_genotypes_whatever_the_order_and_only_those() -> None:
    one = genotype_digest.digest([("TH01", "6", "9.3"), ("FGA", "21", "22")])
    assert genotype_digest.digest([("FGA", "22", "21"), ("TH01", "9.3", "6")]) == one
    assert genotype_digest.digest([("TH01", "6", "9.3"), ("FGA", "21", "23")]) != one
    assert genotype_digest.digest([("TH01", "6", "9.3")]) != one  # a locus fewer
    assert genotype_digest.digest([("TH01", "6", "")]) != genotype_digest.digest([("TH01", "6", "6")])
    assert len(one) == 32


def _from_alleles(db: Session) -> dict[int, str]:
    calls: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for allele in db.exec(select(ProfileAllele)).all():
        calls[allele.profile_id].append((allele.locus, allele.allele1, allele.allele2))
    return {profile_id: genotype_digest.digest(found) for profile_id, found in calls.items()}


def test_the_import_writes_each_digest_and_the_migration_computes_the_same(db: Session) -> None:
    demo.load_demo(db)  # its profiles come in through the profile import
    expected = _from_alleles(db)
    assert len(expected) >= 10 and len(expected) == len(db.exec(select(Profile.id).join(
        ProfileAllele, ProfileAllele.profile_id == Profile.id).distinct()).all())  # type: ignore[arg-type]
    stored = {g.profile_id: g.digest for g in db.exec(select(ProfileGenotype)).all()}
    assert stored == expected

    spec = importlib.util.spec_from_file_location("migration_0034", MIGRATION)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    db.rollback()
    connection = db.connection()
    connection.execute(delete(ProfileGenotype).where(ProfileGenotype.profile_id.in_(sorted(expected)[::2])))  # type: ignore[attr-defined]
    assert migration.backfill(connection) == len(sorted(expected)[::2])  # only the missing ones
    db.commit()
    assert {g.profile_id: g.digest for g in db.exec(select(ProfileGenotype)).all()} == expected
