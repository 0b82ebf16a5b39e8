"""A change of a family tree after its missing person was identified never passes unseen: the form,
the API and the CLI say which identification rests on the tree, the audit reason names it, and the
identification's page lists every later change of the tree."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlmodel import Session

from labtrack.models import Identification
from labtrack.services import accounts, audit, identification, identification_basis, pedigree_corrections, review
from tests.factories import PASSWORD
from tests.review_factories import Candidate, make_candidate, make_family


def _identified(db: Session, users: dict) -> tuple[Candidate, Identification]:
    first, second = users["analyst"], users["admin"]
    c = make_candidate(db, first.user)
    review.propose(session=db, match_id=c.match.id, by=first.user, decision="confirm", reason="consistent",
                   password=PASSWORD)
    approval = review.approve(session=db, match_id=c.match.id, by=second.user, password=PASSWORD)
    assert approval.identification is not None
    return c, approval.identification


@pytest.fixture
def identified(db: Session, users: dict) -> tuple[Candidate, Identification]:
    return _identified(db, users)


def test_changes_after_the_identification_are_listed_and_named_in_the_audit(db: Session, users: dict,
                                                                            identified) -> None:
    c, ident = identified
    coordinator = users["coordinator"].user
    father, mother, _ = c.family.members
    family_id = c.family.family.id
    assert [i.id for i in identification_basis.identifications_at_stake(db, family_id)] == [ident.id]
    assert identification_basis.tree_changes_since(db, ident) == []
    pedigree_corrections.correct_member(session=db, member_id=mother.id, by=coordinator,
                                        reason="mother's sample was swapped", relation="stepmother")
    changes = identification_basis.tree_changes_since(db, ident)
    assert [(ch.action, ch.person_code, ch.family_code) for ch in changes] == [
        ("update", "M", c.family.family.code)]
    assert "mother's sample was swapped" in changes[0].reason
    assert f"made after identification #{ident.id}" in changes[0].reason
    assert f"made after identification #{ident.id}" in audit.history(db, "pedigree_member", str(mother.id))[-1].reason
    # the identification itself is untouched: append-only
    db.expire_all()
    assert identification.active_for_person(db, c.family.missing_person.id)[0].id == ident.id


def test_a_family_without_an_identification_gets_no_warning(db: Session, users: dict) -> None:
    family = make_family(db)
    assert identification_basis.identifications_at_stake(db, family.family.id) == []
    assert identification_basis.stake_warning([]) is None and identification_basis.stake_note([]) == ""


def test_a_retracted_identification_no_longer_rests_on_the_tree(db: Session, users: dict, identified) -> None:
    c, ident = identified
    identification.propose_retraction(session=db, identification_id=ident.id, by=users["analyst"].user,
                                      reason="mix-up", password=PASSWORD)
    identification.retract(session=db, identification_id=ident.id, by=users["admin"].user, reason="mix-up",
                           password=PASSWORD)
    assert identification_basis.identifications_at_stake(db, c.family.family.id) == []
    assert identification.active_for_match(db, c.match.id) is None


def test_the_form_warns_before_and_the_identification_page_lists_after(client: FlaskClient, db: Session, users: dict,
                                                                       login_as, identified) -> None:
    c, ident = identified
    mother = c.family.members[1]
    login_as("coordinator")
    form = client.get(f"/families/members/{mother.id}/edit").get_data(as_text=True)
    assert 'id="correction-warning"' in form and f"identification #{ident.id}" in form
    saved = client.post(f"/families/members/{mother.id}/edit",
                        data={"person_code": "M", "sex": "F", "father": "", "mother": "", "relation": "aunt",
                              "donor_code": mother_donor(db, mother.donor_id), "reason": "relation was wrong"},
                        follow_redirects=True)
    assert saved.status_code == 200
    assert f"identification #{ident.id}" in saved.get_data(as_text=True)  # said again after saving
    login_as("analyst")
    page = client.get(f"/review/identifications/{ident.id}").get_data(as_text=True)
    assert 'id="tree-changed"' in page and "relation was wrong" in page and c.family.family.code in page
    arabic = client.get(f"/review/identifications/{ident.id}", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "تغيّرت شجرة العائلة بعد هذا التعرّف." in arabic
    login_as("coordinator")
    arabic = client.get(f"/families/members/{mother.id}/edit", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert f"تم التعرّف على الشخص المفقود في هذه العائلة (التعرّف #{ident.id})" in arabic


def mother_donor(db: Session, donor_id: int | None) -> str:
    from labtrack.models import Donor

    donor = db.get(Donor, donor_id) if donor_id else None
    return donor.code if donor else ""


def test_the_api_and_the_cli_say_which_identification_rests_on_the_tree(client: FlaskClient, runner: FlaskCliRunner,
                                                                        db: Session, users: dict,
                                                                        identified) -> None:
    c, ident = identified
    token = accounts.issue_token(session=db, user=users["coordinator"].user, name="t", by="test")
    answer = client.patch(f"/api/v1/families/{c.family.family.id}/members/M", json={"reason": "r", "relation": "x"},
                          headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_json()
    assert any(f"identification #{ident.id}" in w for w in answer.get_json()["warnings"])
    done = runner.invoke(args=["pedigrees", "correct-member", c.family.family.code, "M", "--reason", "again",
                               "--relation", "mother"])
    assert done.exit_code == 0, done.output
    assert f"warning: The missing person of this family was identified (identification #{ident.id})" in done.output
    db.rollback()  # read what the API's and the CLI's own sessions committed
    db.expire_all()
    assert [ch.reason.split(":")[1].split(" [")[0].strip() for ch in identification_basis.tree_changes_since(db, ident)
            ] == ["r", "again"]
