"""Pages to correct or remove a person of a family tree: coordinators and admins, reason required,
problems next to the fields, removed persons listed on the family page."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlmodel import Session, select

from labtrack.models import Family, PedigreeMember, RemovedPedigreeMember
from labtrack.services import demo, families
from tests.conftest import login


def _setup(db: Session, users: dict) -> tuple[Family, PedigreeMember]:
    demo.load_demo(db)
    family = db.exec(select(Family).where(Family.code == "FAM-0001")).one()
    uncle = families.add_member(session=db, family_id=family.id, by=users["coordinator"].user, person_code="UNCLE",
                                sex="M", relation="uncle")
    return family, uncle


def _fresh(db: Session) -> None:
    db.rollback()
    db.expire_all()


def test_roles_and_links(client: FlaskClient, db: Session, users: dict) -> None:
    family, uncle = _setup(db, users)
    for role in ("technician", "analyst"):
        login(client, users[role])
        assert client.get(f"/families/members/{uncle.id}/edit").status_code == 403
        assert client.post(f"/families/members/{uncle.id}/remove", data={"reason": "x"}).status_code == 403
        if role == "analyst":
            assert "/families/members/" not in client.get(f"/families/{family.id}").get_data(as_text=True)
        client.post("/logout")
    _fresh(db)
    assert db.get(PedigreeMember, uncle.id) is not None
    login(client, users["coordinator"])
    page = client.get(f"/families/{family.id}").get_data(as_text=True)
    assert f'href="/families/members/{uncle.id}/edit"' in page and f'href="/families/members/{uncle.id}/remove"' in page
    missing = next(m for m in families.members(db, family) if m.missing)
    assert f"/families/members/{missing.id}/remove" not in page  # the missing person is not removed
    assert client.get("/families/members/99999/edit").status_code == 404


def test_correct_a_person_on_the_page(client: FlaskClient, db: Session, users: dict) -> None:
    family, uncle = _setup(db, users)
    url = f"/families/members/{uncle.id}/edit"
    login(client, users["coordinator"])
    form = client.get(url).get_data(as_text=True)
    assert 'value="UNCLE"' in form and 'value="uncle"' in form
    data = {"person_code": "UNCLE", "sex": "M", "father": "", "mother": "", "donor_code": "", "relation": "uncle"}
    assert client.post(url, data=data | {"reason": ""}).status_code == 422
    bad = client.post(url, data=data | {"donor_code": "D-9999", "reason": "r"})
    assert bad.status_code == 422 and "no donor D-9999" in bad.get_data(as_text=True)
    wrong_sex = client.post(url, data=data | {"father": "M", "reason": "r"})
    assert wrong_sex.status_code == 422 and "has sex female" in wrong_sex.get_data(as_text=True)
    done = client.post(url, data=data | {"person_code": "U1", "relation": "paternal uncle",
                                         "reason": "as the family told us"}, follow_redirects=True)
    assert done.status_code == 200 and "were corrected" in done.get_data(as_text=True)
    _fresh(db)
    stored = db.get(PedigreeMember, uncle.id)
    assert (stored.person_code, stored.relation_label, stored.sex) == ("U1", "paternal uncle", "M")
    assert "as the family told us" in client.get(url).get_data(as_text=True)  # the history


def test_remove_a_person_on_the_page(client: FlaskClient, db: Session, users: dict) -> None:
    family, uncle = _setup(db, users)
    uncle_id = uncle.id
    father = next(m for m in families.members(db, family) if m.person_code == "F")
    login(client, users["coordinator"])
    empty = client.post(f"/families/members/{uncle_id}/remove", data={"reason": " "})
    assert empty.status_code == 422
    parent = client.post(f"/families/members/{father.id}/remove", data={"reason": "r"})
    assert parent.status_code == 409 and "is a parent of MP" in parent.get_data(as_text=True)
    _fresh(db)
    assert db.get(PedigreeMember, uncle_id) is not None and db.get(PedigreeMember, father.id) is not None
    done = client.post(f"/families/members/{uncle_id}/remove", data={"reason": "not of this family"},
                       follow_redirects=True)
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and "UNCLE was removed from the family tree." in text
    assert "Taken out of this family tree" in text and "not of this family" in text
    _fresh(db)
    assert db.get(PedigreeMember, uncle_id) is None
    kept = db.exec(select(RemovedPedigreeMember)).one()
    assert (kept.person_code, kept.reason, kept.removed_by_id) == ("UNCLE", "not of this family",
                                                                   users["coordinator"].id)


def test_pedigree_pages_in_arabic(client: FlaskClient, db: Session, users: dict) -> None:
    family, uncle = _setup(db, users)
    login(client, users["coordinator"])
    client.get("/language/ar")
    assert "لماذا يُحذف هذا الشخص من شجرة العائلة؟" in client.get(
        f"/families/members/{uncle.id}/remove").get_data(as_text=True)
    father = next(m for m in families.members(db, family) if m.person_code == "F")
    refused = client.post(f"/families/members/{father.id}/remove", data={"reason": "r"}).get_data(as_text=True)
    assert "صحّح والديهم أولاً" in refused
