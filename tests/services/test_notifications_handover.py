"""Notifications (families' choices, work list), handover as the last custody event, dashboard."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from labtrack.core.errors import Conflict, ValidationFailed
from labtrack.models import CustodyEvent, CustodyItem, MissingPerson
from labtrack.services import dashboard, exports, handover, notifications, review
from labtrack.services.transaction import write
from tests import factories
from tests.factories import PASSWORD
from tests.review_factories import make_candidate, make_match, make_remains


@pytest.fixture
def people(db: Session):
    return (factories.make_user(db, "analyst", "ana1"), factories.make_user(db, "analyst", "ana2"),
            factories.make_user(db, "coordinator"))


def _identify(db: Session, match_id: int, first, second):
    review.propose(session=db, match_id=match_id, by=first.user, decision="confirm", reason="ok", password=PASSWORD)
    return review.approve(session=db, match_id=match_id, by=second.user, password=PASSWORD).identification


def _later_part(db: Session, c, first, second):
    part = make_remains(db, c.site, remains_type="isolated_part", est_sex="U", est_stature_cm=None)
    match = make_match(db, run=c.run, remains=part, family=c.family)
    return part, _identify(db, match.id, first, second)


def test_first_identification_then_later_part_each_time(db: Session, people) -> None:
    first, second, coordinator = people
    c = make_candidate(db, first.user)
    ident = _identify(db, c.match.id, first, second)
    work = notifications.work_list(db)
    assert [(i.kind, i.identification_id) for i in work.to_notify] == [("first_identification", ident.id)]
    assert [i.remains_accession for i in work.to_hand_over] == [c.remains.accession]
    notifications.record_notification(session=db, missing_person_id=c.family.missing_person.id, by=coordinator.user,
                                      method="phone")
    assert notifications.work_list(db).to_notify == []
    _part, later = _later_part(db, c, first, second)
    work = notifications.work_list(db)
    assert [(i.kind, i.identification_id) for i in work.to_notify] == [("later_part", later.id)]


@pytest.mark.parametrize("preference", ["once_at_end", "not_at_all"])
def test_later_parts_follow_the_family_choice(db: Session, people, preference: str) -> None:
    first, second, coordinator = people
    c = make_candidate(db, first.user)
    _identify(db, c.match.id, first, second)
    notifications.record_notification(session=db, missing_person_id=c.family.missing_person.id, by=coordinator.user,
                                      method="in_person")
    notifications.set_preferences(session=db, missing_person_id=c.family.missing_person.id, by=coordinator.user,
                                  notify_preference=preference, wait_for_more_parts=True)
    _part, later = _later_part(db, c, first, second)
    work = notifications.work_list(db)
    assert work.to_notify == []
    assert [i.identification_id for i in work.held] == ([later.id] if preference == "once_at_end" else [])
    assert all(i.wait_for_more_parts for i in work.to_hand_over) and len(work.to_hand_over) == 2
    if preference == "once_at_end":
        person = db.get(MissingPerson, c.family.missing_person.id)
        with write(db, actor="t"):
            person.status = "closed"
            db.add(person)
        assert [i.identification_id for i in notifications.work_list(db).to_notify] == [later.id]


def test_notification_refusals(db: Session, people) -> None:
    first, _second, coordinator = people
    c = make_candidate(db, first.user)
    with pytest.raises(Conflict, match="no approved identification"):
        notifications.record_notification(session=db, missing_person_id=c.family.missing_person.id,
                                          by=coordinator.user, method="phone")
    with pytest.raises(ValidationFailed):
        notifications.record_notification(session=db, missing_person_id=c.family.missing_person.id,
                                          by=coordinator.user, method="pigeon")
    with pytest.raises(ValidationFailed):
        notifications.set_preferences(session=db, missing_person_id=c.family.missing_person.id, by=coordinator.user,
                                      notify_preference="sometimes", wait_for_more_parts=False)


def test_handover_is_the_last_custody_event(db: Session, people) -> None:
    first, second, coordinator = people
    c = make_candidate(db, first.user)
    with pytest.raises(Conflict, match="not identified"):
        handover.release_to_family(session=db, remains_id=c.remains.id, to_party="mother", by=coordinator.user)
    _identify(db, c.match.id, first, second)
    item = db.exec(select(CustodyItem).where(CustodyItem.remains_id == c.remains.id)).one()
    with write(db, actor="t"):
        register = CustodyEvent(item_id=item.id, action="register", recorded_by_id=first.id)
        db.add(register)
        db.flush()
        receive = CustodyEvent(item_id=item.id, action="receive", previous_event_id=register.id,
                               recorded_by_id=first.id)
        db.add(receive)
    with pytest.raises(ValidationFailed):
        handover.release_to_family(session=db, remains_id=c.remains.id, to_party=" ", by=coordinator.user)
    event = handover.release_to_family(session=db, remains_id=c.remains.id, to_party="Mariam, mother",
                                       by=coordinator.user)
    assert (event.action, event.previous_event_id, event.to_party) == ("release", receive.id, "Mariam, mother")
    assert handover.latest_event(db, item.id).id == event.id
    with pytest.raises(Conflict, match="already handed over to Mariam, mother"):
        handover.release_to_family(session=db, remains_id=c.remains.id, to_party="someone", by=coordinator.user)


def test_dashboard_funnel_mni_and_unique_profiles(db: Session, people) -> None:
    first, second, coordinator = people
    c = make_candidate(db, first.user)
    make_remains(db, c.site)  # an unmatched body with the same test genotype: not a new unique profile
    _identify(db, c.match.id, first, second)
    _later_part(db, c, first, second)  # a part re-associated to the same individual
    handover.release_to_family(session=db, remains_id=c.remains.id, to_party="mother", by=coordinator.user)
    data = dashboard.summary(db)
    site = data.sites[0]
    assert site.funnel == {"recovered": 3, "sampled": 3, "profiled": 3, "matched": 2, "identified": 2,
                           "returned": 1}
    assert site.mni == 2  # one individual (body + part) + one unassociated body
    assert site.unique_profiles == 1  # the builders give every profile the same genotype
    assert site.turnaround.identified == 2 and site.turnaround.min_days is not None
    assert data.work["coordinator"] == {"notifications to make": 2, "remains to hand over": 1}
    columns, rows = dashboard.table(data, "funnel")
    assert rows[0][:3] == ["QTF", "QTF mass grave", 3]


def test_formula_injection_is_neutralised() -> None:
    assert exports.safe_cell("=1+1") == "'=1+1"
    assert exports.safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert exports.safe_cell("-3") == "'-3" and exports.safe_cell(-3) == -3
    with_bom = exports.to_csv((["a"], [["+cmd"]]), bom=True)  # the dashboard's tables, for Excel
    assert with_bom.startswith(b"\xef\xbb\xbf") and with_bom.decode("utf-8-sig").splitlines() == ["a", "'+cmd"]
