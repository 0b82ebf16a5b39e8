"""Correcting sites and remains, closing and reopening a site: reasons, the rules of registration,
values before and after in the audit log."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import Session

from labtrack.core.errors import Conflict, ValidationFailed
from labtrack.models import Remains, Site
from labtrack.services import audit, intake, site_corrections
from tests.factories import make_remains, make_site


def _site(db: Session, code: str = "QTF") -> Site:
    db.expire_all()
    return intake.get_site(db, code)


def test_site_correction_is_audited_and_the_code_stays(db: Session, users: dict) -> None:
    tech = users["technician"].user
    site = make_site(db, tech)
    site_corrections.correct_site(session=db, site_code="qtf", by=tech, reason="name misspelt in the field",
                                  name_en="Qutayfah", name_ar="القطيفة", latitude=33.74, longitude=36.6)
    stored = _site(db)
    assert (stored.code, stored.name_en, stored.name_ar, stored.latitude) == ("QTF", "Qutayfah", "القطيفة", 33.74)
    entry = audit.history(db, "site", str(site.id))[-1]
    assert "name misspelt in the field" in entry.reason and entry.actor_id == users["technician"].id
    assert (json.loads(entry.before_json)["name_en"], json.loads(entry.after_json)["name_en"]) == ("Site QTF",
                                                                                                 "Qutayfah")


def test_bad_site_corrections_change_nothing(db: Session, users: dict) -> None:
    tech = users["technician"].user
    site = make_site(db, tech)
    for kwargs, field in (({"reason": " ", "name_en": "X"}, "reason"), ({"reason": "r", "name_en": " "}, "name_en"),
                          ({"reason": "r", "latitude": 95.0}, "latitude"),
                          ({"reason": "r", "governorate": "x" * 101}, "governorate"),
                          ({"reason": "r", "code": "ABC"}, "code"),
                          ({"reason": "r", "status": "closed"}, "status")):
        with pytest.raises(ValidationFailed) as error:
            site_corrections.correct_site(session=db, site_code="QTF", by=tech, **kwargs)
        assert field in {p.field for p in error.value.problems}, kwargs
    assert (_site(db).name_en, _site(db).status) == ("Site QTF", "active")
    assert len(audit.history(db, "site", str(site.id))) == 1


def test_a_closed_site_takes_no_new_remains_until_reopened(db: Session, users: dict) -> None:
    tech = users["technician"].user
    make_site(db, tech)
    make_remains(db, tech)
    with pytest.raises(ValidationFailed) as error:
        site_corrections.set_site_status(session=db, site_code="QTF", status="closed", by=tech, reason="")
    assert error.value.problems[0].field == "reason"
    with pytest.raises(ValidationFailed):
        site_corrections.set_site_status(session=db, site_code="QTF", status="sealed", by=tech, reason="r")
    site_corrections.set_site_status(session=db, site_code="QTF", status="closed", by=tech, reason="exhumation ended")
    assert _site(db).status == "closed"
    with pytest.raises(Conflict, match="closed"):
        make_remains(db, tech)
    with pytest.raises(Conflict, match="has this status already"):
        site_corrections.set_site_status(session=db, site_code="QTF", status="closed", by=tech, reason="again")
    site_corrections.set_site_status(session=db, site_code="QTF", status="active", by=tech, reason="second trench")
    assert make_remains(db, tech).number == 2
    entries = [e for e in audit.history(db, "site", str(_site(db).id)) if "->" in e.reason]
    assert [e.reason for e in entries] == ["site QTF: active -> closed: exhumation ended",
                                           "site QTF: closed -> active: second trench"]


def test_remains_correction_keeps_the_accession_and_logs_before_and_after(db: Session, users: dict) -> None:
    tech = users["technician"].user
    make_site(db, tech)
    remains = make_remains(db, tech)
    site_corrections.correct_remains(session=db, accession=remains.accession.lower(), by=tech,
                                     reason="anthropologist's report", est_sex="F", est_age_min=25, est_age_max=35,
                                     trench="T2", depth_m=1.4, recovered_on=date(2025, 3, 2))
    db.expire_all()
    stored = db.get(Remains, remains.id)
    assert (stored.accession, stored.est_sex, stored.est_age_min, stored.trench, stored.depth_m) == (
        remains.accession, "F", 25, "T2", 1.4)
    entry = audit.history(db, "remains", str(remains.id))[-1]
    before, after = json.loads(entry.before_json), json.loads(entry.after_json)
    assert (before["est_sex"], after["est_sex"], before["trench"], after["trench"]) == ("U", "F", "", "T2")
    assert "anthropologist's report" in entry.reason
    assert audit.verify_chain(db).ok


def test_bad_remains_corrections_change_nothing(db: Session, users: dict) -> None:
    tech = users["technician"].user
    make_site(db, tech)
    remains = make_remains(db, tech)
    for kwargs, field in (({"reason": "", "trench": "T9"}, "reason"),
                          ({"reason": "r", "est_age_min": 50, "est_age_max": 30}, "est_age_min"),
                          ({"reason": "r", "est_sex": "X"}, "est_sex"),
                          ({"reason": "r", "trench": "T" * 51}, "trench"),
                          ({"reason": "r", "depth_m": -1.0}, "depth_m"),
                          ({"reason": "r", "number": 9}, "number"),
                          ({"reason": "r", "site_id": 9}, "site_id")):
        with pytest.raises(ValidationFailed) as error:
            site_corrections.correct_remains(session=db, accession=remains.accession, by=tech, **kwargs)
        assert field in {p.field for p in error.value.problems}, kwargs
    db.expire_all()
    stored = db.get(Remains, remains.id)
    assert (stored.trench, stored.est_sex, stored.est_age_min) == ("", "U", None)
    assert len(audit.history(db, "remains", str(remains.id))) == 1
