"""A Familias DVI project imported into the app (the public KETPex498.fam and dvi-example.fam of
tests/data/familias-public, source in its SOURCE.md): every reference family with its donors,
reference profiles and missing persons; the unidentified victims left out and reported; all or
nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from labtrack.core.errors import ValidationFailed
from labtrack.kinship.familias import parse_fam
from labtrack.kinship.markers import canonical_marker
from labtrack.models import (
    Donor,
    Family,
    MissingPerson,
    PedigreeMember,
    Profile,
    ProfileAllele,
    Sample,
    User,
)
from labtrack.services import demo, donors, familias_import, families

FAM = Path(__file__).resolve().parents[1] / "data" / "familias-public" / "fam"
KETP = FAM / "dvir__data-raw__KETPex498.fam"
EXAMPLE = FAM / "dvir__inst__extdata__dvi-example.fam"
TABLES = (Family, Donor, Sample, MissingPerson, PedigreeMember, Profile, ProfileAllele)


@pytest.fixture
def coordinator(db: Session) -> User:
    demo.load_demo(db)
    user = db.exec(select(User).where(User.role == "coordinator")).first()
    assert user is not None
    return user


def _counts(db: Session) -> tuple[int, ...]:
    db.expire_all()
    return tuple(len(db.exec(select(t)).all()) for t in TABLES)


def _alleles(db: Session, accession: str) -> dict[str, tuple[str, str]]:
    rows = db.exec(select(ProfileAllele.locus, ProfileAllele.allele1, ProfileAllele.allele2)
                   .join(Profile, Profile.id == ProfileAllele.profile_id)  # type: ignore[arg-type]
                   .join(Sample, Sample.id == Profile.sample_id)  # type: ignore[arg-type]
                   .where(Sample.accession == accession)).all()
    return {canonical_marker(locus): (a1, a2) for locus, a1, a2 in rows}


def test_every_reference_family_of_a_dvi_file_is_imported_and_the_victims_are_reported(
        db: Session, coordinator: User) -> None:
    raw = KETP.read_bytes()
    fam = parse_fam(raw.decode("latin-1"), KETP.name)
    before = _counts(db)
    report = familias_import.import_file(session=db, raw=raw, filename=KETP.name, by=coordinator,
                                         family_code="KETP", case_number="MP-2032")
    db.expire_all()
    # the reference family has three missing persons in its pedigree "am" (dvir's M1, M2, M3):
    # one family of the app each, with the whole reference pedigree and the same donor
    assert [(f.family.code, f.missing, f.missing_person.case_number) for f in report.families] == [
        ("KETP-M1", "Missing female 2", "MP-2032-M1"), ("KETP-M2", "Missing male 1", "MP-2032-M2"),
        ("KETP-M3", "Missing person", "MP-2032-M3")]
    reference = fam.families[0]
    am = {p.person_id: p for p in reference.pedigrees[1].persons}
    r1 = next(p for p in reference.persons if p.person_id == "R1")
    donor = db.exec(select(Donor).where(Donor.code == "KETP-R1")).one()
    assert donor.sex == "M"
    accession = donors.reference_samples(db, donor.id or 0)[0].accession
    assert _alleles(db, accession) == {canonical_marker(m): g for m, g in r1.genotypes.items()}
    assert len(_alleles(db, accession)) == 16
    for created in report.families:
        family = db.exec(select(Family).where(Family.code == created.family.code)).one()
        members = {m.person_code: m for m in families.members(db, family)}
        assert set(members) == {"R1", "EM1", "Missing female 2", "Missing male 1", "Missing person", "added_1"}
        for pid, m in members.items():
            assert (m.father or None, m.mother or None) == (am[pid].father_id, am[pid].mother_id)
            assert m.sex == {1: "M", 2: "F"}[am[pid].sex]
        assert [pid for pid, m in members.items() if m.missing] == [created.missing]
        assert members["R1"].donor_code == "KETP-R1" and members["R1"].sample_accession == accession
        person = db.exec(select(MissingPerson).where(MissingPerson.case_number == created.missing_person.case_number)
                         ).one()
        assert members[created.missing].missing_person_id == person.id
        assert person.sex == members[created.missing].sex
    assert db.exec(select(MissingPerson).where(MissingPerson.case_number == "MP-2032-M2")).one().sex == "M"
    # one donor and one profile for the file's one typed reference; nothing for the victims
    after = _counts(db)
    assert after[0] - before[0] == 3 and after[1] - before[1] == 1 and after[5] - before[5] == 1
    assert after[3] - before[3] == 3
    assert report.victims_left_out == ["V1", "V2", "V3"]
    assert any(n.startswith("3 unidentified persons left out (V1, V2, V3)") and "custody" in n
               for n in report.notes)
    # outside pedigree "am"'s connected part: EF1 and Missing female 1 (untyped), named in the report
    assert [(x.family, x.pedigree, x.person, x.typed) for x in report.left_out] == [
        ("Exercise_4_9_8_am_data", "am", "EF1", False), ("Exercise_4_9_8_am_data", "am", "Missing female 1", False)]
    assert [(f.file_family, f.file_pedigree, f.number) for f in report.families] == [
        ("Exercise_4_9_8_am_data", "am", n) for n in (1, 2, 3)]
    assert report.profiles == 1


def test_one_reference_family_can_be_chosen(db: Session, coordinator: User) -> None:
    with pytest.raises(ValidationFailed) as caught:
        familias_import.import_file(session=db, raw=KETP.read_bytes(), filename=KETP.name, by=coordinator,
                                    family_code="KETP", case_number="MP-2033", pedigree="nope")
    assert "no reference family 'nope' in the DVI file (it has Exercise_4_9_8_am_data)" in str(
        caught.value.problems[0])
    report = familias_import.import_file(session=db, raw=KETP.read_bytes(), filename=KETP.name, by=coordinator,
                                         family_code="KETP", case_number="MP-2033",
                                         pedigree="Exercise_4_9_8_am_data")
    assert len(report.families) == 3


def test_a_broken_dvi_file_stores_nothing(db: Session, coordinator: User) -> None:
    before = _counts(db)
    # dvi-example.fam types its reference at a marker "L1" no kit has: refused after families,
    # donors and missing persons were written in the transaction -> all rolled back
    with pytest.raises(ValidationFailed) as caught:
        familias_import.import_file(session=db, raw=EXAMPLE.read_bytes(), filename="dvi-example.fam",
                                    by=coordinator, family_code="EX", case_number="MP-2034")
    named = [str(p) for p in caught.value.problems]
    assert any(p.startswith("dvi-example.fam, field genotypes: family Reference family 1, person R, marker L1")
               for p in named), named
    assert _counts(db) == before
    raw = KETP.read_bytes()
    cut = raw[: len(raw) - 400]  # truncated inside the DVI section's reference family
    with pytest.raises(ValidationFailed) as truncated:
        familias_import.import_file(session=db, raw=cut, filename="cut.fam", by=coordinator,
                                    family_code="KETP", case_number="MP-2034")
    assert [(p.file, p.row) for p in truncated.value.problems if "Parent without Child" in p.message] == [
        ("cut.fam", 933)]
    assert _counts(db) == before
    familias_import.import_file(session=db, raw=raw, filename=KETP.name, by=coordinator,
                                family_code="KETP", case_number="MP-2034")
    middle = _counts(db)
    with pytest.raises(ValidationFailed) as again:  # the same codes a second time: every clash named
        familias_import.import_file(session=db, raw=raw, filename=KETP.name, by=coordinator,
                                    family_code="KETP", case_number="MP-2034")
    text = " | ".join(str(p) for p in again.value.problems)
    assert "family KETP-M1 exists already" in text and "family KETP-M3 exists already" in text
    assert "missing person MP-2034-M2 is in a family already" in text and "donor KETP-R1" in text
    assert _counts(db) == middle


def _two_families(text: str) -> str:
    """KETPex498.fam with its reference family written twice (the second named Second_family)."""
    lines = text.split("\n")
    start = next(k for k, line in enumerate(lines) if line.startswith("[[[Family 1 ]]]"))
    end = next(k for k, line in enumerate(lines) if line.startswith("[Prior]"))
    copy = [line.replace("[[[Family 1 ]]]", "[[[Family 2 ]]]").replace(
        "Name= Exercise_4_9_8_am_data", "Name= Second_family") for line in lines[start:end]]
    assert copy[1].startswith("Name= Second_family")
    return "\n".join(lines[:end] + copy + lines[end:])


def test_a_dvi_file_with_two_reference_families(db: Session, coordinator: User) -> None:
    raw = _two_families(KETP.read_bytes().decode("latin-1")).encode("latin-1")
    assert [f.name for f in parse_fam(raw.decode("latin-1"), "two.fam").families] == [
        "Exercise_4_9_8_am_data", "Second_family"]
    before = _counts(db)
    report = familias_import.import_file(session=db, raw=raw, filename="two.fam", by=coordinator,
                                         family_code="TWO", case_number="MP-2038")
    assert [f.family.code for f in report.families] == [f"TWO-M{n}" for n in range(1, 7)]
    assert [d[1] for f in report.families for d in f.donors] == ["TWO-F1-R1"] * 3 + ["TWO-F2-R1"] * 3
    assert report.families[3].source.startswith("reference family Second_family (pedigree am)")
    after = _counts(db)
    assert (after[0] - before[0], after[1] - before[1], after[3] - before[3]) == (6, 2, 6)
    chosen = familias_import.import_file(session=db, raw=raw, filename="two.fam", by=coordinator,
                                         family_code="ONE", case_number="MP-2039", pedigree="Second_family")
    # numbered as in the whole file (M4..M6, as `labtrack familias lr` names them)
    assert [f.family.code for f in chosen.families] == ["ONE-M4", "ONE-M5", "ONE-M6"]
    assert chosen.families[0].donors[0][1] == "ONE-F2-R1"
