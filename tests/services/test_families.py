"""Pedigrees in the database: import, export (exact round trip), refusals; donors; frequencies; exports."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, func, select

from labtrack.core.errors import Conflict, ValidationFailed
from labtrack.models import Family, FrequencyTable, MissingPerson, PedigreeMember, User
from labtrack.services import (
    donors,
    exports,
    families,
    frequencies,
    listing,
    lists,
    missing_persons,
    pedigree_exchange,
)

ROOT = Path(__file__).resolve().parents[2]


def coordinator(users: dict) -> User:
    return users["coordinator"].user


def test_pedigree_import_and_export_round_trip(db: Session, users: dict) -> None:
    by = coordinator(users)
    _donor1, ref1 = donors.register_donor(session=db, by=by, code="D-1", sex="F")
    _donor2, ref2 = donors.register_donor(session=db, by=by, code="D-2", sex="M")
    raw = ("family_id,person_id,father_id,mother_id,sex,sample_id,missing\n"
           f"FAM-A,MO,,,2,{ref1.accession},0\n"
           "FAM-A,FA,,,1,,0\n"
           "FAM-A,MP,FA,MO,1,,1\n"
           f"FAM-A,BR,FA,MO,1,{ref2.accession},0\n"
           f"FAM-B,MO,,,2,{ref1.accession},0\n"  # one mother, two missing sons in two pedigrees
           "FAM-B,FA,,,0,,0\n"
           "FAM-B,MP,FA,MO,1,,1\n").encode()
    created = pedigree_exchange.import_pedigrees(session=db, raw=raw, filename="p.csv", by=by)
    assert [f.code for f in created] == ["FAM-A", "FAM-B"]
    assert pedigree_exchange.export_pedigrees(db) == raw
    assert db.exec(select(MissingPerson).where(MissingPerson.case_number == "FAM-A")).one()
    assert [f.code for f in families.families_of_donor(db, _donor1.id)] == ["FAM-A", "FAM-B"]
    with pytest.raises(ValidationFailed) as caught:
        pedigree_exchange.import_pedigrees(session=db, raw=raw, filename="p.csv", by=by)
    assert "family FAM-A exists already" in str(caught.value.problems)


def test_bad_pedigrees_store_nothing(db: Session, users: dict) -> None:
    for name in ("pedigree_loop.csv", "pedigree_two_missing.csv", "pedigree_bad_parents.csv"):
        with pytest.raises(ValidationFailed):
            pedigree_exchange.import_pedigrees(session=db, raw=(ROOT / "fixtures" / "malformed" / name).read_bytes(),
                                               filename=name, by=coordinator(users))
    raw = b"family_id,person_id,father_id,mother_id,sex,sample_id,missing\nF,A,,,1,REF-00042-A-XX,1\n"
    with pytest.raises(ValidationFailed) as caught:
        pedigree_exchange.import_pedigrees(session=db, raw=raw, filename="x.csv", by=coordinator(users))
    assert any(p.field == "sample_id" for p in caught.value.problems)
    assert db.exec(select(func.count()).select_from(Family)).one() == 0
    assert db.exec(select(func.count()).select_from(PedigreeMember)).one() == 0


def test_donor_gets_a_barcoded_reference_sample_with_custody_item(db: Session, users: dict) -> None:
    from labtrack.core import ids
    from labtrack.models import CustodyItem

    donor, sample = donors.register_donor(session=db, by=coordinator(users), code="D-9", sex="F")
    assert ids.parse(sample.accession).kind == "reference" and sample.donor_id == donor.id
    assert db.exec(select(CustodyItem).where(CustodyItem.sample_id == sample.id)).one().kind == "sample"
    with pytest.raises(Conflict):
        donors.register_donor(session=db, by=coordinator(users), code="D-9")


def test_frequency_table_validation_and_default(db: Session, users: dict) -> None:
    by = users["admin"].user
    bad = (ROOT / "fixtures" / "malformed" / "freqs_errors.csv").read_bytes()
    with pytest.raises(ValidationFailed) as caught:
        frequencies.import_table(session=db, raw=bad, filename="freqs_errors.csv", name="bad", by=by)
    messages = " | ".join(str(p) for p in caught.value.problems)
    for part in ("row 4", "-0.1", "row 6", "'abc'", "row 8", "D99S1", "TH01 sum to 0.8000"):
        assert part in messages
    assert db.exec(select(FrequencyTable)).first() is None
    good = (ROOT / "fixtures" / "freqs" / "nist1036.csv").read_bytes()
    table = frequencies.import_table(session=db, raw=good, filename="nist.csv", name="NIST", by=by, make_default=True)
    assert frequencies.default_table(db).id == table.id
    frame = frequencies.table_frame(db, table)
    assert abs(frame[frame.marker == "TH01"].frequency.sum() - 1) < 1e-9


def test_exports_are_safe_against_formula_injection(db: Session, users: dict) -> None:
    missing_persons.register_missing_person(session=db, by=coordinator(users), case_number="=HYPERLINK(1)",
                                            name_latin="+cmd", contact_phone="-1", circumstances="@SUM(A1)")
    spec = lists.MISSING_PERSONS

    def exported(identities: bool) -> exports.Table:  # what the missing-persons list exports
        header, rows = listing.rows(db, spec, listing.parse(spec, {}, identities=identities), identities=identities)
        return header, list(rows)

    table = exported(True)
    text = exports.to_csv(table).decode()
    assert "'=HYPERLINK(1)" in text and "'+cmd" in text and "'-1" in text and "'@SUM(A1)" in text
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(table, title="mp"))).active
    values = [cell.value for cell in sheet[2]]
    assert "'=HYPERLINK(1)" in values and sheet["A2"].data_type == "s"
    blind = exported(False)
    assert "name_latin" not in blind[0] and "+cmd" not in exports.to_csv(blind).decode()


def test_coordinator_builds_a_family_tree_person_by_person(db: Session, users: dict) -> None:
    by = coordinator(users)
    donor, _sample = donors.register_donor(session=db, by=by, code="D-7", sex="F")
    missing_persons.register_missing_person(session=db, by=by, case_number="MP-7", sex="M")
    family = families.create_family(session=db, code="FAM-7", by=by)
    families.add_member(session=db, family_id=family.id, by=by, person_code="MO", sex="F", donor_code="D-7",
                        relation="mother")
    families.add_member(session=db, family_id=family.id, by=by, person_code="FA", sex="M")
    families.add_member(session=db, family_id=family.id, by=by, person_code="MP", sex="M", father="FA",
                        mother="MO", case_number="MP-7")
    with pytest.raises(ValidationFailed) as caught:
        families.add_member(session=db, family_id=family.id, by=by, person_code="X", sex="M", father="MO")
    assert "father MO of X has sex female" in str(caught.value.problems)
    with pytest.raises(ValidationFailed):
        families.add_member(session=db, family_id=family.id, by=by, person_code="MP2", case_number="MP-7")
    rows = pedigree_exchange.pedigree_rows(db, [family])
    assert [(r.person_id, r.father_id, r.mother_id, r.missing) for r in rows] == [
        ("MO", "", "", False), ("FA", "", "", False), ("MP", "FA", "MO", True)]
    assert rows[0].sample_id == _sample.accession


def test_pedigree_rows_of_every_family_agree_with_each_familys_members(db: Session) -> None:
    """The bulk read (three queries for all families) gives what the per-family members show."""
    from labtrack.services import demo

    demo.load_demo(db)
    demo_db = db
    expected = []
    for family in families.list_families(demo_db):
        expected += [(family.code, m.person_code, m.father, m.mother, m.sex, m.sample_accession, m.missing)
                     for m in families.members(demo_db, family)]
    rows = pedigree_exchange.pedigree_rows(demo_db)
    assert [(r.family_id, r.person_id, r.father_id, r.mother_id, r.sex, r.sample_id, r.missing)
            for r in rows] == expected
    assert len(rows) > 3 and any(r.sample_id for r in rows) and any(r.father_id for r in rows)
    one = families.list_families(demo_db)[-1]
    assert [r.family_id for r in pedigree_exchange.pedigree_rows(demo_db, [one])] == [one.code] * len(
        families.members(demo_db, one))
