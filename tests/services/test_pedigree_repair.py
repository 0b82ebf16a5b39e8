"""One bad family never stops the lab: a child with one parent gets an untyped founder for the
other at import (with a note), a person their own ancestor is refused, and a run skips a family
the engine cannot compute and lists it, instead of failing."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from labtrack.core.errors import ValidationFailed
from labtrack.models import Donor, Family, PedigreeMember, Sample, User
from labtrack.services import demo, families, pedigree_exchange
from tests.factories import make_user
from tests.services.test_candidates import FEMUR, _open, _run


def _father_sample(db: Session) -> str:
    father = db.exec(select(Donor).where(Donor.code == "D-0002")).one()
    return db.exec(select(Sample.accession).where(Sample.donor_id == father.id)).first() or ""


def test_a_child_with_one_parent_gets_an_untyped_founder_and_is_matched(app: Flask, db: Session,
                                                                        client: FlaskClient, login_as) -> None:  # noqa: ANN001
    demo.load_demo(db)
    coordinator = db.exec(select(User).where(User.role == "coordinator")).first()
    assert coordinator is not None
    raw = ("family_id,person_id,father_id,mother_id,sex,sample_id,missing\n"
           f"FAM-X,F,,,1,{_father_sample(db)},0\n"
           "FAM-X,SON,F,,1,,1\n").encode()
    [family] = pedigree_exchange.import_pedigrees(session=db, raw=raw, filename="one-parent.csv", by=coordinator)
    members = {m.person_code: m for m in db.exec(select(PedigreeMember).where(PedigreeMember.family_id == family.id))}
    assert set(members) == {"F", "SON", "SON-MOTHER"}
    added = members["SON-MOTHER"]
    assert (added.sex, added.donor_id, added.father_id, added.mother_id) == ("F", None, None, None)
    assert members["SON"].mother_id == added.id and added.relation_label == "added: parent not given"
    assert family.notes == ("Import one-parent.csv: the mother of SON was not given (row 3): added as untyped "
                            "founder SON-MOTHER")
    analyst = make_user(db, "analyst", "repair1")
    run = _run(app, db, analyst)
    assert run.n_families == 5 and json.loads(run.outcome_json)["problems"] == []
    assert _open(db)[(FEMUR, "FAM-X")].log10_lr > 3  # the father alone still points at his son
    login_as("coordinator")
    page = client.get(f"/families/{family.id}").get_data(as_text=True)
    assert "added as untyped founder SON-MOTHER" in page


def test_a_person_their_own_ancestor_is_refused_and_nothing_is_stored(db: Session) -> None:
    demo.load_demo(db)
    coordinator = db.exec(select(User).where(User.role == "coordinator")).first()
    assert coordinator is not None
    raw = (b"family_id,person_id,father_id,mother_id,sex,sample_id,missing\n"
           b"FAM-L,A,B,M,1,,0\nFAM-L,B,A,M,1,,0\nFAM-L,M,,,2,,0\nFAM-L,C,A,M,1,,1\n")
    with pytest.raises(ValidationFailed) as info:
        pedigree_exchange.import_pedigrees(session=db, raw=raw, filename="loop.csv", by=coordinator)
    assert any("is their own ancestor" in p.message for p in info.value.problems)
    assert db.exec(select(Family).where(Family.code == "FAM-L")).first() is None


def test_a_run_skips_a_family_it_cannot_compute_and_lists_it(app: Flask, db: Session, client: FlaskClient,
                                                             login_as) -> None:  # noqa: ANN001
    demo.load_demo(db)
    coordinator = db.exec(select(User).where(User.role == "coordinator")).first()
    assert coordinator is not None
    # built by hand (not through the import, which repairs it): a child with a father only
    family = families.create_family(session=db, code="FAM-BAD", by=coordinator)
    families.add_member(session=db, family_id=family.id or 0, by=coordinator, person_code="F", sex="M",
                        donor_code="D-0002")
    families.add_member(session=db, family_id=family.id or 0, by=coordinator, person_code="SON", sex="M",
                        father="F")
    from labtrack.services.search_input import build_search_input

    engine = build_search_input(session=db, families=["FAM-BAD"]).engine_input()
    assert engine.pedigrees == [] and engine.problems[0].startswith("family FAM-BAD was skipped: ")
    analyst = login_as("analyst")
    run = _run(app, db, analyst)
    problems = json.loads(run.outcome_json)["problems"]
    assert run.status == "done" and len(problems) == 1 and problems[0].startswith("family FAM-BAD was skipped: ")
    assert run.n_families == 4 and (FEMUR, "FAM-0001") in _open(db)
    page = client.get(f"/matching/runs/{run.id}").get_data(as_text=True)
    assert "Skipped: problems to fix" in page and "family FAM-BAD was skipped" in page
    # kept as a message id with its parameters: said in the reader's language
    [said] = json.loads(run.outcome_json)["messages"]["problems"]
    assert said["msg"] == "family %(family)s was skipped: %(problems)s" and said["params"]["family"] == "FAM-BAD"
    why = said["params"]["problems"]["joined"][0]
    assert why["params"]["message"] == {"msg": "family %(family)s: %(problem)s", "params": {
        "family": "FAM-BAD", "problem": {"msg": "%(person)s has one parent only; give both or none",
                                         "params": {"person": "SON"}}}}
    arabic = client.get(f"/matching/runs/{run.id}", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "تُخُطّيت العائلة FAM-BAD: العائلة FAM-BAD، الحقل mother_id: العائلة FAM-BAD: للشخص SON والد واحد " \
        "فقط؛ اذكر الوالدين كليهما أو لا تذكر أياً منهما" in arabic
    assert "was skipped" not in arabic and "one parent only" not in arabic
    api = client.get(f"/api/v1/match-runs/{run.id}", headers={"Accept-Language": "ar"}).get_json()
    assert api["problems"] == [text for text in api["problems"] if text.startswith("تُخُطّيت العائلة FAM-BAD: ")]
    assert len(api["problems"]) == 1
    english = client.get(f"/api/v1/match-runs/{run.id}", headers={"Accept-Language": "en"}).get_json()
    assert english["problems"] == problems  # the same English text as kept in the outcome
