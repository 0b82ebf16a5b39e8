"""Two reports of one missing person linked: both records kept and referenced, every step audited,
a wrong link withdrawn by a new record (the link stays), blind roles see nothing of it."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from labtrack.core.errors import Conflict, NotFound, ValidationFailed
from labtrack.models import AuditEntry, MissingPerson, MissingPersonLink
from labtrack.services import missing_persons, person_links


@pytest.fixture
def reports(db: Session, users: dict) -> list[MissingPerson]:
    coordinator = users["coordinator"].user
    return [missing_persons.register_missing_person(session=db, by=coordinator, case_number=case, name_ar=ar,
                                                    name_latin=latin, birth_year=1980)
                   for case, ar, latin in [("MP-1", "محمد خليل المصري", "Muhammad Khalil al-Masri"),
                                           ("MP-2", "محمّد خليل المصري", "Mohamed Khaleel el-Masri"),
                                           ("MP-3", "فاطمة مصطفى", "Fatima Mustafa")]]


def test_a_link_keeps_both_reports_and_is_audited(db: Session, users, reports) -> None:
    coordinator = users["coordinator"].user
    link = person_links.link(session=db, person_id=reports[1].id, other_case_number="mp-1", by=coordinator,
                             reason="same father's name and phone")
    assert (link.first_id, link.second_id, link.kind) == (reports[0].id, reports[1].id, "same_person")
    assert len(db.exec(select(MissingPerson)).all()) == 3  # nothing merged away
    assert [(r.case_number, r.reason) for r in person_links.links_of(db, reports[0].id)] == [
        ("MP-2", "same father's name and phone")]
    assert [r.case_number for r in person_links.links_of(db, reports[1].id)] == ["MP-1"]
    assert person_links.links_of(db, reports[2].id) == []
    entry = db.exec(select(AuditEntry).where(AuditEntry.entity_type == "missing_person_link")).one()
    assert entry.action == "create" and "linked as one person" in entry.reason and entry.actor == coordinator.username


def test_refusals(db: Session, users, reports) -> None:
    coordinator = users["coordinator"].user
    with pytest.raises(ValidationFailed):
        person_links.link(session=db, person_id=reports[0].id, other_case_number="MP-2", by=coordinator, reason=" ")
    with pytest.raises(NotFound):
        person_links.link(session=db, person_id=reports[0].id, other_case_number="MP-99", by=coordinator, reason="x")
    with pytest.raises(Conflict):
        person_links.link(session=db, person_id=reports[0].id, other_case_number="MP-1", by=coordinator, reason="x")
    person_links.link(session=db, person_id=reports[0].id, other_case_number="MP-2", by=coordinator, reason="x")
    with pytest.raises(Conflict):
        person_links.link(session=db, person_id=reports[1].id, other_case_number="MP-1", by=coordinator, reason="y")
    assert len(db.exec(select(MissingPersonLink)).all()) == 1


def test_a_withdrawal_is_a_new_record_and_the_pair_may_be_linked_again(db: Session, users, reports) -> None:
    coordinator = users["coordinator"].user
    link = person_links.link(session=db, person_id=reports[0].id, other_case_number="MP-2", by=coordinator,
                             reason="same phone")
    withdrawal = person_links.withdraw(session=db, link_id=link.id, by=coordinator, reason="DNA says otherwise")
    assert withdrawal.withdraws_id == link.id and withdrawal.kind == "withdrawn"
    assert person_links.links_of(db, reports[0].id) == []
    with pytest.raises(Conflict):
        person_links.withdraw(session=db, link_id=link.id, by=coordinator, reason="again")
    again = person_links.link(session=db, person_id=reports[0].id, other_case_number="MP-2", by=coordinator,
                              reason="a second look")
    assert [r.link_id for r in person_links.links_of(db, reports[0].id)] == [again.id]
    rows = db.exec(select(MissingPersonLink).order_by(MissingPersonLink.id)).all()
    assert [r.kind for r in rows] == ["same_person", "withdrawn", "same_person"]
    # the database itself refuses to rewrite a link
    with pytest.raises(DBAPIError):
        db.execute(MissingPersonLink.__table__.update().values(reason="rewritten"))  # type: ignore[attr-defined]
    db.rollback()


def test_the_page_links_and_withdraws_and_blind_roles_see_nothing(client: FlaskClient, db: Session, reports,
                                                                  login_as) -> None:
    login_as("coordinator")
    answer = client.post(f"/missing-persons/{reports[0].id}/links",
                         data={"case_number": "MP-2", "reason": "same family contact"})
    assert answer.status_code == 302
    page = client.get(f"/missing-persons/{reports[0].id}").get_data(as_text=True)
    assert 'id="links"' in page and f'href="/missing-persons/{reports[1].id}">MP-2</a>' in page
    other = client.get(f"/missing-persons/{reports[1].id}").get_data(as_text=True)
    assert f'href="/missing-persons/{reports[0].id}">MP-1</a>' in other
    db.rollback()  # end the test session's read transaction: see what the requests wrote
    link_id = db.exec(select(MissingPersonLink.id)).one()
    bad = client.post(f"/missing-persons/{reports[0].id}/links", data={"case_number": "MP-1", "reason": "self"})
    db.rollback()
    assert bad.status_code == 302 and len(db.exec(select(MissingPersonLink)).all()) == 1
    for role in ("technician", "analyst"):
        login_as(role)
        page = client.get(f"/missing-persons/{reports[0].id}").get_data(as_text=True)
        assert 'id="links"' not in page
        refused = client.post(f"/missing-persons/{reports[0].id}/links/{link_id}/withdraw", data={"reason": "x"})
        assert refused.status_code == 403
    login_as("coordinator")
    assert client.post(f"/missing-persons/{reports[0].id}/links/{link_id}/withdraw",
                       data={"reason": "two people after all"}).status_code == 302
    db.rollback()
    assert person_links.links_of(db, reports[0].id) == []
    assert len(db.exec(select(MissingPersonLink)).all()) == 2
