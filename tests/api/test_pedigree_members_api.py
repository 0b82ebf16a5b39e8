"""Correcting and removing persons of a family tree through the API: coordinators and admins, a
reason, the tree checked, the removed person kept."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlmodel import Session, select

from labtrack.models import Family, PedigreeMember, RemovedPedigreeMember, User
from labtrack.services import accounts, audit, demo, families


def _headers(db: Session, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts.issue_token(session=db, user=user, name='t', by='test')}"}


def test_pedigree_member_corrections_through_the_api(client: FlaskClient, db: Session, users: dict) -> None:
    demo.load_demo(db)
    family = db.exec(select(Family).where(Family.code == "FAM-0001")).one()
    family_id = family.id
    uncle = families.add_member(session=db, family_id=family_id, by=users["coordinator"].user, person_code="UNCLE",
                                sex="M")
    uncle_id = uncle.id
    coordinator = _headers(db, users["coordinator"].user)
    analyst = _headers(db, users["analyst"].user)
    base = f"/api/v1/families/{family_id}/members"
    assert client.patch(f"{base}/UNCLE", json={"reason": "r", "sex": "U"}, headers=analyst).status_code == 403
    wrong = client.patch(f"{base}/F", json={"reason": "r", "sex": "F"}, headers=coordinator)
    assert wrong.status_code == 422 and wrong.get_json()["problems"][0]["field"] == "father"
    assert client.patch(f"{base}/NOBODY", json={"reason": "r"}, headers=coordinator).status_code == 404
    done = client.patch(f"{base}/UNCLE", json={"reason": "as the family told us", "person_code": "U1",
                                               "relation": "uncle"}, headers=coordinator)
    assert done.status_code == 200
    assert {m["person_code"]: m["relation"] for m in done.get_json()["members"]}["U1"] == "uncle"
    db.rollback()
    db.expire_all()
    assert db.get(PedigreeMember, uncle_id).person_code == "U1"
    assert "as the family told us" in audit.history(db, "pedigree_member", str(uncle_id))[-1].reason
    parent = client.post(f"{base}/F/removal", json={"reason": "r"}, headers=coordinator)
    assert parent.status_code == 409 and "is a parent of MP" in parent.get_json()["message"]
    assert client.post(f"{base}/U1/removal", json={"reason": ""}, headers=coordinator).status_code == 422
    removed = client.post(f"{base}/U1/removal", json={"reason": "wrong family"}, headers=coordinator)
    assert removed.status_code == 200 and "U1" not in {m["person_code"] for m in removed.get_json()["members"]}
    db.rollback()
    assert db.get(PedigreeMember, uncle_id) is None
    kept = db.exec(select(RemovedPedigreeMember)).one()
    assert (kept.person_code, kept.reason) == ("U1", "wrong family")
