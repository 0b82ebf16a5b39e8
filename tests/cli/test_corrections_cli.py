"""`labtrack sites correct|status`, `labtrack remains correct`, `labtrack pedigrees
correct-member|remove-member`: the rules and the audit log of the pages."""

from __future__ import annotations

from datetime import date

from flask.testing import FlaskCliRunner
from sqlmodel import Session, select

from labtrack.models import Family, PedigreeMember, Remains, RemovedPedigreeMember
from labtrack.services import audit, demo, intake
from tests.factories import make_remains, make_site


def _fresh(db: Session) -> None:
    db.rollback()
    db.expire_all()


def test_site_and_remains_commands(runner: FlaskCliRunner, db: Session, users: dict) -> None:
    make_site(db, users["technician"].user)
    remains = make_remains(db, users["technician"].user)
    no_reason = runner.invoke(args=["sites", "correct", "QTF", "--reason", " ", "--name-en", "Qutayfah"])
    assert no_reason.exit_code != 0 and "say why the record is corrected" in no_reason.output
    bad = runner.invoke(args=["sites", "correct", "QTF", "--reason", "r", "--latitude", "100"])
    assert bad.exit_code != 0 and "latitude must be between -90 and 90" in bad.output
    done = runner.invoke(args=["sites", "correct", "qtf", "--reason", "spelling", "--name-en", "Qutayfah",
                               "--user", "technician1"])
    assert done.exit_code == 0, done.output
    _fresh(db)
    site = intake.get_site(db, "QTF")
    assert (site.name_en, site.latitude) == ("Qutayfah", None)
    entry = audit.history(db, "site", str(site.id))[-1]
    assert entry.actor_id == users["technician"].id and "spelling" in entry.reason

    assert runner.invoke(args=["sites", "status", "QTF", "closed", "--reason", "done"]).exit_code == 0
    _fresh(db)
    assert intake.get_site(db, "QTF").status == "closed"
    again = runner.invoke(args=["sites", "status", "QTF", "closed", "--reason", "done"])
    assert again.exit_code != 0 and "has this status already" in again.output

    ages = runner.invoke(args=["remains", "correct", remains.accession, "--reason", "r", "--est-age-min", "60",
                               "--est-age-max", "20"])
    assert ages.exit_code != 0 and "the minimum age is above the maximum age" in ages.output
    done = runner.invoke(args=["remains", "correct", remains.accession, "--reason", "report", "--est-sex", "M",
                               "--trench", "T3", "--recovered-on", "2025-04-01"])
    assert done.exit_code == 0, done.output
    _fresh(db)
    stored = db.get(Remains, remains.id)
    assert (stored.est_sex, stored.trench, stored.recovered_on, stored.est_age_min) == ("M", "T3", date(2025, 4, 1),
                                                                                       None)
    unknown = runner.invoke(args=["remains", "correct", "QTF-99999", "--reason", "r", "--trench", "x"])
    assert unknown.exit_code != 0


def test_pedigree_member_commands(runner: FlaskCliRunner, db: Session) -> None:
    demo.load_demo(db)
    family = db.exec(select(Family).where(Family.code == "FAM-0001")).one()
    parent = runner.invoke(args=["pedigrees", "remove-member", "FAM-0001", "F", "--reason", "r"])
    assert parent.exit_code != 0 and "is a parent of MP" in parent.output
    wrong = runner.invoke(args=["pedigrees", "correct-member", "FAM-0001", "F", "--reason", "r", "--sex", "F"])
    assert wrong.exit_code != 0 and "has sex female" in wrong.output
    missing = runner.invoke(args=["pedigrees", "correct-member", "FAM-0001", "NOBODY", "--reason", "r"])
    assert missing.exit_code != 0 and "no person NOBODY in family FAM-0001" in missing.output
    done = runner.invoke(args=["pedigrees", "correct-member", "FAM-0001", "M", "--reason", "sample swapped",
                               "--donor", ""])
    assert done.exit_code == 0, done.output
    _fresh(db)
    mother = db.exec(select(PedigreeMember).where(PedigreeMember.family_id == family.id,
                                                  PedigreeMember.person_code == "M")).one()
    assert mother.donor_id is None
    assert "sample swapped" in audit.history(db, "pedigree_member", str(mother.id))[-1].reason
    # a person without children is removed, and kept
    assert runner.invoke(args=["pedigrees", "correct-member", "FAM-0001", "MP", "--reason", "r",
                               "--father", "", "--mother", ""]).exit_code == 0
    assert runner.invoke(args=["pedigrees", "remove-member", "FAM-0001", "M", "--reason", "not the mother"]
                         ).exit_code == 0
    _fresh(db)
    kept = db.exec(select(RemovedPedigreeMember)).one()
    assert (kept.person_code, kept.reason, kept.family_id) == ("M", "not the mother", family.id)
    assert "M" not in set(db.exec(select(PedigreeMember.person_code).where(PedigreeMember.family_id == family.id)))
