"""Correcting and removing persons of a family tree: the tree checked as a whole, reasons, removed
persons kept, and the kinship rules of any pedigree edit (earlier candidates refused at review
until recomputed; continuous matching queues the family)."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from sqlmodel import Session, select

from labtrack.core.errors import Conflict, ValidationFailed
from labtrack.models import Donor, Family, Identification, PedigreeMember, RemovedPedigreeMember
from labtrack.services import audit, demo, families, pedigree_corrections, review
from tests.factories import PASSWORD, UserWithPassword, make_user
from tests.services.test_candidates import FEMUR, _open, _run
from tests.services.test_continuous import _queued


@pytest.fixture
def lab(db: Session) -> tuple[UserWithPassword, UserWithPassword]:
    demo.load_demo(db)
    return make_user(db, "coordinator", "coord9"), make_user(db, "analyst", "reviewer9")


def _family(db: Session, code: str = "FAM-0001") -> Family:
    return db.exec(select(Family).where(Family.code == code)).one()


def _member(db: Session, person: str, code: str = "FAM-0001") -> PedigreeMember:
    db.expire_all()
    return db.exec(select(PedigreeMember).where(PedigreeMember.family_id == _family(db, code).id,
                                                PedigreeMember.person_code == person)).one()


def test_a_correction_is_checked_as_a_tree_and_audited(db: Session, lab) -> None:  # noqa: ANN001
    coordinator, _ = lab
    father = _member(db, "F")
    cases = (({"reason": " ", "relation": "x"}, "reason"), ({"reason": "r", "sex": "F"}, "father"),
             ({"reason": "r", "donor_code": "D-9999"}, "donor_code"),
             ({"reason": "r", "donor_code": "D-0001"}, "donor_code"),
             ({"reason": "r", "father": "F"}, "father"), ({"reason": "r", "father": "MP"}, "person_code"),
             ({"reason": "r", "person_code": ""}, "person_code"),
             ({"reason": "r", "missing_person_id": 1}, "missing_person_id"))
    for kwargs, field in cases:
        with pytest.raises(ValidationFailed) as error:
            pedigree_corrections.correct_member(session=db, member_id=father.id, by=coordinator.user, **kwargs)
        assert field in {p.field for p in error.value.problems}, (kwargs, error.value.problems)
    assert (_member(db, "F").sex, _member(db, "F").donor_id) == ("M", father.donor_id)
    pedigree_corrections.correct_member(session=db, member_id=father.id, by=coordinator.user,
                                        reason="code as in the family's file", person_code="FATHER",
                                        relation="father (checked)")
    renamed = _member(db, "FATHER")
    assert renamed.id == father.id and renamed.relation_label == "father (checked)"
    assert _member(db, "MP").father_id == father.id  # the child still points at the same person
    entry = audit.history(db, "pedigree_member", str(father.id))[-1]
    assert (json.loads(entry.before_json)["person_code"], json.loads(entry.after_json)["person_code"]) == (
        "F", "FATHER")
    assert "code as in the family's file" in entry.reason and entry.actor_id == coordinator.id


def test_removal_keeps_the_person_and_refuses_parents_and_the_missing_person(db: Session, lab) -> None:  # noqa: ANN001
    coordinator, _ = lab
    family = _family(db)
    with pytest.raises(Conflict, match="is a parent of MP"):
        pedigree_corrections.remove_member(session=db, member_id=_member(db, "F").id, by=coordinator.user,
                                           reason="r")
    with pytest.raises(Conflict, match="is the missing person"):
        pedigree_corrections.remove_member(session=db, member_id=_member(db, "MP").id, by=coordinator.user,
                                           reason="r")
    uncle = families.add_member(session=db, family_id=family.id, by=coordinator.user, person_code="UNCLE", sex="M",
                                donor_code="D-0003", relation="uncle")
    with pytest.raises(ValidationFailed):
        pedigree_corrections.remove_member(session=db, member_id=uncle.id, by=coordinator.user, reason="")
    assert _member(db, "UNCLE").id == uncle.id
    kept = pedigree_corrections.remove_member(session=db, member_id=uncle.id, by=coordinator.user,
                                              reason="not a relative: entered in the wrong family")
    db.expire_all()
    assert db.get(PedigreeMember, uncle.id) is None
    stored = db.get(RemovedPedigreeMember, kept.id)
    donor = db.exec(select(Donor).where(Donor.code == "D-0003")).one()
    assert (stored.person_code, stored.sex, stored.donor_id, stored.relation_label, stored.member_id) == (
        "UNCLE", "M", donor.id, "uncle", uncle.id)
    assert stored.reason == "not a relative: entered in the wrong family" and stored.removed_by_id == coordinator.id
    deleted = audit.history(db, "pedigree_member", str(uncle.id))[-1]
    assert deleted.action == "delete" and json.loads(deleted.before_json)["person_code"] == "UNCLE"
    assert [(r.person_code, code, by) for r, code, by in pedigree_corrections.removed_members(db, family)] == [
        ("UNCLE", "D-0003", "coord9")]
    assert "UNCLE" not in {m.person_code for m in families.members(db, family)}
    assert audit.verify_chain(db).ok


def test_a_removal_makes_earlier_candidates_stale(app: Flask, db: Session, lab) -> None:  # noqa: ANN001
    coordinator, first = lab
    second = make_user(db, "analyst", "reviewer10")
    family = _family(db)
    uncle = families.add_member(session=db, family_id=family.id, by=coordinator.user, person_code="UNCLE", sex="M")
    _run(app, db, first)
    match_id = _open(db)[(FEMUR, "FAM-0001")].id
    review.propose(session=db, match_id=match_id, by=first.user, decision="confirm", reason="consistent",
                   password=PASSWORD)
    pedigree_corrections.remove_member(session=db, member_id=uncle.id, by=coordinator.user, reason="wrong family")
    with pytest.raises(Conflict, match=r"changed after it was computed \(the pedigree, its reference profiles"):
        review.approve(session=db, match_id=match_id, by=second.user, password=PASSWORD)
    assert db.exec(select(Identification)).all() == []


def test_a_correction_makes_earlier_candidates_stale(app: Flask, db: Session, lab) -> None:  # noqa: ANN001
    coordinator, first = lab
    _run(app, db, first)
    match_id = _open(db)[(FEMUR, "FAM-0001")].id
    pedigree_corrections.correct_member(session=db, member_id=_member(db, "M").id, by=coordinator.user,
                                        reason="the mother's sample belongs to another family", donor_code="")
    with pytest.raises(Conflict, match=r"changed after it was computed \(the pedigree"):
        review.propose(session=db, match_id=match_id, by=first.user, decision="confirm", reason="ok",
                       password=PASSWORD)


def test_continuous_matching_queues_the_family_after_a_correction_or_removal(app: Flask, db: Session,
                                                                             lab) -> None:  # noqa: ANN001
    coordinator, _ = lab
    family = _family(db, "FAM-0002")
    uncle = families.add_member(session=db, family_id=family.id, by=coordinator.user, person_code="UNCLE", sex="M")
    app.config["CONTINUOUS_MATCHING"] = True
    app.config["JOBS_INLINE"] = False
    assert _queued(db) == []
    pedigree_corrections.correct_member(session=db, member_id=uncle.id, by=coordinator.user, reason="r", sex="U")
    assert _queued(db) == [{"families": ["FAM-0002"]}]
    pedigree_corrections.remove_member(session=db, member_id=uncle.id, by=coordinator.user, reason="r")
    assert _queued(db) == [{"families": ["FAM-0002"]}]  # coalesced with the queued run of the family


def test_deep_verification_holds_after_corrections_and_a_removal(app: Flask, db: Session,
                                                                  lab) -> None:  # noqa: ANN001
    from labtrack.db import get_engine
    from labtrack.services import audit_deep, audit_seal

    coordinator, _ = lab
    family = _family(db)
    uncle = families.add_member(session=db, family_id=family.id, by=coordinator.user, person_code="UNCLE", sex="M")
    pedigree_corrections.correct_member(session=db, member_id=uncle.id, by=coordinator.user, reason="r", sex="U")
    pedigree_corrections.remove_member(session=db, member_id=uncle.id, by=coordinator.user, reason="r")
    result = audit_deep.deep_verify(db, seal=audit_seal.seal_of(get_engine(app)))
    assert result.ok, result.discrepancies
