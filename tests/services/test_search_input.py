"""What a match run feeds to the kinship engine; consent withdrawal removes a donor's profiles."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import Session, select

from labtrack.core.errors import Conflict
from labtrack.models import ConsentRecord, Donor, Sample, User
from labtrack.services import consent, demo
from labtrack.services.search_input import build_search_input


@pytest.fixture
def demo_db(db: Session) -> Session:
    demo.load_demo(db)
    return db


def coordinator(db: Session) -> User:
    return db.exec(select(User).where(User.role == "coordinator")).first()


def test_search_input_holds_exactly_the_searchable_profiles(demo_db: Session, tmp_path: Path) -> None:
    search = build_search_input(session=demo_db)
    samples = set(search.genotypes["sample_id"])
    assert list(search.genotypes.columns) == ["sample_id", "marker", "allele1", "allele2"]
    assert "QTF-00004-S01-LU" not in samples  # staff contamination
    assert "NJH-00001-S02-MU" not in samples  # 8 loci < 12
    assert {"REF-00001-A-CA", "REF-00005-A-DF", "QTF-00001-S01-S0"} <= samples
    assert search.remains == ["NJH-00001-S01-BJ", "NJH-00002-S01-JA", "QTF-00001-S01-S0",
                              "QTF-00001-S02-8Z", "QTF-00002-S01-5F", "QTF-00003-S01-D4"]
    assert "AMEL" not in set(search.genotypes["marker"])
    fam1 = search.pedigrees[search.pedigrees.family_id == "FAM-0001"]
    assert fam1.set_index("person_id").loc["F", "sample_id"] == "REF-00002-A-KP"
    assert fam1.set_index("person_id").loc["MP", "missing"] == 1
    assert list(search.freqs.columns) == ["marker", "allele", "frequency", "count", "n_alleles"]
    assert search.frequency_table_name == "NIST 1036 (all)"
    paths = search.write(tmp_path)
    assert pd.read_csv(paths["genotypes.csv"], dtype=str).shape == search.genotypes.shape
    assert paths["remains.txt"].read_text().split() == search.remains
    assert pd.read_csv(paths["pedigrees.csv"]).columns.tolist() == [
        "family_id", "person_id", "father_id", "mother_id", "sex", "sample_id", "missing"]


def test_consent_withdrawal_removes_the_donors_profiles(demo_db: Session) -> None:
    donor = demo_db.exec(select(Donor).where(Donor.code == "D-0001")).one()
    reference = demo_db.exec(select(Sample).where(Sample.donor_id == donor.id)).one().accession
    assert reference in set(build_search_input(session=demo_db).genotypes["sample_id"])
    grant = demo_db.exec(select(ConsentRecord).where(ConsentRecord.donor_id == donor.id)).one()
    consent.withdraw(session=demo_db, grant_id=grant.id, by=coordinator(demo_db), note="signed form")
    search = build_search_input(session=demo_db)
    assert reference not in set(search.genotypes["sample_id"])
    fam1 = search.pedigrees[search.pedigrees.family_id == "FAM-0001"].set_index("person_id")
    assert fam1.loc["M", "sample_id"] == ""  # untyped for the engine now
    assert fam1.loc["F", "sample_id"] == "REF-00002-A-KP"  # the father still consents
    records = consent.records(demo_db, donor.id)
    assert [r.kind for r in records] == ["grant", "withdrawal"]  # the grant is kept
    assert records[1].withdraws_id == grant.id
    with pytest.raises(Conflict):
        consent.withdraw(session=demo_db, grant_id=grant.id, by=coordinator(demo_db))
    consent.grant(session=demo_db, donor_id=donor.id, by=coordinator(demo_db), collected_by="visit 2")
    assert reference in set(build_search_input(session=demo_db).genotypes["sample_id"])


def test_a_run_of_one_remains_reads_the_references_and_that_remains_only(demo_db: Session) -> None:
    full = build_search_input(session=demo_db)
    one = build_search_input(session=demo_db, remains=["QTF-00001-S01-S0"])
    assert one.remains == ["QTF-00001-S01-S0"]
    used = {"QTF-00001-S01-S0"} | {s for s in one.pedigrees["sample_id"] if s}
    expected = full.genotypes[full.genotypes["sample_id"].isin(used)].reset_index(drop=True)
    pd.testing.assert_frame_equal(one.genotypes, expected)
    assert set(one.genotypes["sample_id"]) == used and len(used) > 2
    assert "NJH-00001-S01-BJ" not in set(one.genotypes["sample_id"])
    pd.testing.assert_frame_equal(one.pedigrees, full.pedigrees)
