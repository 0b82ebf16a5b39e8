"""A Familias .fam file imported as a family of the app (public files of tests/data/familias-public,
see its SOURCE.md): the tree, donors with reference samples and their profiles exactly as in the
file, the missing person linked; all or nothing, every problem named."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from labtrack.core.errors import ValidationFailed
from labtrack.kinship.familias import parse_fam
from labtrack.kinship.markers import canonical_marker
from labtrack.models import AuditEntry, Donor, Family, MissingPerson, Profile, ProfileAllele, Sample, User
from labtrack.services import demo, familias_import, families

FAM = Path(__file__).resolve().parents[1] / "data" / "familias-public" / "fam"
PATERNITY = FAM / "pedFamilias__inst__extdata__paternity.fam"


@pytest.fixture
def coordinator(db: Session) -> User:
    demo.load_demo(db)
    user = db.exec(select(User).where(User.role == "coordinator")).first()
    assert user is not None
    return user


def _alleles(db: Session, accession: str) -> dict[str, tuple[str, str]]:
    rows = db.exec(select(ProfileAllele.locus, ProfileAllele.allele1, ProfileAllele.allele2)
                   .join(Profile, Profile.id == ProfileAllele.profile_id)  # type: ignore[arg-type]
                   .join(Sample, Sample.id == Profile.sample_id)  # type: ignore[arg-type]
                   .where(Sample.accession == accession)).all()
    return {canonical_marker(locus): (a1, a2) for locus, a1, a2 in rows}


def test_a_pedigree_of_a_fam_file_becomes_a_family(db: Session, coordinator: User) -> None:
    raw = PATERNITY.read_bytes()
    fam = parse_fam(raw.decode("latin-1"), PATERNITY.name)
    done = familias_import.import_family(session=db, raw=raw, filename=PATERNITY.name, by=coordinator,
                                         family_code="FAM-PAT", missing="MO", case_number="MP-2030-0001")
    db.expire_all()
    family = db.exec(select(Family).where(Family.code == "FAM-PAT")).one()
    members = {m.person_code: m for m in families.members(db, family)}
    tree = {p.person_id: p for p in fam.pedigrees[0].persons}
    assert set(members) == set(tree)
    for pid, p in tree.items():
        assert (members[pid].father or None, members[pid].mother or None) == (p.father_id, p.mother_id)
        assert members[pid].sex == {1: "M", 2: "F"}[p.sex]
    person = db.exec(select(MissingPerson).where(MissingPerson.case_number == "MP-2030-0001")).one()
    assert members["MO"].missing_person_id == person.id and person.sex == "F"
    genotypes = {p.person_id: {canonical_marker(m): g for m, g in p.genotypes.items()} for p in fam.persons}
    assert [d[0] for d in done.donors] == ["AF", "CH"] and done.profiles == 2
    for pid, code, accession in done.donors:
        assert members[pid].donor_code == code and members[pid].sample_accession == accession
        assert _alleles(db, accession) == genotypes[pid]  # every genotype as in the file (kit spelling of loci)
    assert any("consent" in note for note in done.notes)
    audited = set(db.exec(select(AuditEntry.entity_type)).all())
    assert {"family", "pedigree_member", "donor", "sample"} <= audited


def test_bad_files_and_choices_are_named_and_nothing_is_stored(db: Session, coordinator: User) -> None:
    before = (len(db.exec(select(Family)).all()), len(db.exec(select(Donor)).all()))
    raw = PATERNITY.read_bytes()
    cases = [
        (raw[: len(raw) // 2], {}, "The Familias file cannot be read"),  # truncated
        (re.sub(rb"\n3\.\d\.\d(\r?)\n", rb"\n9.9.9\1\n", raw, count=1), {}, "The Familias file cannot be read"),
        (raw, {"pedigree": "H9"}, "no pedigree 'H9' in the file (it has H1, H2)"),
        (raw, {"missing": "AF"}, "person AF is typed in the file"),
        (raw, {"missing": "ZZ"}, "no person 'ZZ' in pedigree H1"),
        (raw, {"family_code": "FAM-0001"}, "family FAM-0001 exists already"),
        (raw, {"case_number": "MP-2025-0001"}, "missing person MP-2025-0001 is in a family already"),
    ]
    assert cases[1][0] != raw
    for data, change, expected in cases:
        args = {"family_code": "FAM-NEW", "missing": "MO", "case_number": "MP-2030-0002", "pedigree": ""} | change
        with pytest.raises(ValidationFailed) as caught:
            familias_import.import_family(session=db, raw=data, filename="x.fam", by=coordinator, **args)
        text = caught.value.message + " | " + " | ".join(str(p) for p in caught.value.problems)
        assert expected in text, (expected, text)
    truncated = pytest.raises(ValidationFailed)
    with truncated as caught:
        familias_import.import_family(session=db, raw=raw[: len(raw) // 2], filename="x.fam", by=coordinator,
                                      family_code="FAM-NEW", missing="MO", case_number="MP-2030-0002")
    assert any(p.row is not None and p.file == "x.fam" for p in caught.value.problems)  # where: file and line
    db.expire_all()
    assert (len(db.exec(select(Family)).all()), len(db.exec(select(Donor)).all())) == before
    assert db.exec(select(MissingPerson).where(col(MissingPerson.case_number).startswith("MP-2030"))).first() is None


def test_a_profile_the_lab_cannot_store_rolls_everything_back(db: Session, coordinator: User) -> None:
    """A genotype the profile import refuses (an allele off the ladder) leaves no family, donor or
    missing person behind."""
    text = PATERNITY.read_bytes().decode("latin-1")
    before = (len(db.exec(select(Family)).all()), len(db.exec(select(Donor)).all()),
              len(db.exec(select(Sample)).all()))
    with pytest.raises(ValidationFailed) as caught:
        familias_import.import_family(session=db, raw=_with_bad_allele(text).encode("latin-1"), filename="bad.fam",
                                      by=coordinator, family_code="FAM-BAD", missing="MO", case_number="MP-2030-0003")
    named = {str(p) for p in caught.value.problems}
    wanted = "bad.fam, field genotypes: person AF, marker D3S1358: allele '999.7'"
    assert any(p.startswith(wanted) for p in named), named
    db.expire_all()
    assert (len(db.exec(select(Family)).all()), len(db.exec(select(Donor)).all()),
            len(db.exec(select(Sample)).all())) == before
    assert db.exec(select(MissingPerson).where(MissingPerson.case_number == "MP-2030-0003")).first() is None


def _with_bad_allele(text: str) -> str:
    """The file with the first allele name of its database replaced by one no ladder has."""
    fam = parse_fam(text, "x.fam")
    first = fam.loci[0]
    typed_allele = next(g[0] for p in fam.persons for m, g in p.genotypes.items() if m == first.name)
    needle = f'\n"{typed_allele}"\n'
    assert needle in text
    return text.replace(needle, '\n"999.7"\n', 1)
