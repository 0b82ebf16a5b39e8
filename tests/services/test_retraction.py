"""Retracting a wrong identification: a new signed record that references the old one."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from labtrack.core.errors import AuthenticationFailed, Conflict, NotFound, ValidationFailed
from labtrack.models import Identification, MissingPerson, Remains, Signature
from labtrack.services import audit, identification, identification_documents, review, signatures
from tests import factories
from tests.factories import PASSWORD
from tests.review_factories import make_candidate, make_family, make_match, make_remains, make_run


@pytest.fixture
def analysts(db: Session) -> tuple[factories.UserWithPassword, factories.UserWithPassword]:
    return factories.make_user(db, "analyst", "ana1"), factories.make_user(db, "analyst", "ana2")


def _identify(db: Session, match_id: int, first, second) -> Identification:
    review.propose(session=db, match_id=match_id, by=first.user, decision="confirm", reason="consistent",
                   password=PASSWORD)
    approval = review.approve(session=db, match_id=match_id, by=second.user, password=PASSWORD)
    assert approval.identification is not None
    return approval.identification


def test_retraction_is_a_new_signed_record_and_reopens_remains_and_person(db: Session, analysts) -> None:
    first, second = analysts
    c = make_candidate(db, first.user)
    ident = _identify(db, c.match.id, first, second)
    facts = identification.certificate_facts(db, ident.id)

    _propose(db, ident.id, first)
    row = identification.retract(session=db, identification_id=ident.id, by=second.user,
                                 reason="sample mix-up found at the bench", password=PASSWORD)

    db.expire_all()
    assert row.retraction and row.retracts_id == ident.id and row.reason == "sample mix-up found at the bench"
    original = db.get(Identification, ident.id)
    assert original is not None and not original.retraction  # the wrong record stays as it was
    assert identification.retraction_of(db, ident.id).id == row.id
    assert identification.active_for_remains(db, c.remains.id) is None
    assert db.get(Remains, c.remains.id).individual_id is None
    assert db.get(MissingPerson, c.family.missing_person.id).status == "missing"
    signature = db.exec(select(Signature).where(Signature.record_type == "identification")).one()
    assert signature.user_id == second.id and signature.record_id == ident.id
    assert signature.content_sha256 == signatures.content_sha256(
        facts | {"step": "retract", "reason": "sample mix-up found at the bench"})
    history = audit.history(db, "identification", str(row.id))
    assert history and history[0].actor_id == second.id and history[0].action == "create"
    assert audit.verify_chain(db).ok


def _propose(db: Session, identification_id: int, analyst) -> None:
    """The first of the two signatures a retraction needs."""
    identification.propose_retraction(session=db, identification_id=identification_id, by=analyst.user,
                                      reason="found to be wrong", password=PASSWORD)


def test_a_retraction_needs_a_proposal_and_a_second_analyst(db: Session, analysts) -> None:
    first, second = analysts
    c = make_candidate(db, first.user)
    ident = _identify(db, c.match.id, first, second)
    with pytest.raises(Conflict, match="a retraction needs two analysts"):
        identification.retract(session=db, identification_id=ident.id, by=first.user, reason="x", password=PASSWORD)
    with pytest.raises(AuthenticationFailed):
        identification.propose_retraction(session=db, identification_id=ident.id, by=first.user, reason="x",
                                          password="nope")
    _propose(db, ident.id, first)
    assert identification.pending_retraction(db, ident.id).by_user_id == first.id
    with pytest.raises(Conflict, match="proposed already"):
        _propose(db, ident.id, second)
    with pytest.raises(Conflict, match="you proposed this retraction: a second analyst must approve it"):
        identification.retract(session=db, identification_id=ident.id, by=first.user, reason="x", password=PASSWORD)
    assert identification.active_for_remains(db, c.remains.id) is not None  # nothing changed yet
    row = identification.retract(session=db, identification_id=ident.id, by=second.user, reason="agreed",
                                 password=PASSWORD)
    assert row.retraction and row.approved_by_id == second.id
    signed = db.exec(select(Signature).where(Signature.record_id == ident.id)
                     .where(Signature.record_type.in_(["retraction_proposal", "identification"]))).all()  # type: ignore[attr-defined]
    assert sorted((s.record_type, s.user_id) for s in signed) == [("identification", second.id),
                                                                  ("retraction_proposal", first.id)]
    assert identification.pending_retraction(db, ident.id) is None


def _identified_then_retracted(db: Session, first, second):
    """A candidate confirmed by two analysts, then retracted by the first."""
    c = make_candidate(db, first.user)
    ident = _identify(db, c.match.id, first, second)
    _propose(db, ident.id, second)
    identification.retract(session=db, identification_id=ident.id, by=first.user, reason="wrong family",
                           password=PASSWORD)
    return c, ident


def test_retracted_identification_gets_no_new_documents_and_frees_the_remains(db: Session, analysts) -> None:
    first, second = analysts
    c, ident = _identified_then_retracted(db, first, second)
    with pytest.raises(Conflict, match="retracted"):
        identification_documents.issue_certificate(session=db, identification_id=ident.id, by=first.user)
    # the remains can now be identified through another match (a later run)
    other = make_match(db, run=make_run(db, first.user), remains=c.remains, family=c.family)
    again = _identify(db, other.id, first, second)
    assert identification.active_for_remains(db, c.remains.id).id == again.id
    assert db.get(MissingPerson, c.family.missing_person.id).status == "identified"


def test_retracting_one_part_keeps_the_other_parts_identified(db: Session, analysts) -> None:
    first, second = analysts
    c = make_candidate(db, first.user)
    part = make_remains(db, c.site, remains_type="isolated_part", est_sex="U", est_stature_cm=None)
    part_match = make_match(db, run=c.run, remains=part, family=c.family)
    for match_id in (c.match.id, part_match.id):
        review.propose(session=db, match_id=match_id, by=first.user, decision="confirm", reason="ok",
                       password=PASSWORD)
    body = review.approve(session=db, match_id=c.match.id, by=second.user, password=PASSWORD).identification
    piece = review.approve(session=db, match_id=part_match.id, by=second.user, password=PASSWORD).identification
    _propose(db, piece.id, first)
    identification.retract(session=db, identification_id=piece.id, by=second.user, reason="bone of another person",
                           password=PASSWORD)
    db.expire_all()
    assert db.get(Remains, part.id).individual_id is None
    assert db.get(Remains, c.remains.id).individual_id is not None
    assert db.get(MissingPerson, c.family.missing_person.id).status == "identified"
    assert [i.id for i in identification.active_for_person(db, c.family.missing_person.id)] == [body.id]


def test_bad_retractions_are_refused_and_change_nothing(db: Session, analysts) -> None:
    first, second = analysts
    c = make_candidate(db, first.user)
    ident = _identify(db, c.match.id, first, second)
    _propose(db, ident.id, second)
    with pytest.raises(ValidationFailed) as error:
        identification.retract(session=db, identification_id=ident.id, by=first.user, reason="  ", password=PASSWORD)
    assert error.value.problems[0].field == "reason"
    with pytest.raises(AuthenticationFailed):
        identification.retract(session=db, identification_id=ident.id, by=first.user, reason="x", password="nope")
    with pytest.raises(NotFound):
        identification.retract(session=db, identification_id=9999, by=first.user, reason="x", password=PASSWORD)
    assert db.exec(select(Identification).where(Identification.retraction == True)).all() == []  # noqa: E712
    assert db.get(MissingPerson, c.family.missing_person.id).status == "identified"
    row = identification.retract(session=db, identification_id=ident.id, by=first.user, reason="x",
                                 password=PASSWORD)
    with pytest.raises(Conflict, match="retracted already"):
        identification.retract(session=db, identification_id=ident.id, by=second.user, reason="again",
                               password=PASSWORD)
    with pytest.raises(NotFound):  # a retraction row is not an identification to retract
        identification.retract(session=db, identification_id=row.id, by=second.user, reason="y", password=PASSWORD)
    assert len(db.exec(select(Identification).where(Identification.retraction == True)).all()) == 1  # noqa: E712


def test_identification_rows_cannot_be_edited_in_the_database(db: Session, analysts) -> None:
    first, second = analysts
    c = make_candidate(db, first.user)
    ident = _identify(db, c.match.id, first, second)
    with pytest.raises(DBAPIError, match="append-only"):
        db.exec(Identification.__table__.update().where(Identification.id == ident.id)  # type: ignore[attr-defined]
                .values(reason="edited"))
    db.rollback()


def test_later_candidates_for_identified_remains_are_flagged_in_the_queue(db: Session, analysts) -> None:
    first, second = analysts
    c = make_candidate(db, first.user)
    ident = _identify(db, c.match.id, first, second)
    # another family's candidate for the same remains (one open candidate per remains sample and family)
    later = make_match(db, run=make_run(db, first.user), remains=c.remains, family=make_family(db))
    rows = {r.match_id: r for r in review.queue(db)}
    assert rows[later.id].status == "open" and rows[later.id].identified_by == ident.id
    assert rows[c.match.id].identified_by is None  # the match that made the identification
    _propose(db, ident.id, second)
    identification.retract(session=db, identification_id=ident.id, by=first.user, reason="mix-up",
                           password=PASSWORD)
    assert {r.match_id: r for r in review.queue(db)}[later.id].identified_by is None


def test_a_family_told_of_a_retracted_identification_is_on_the_work_list(db: Session, analysts, users) -> None:
    from labtrack.services import notifications

    first, second = analysts
    coordinator = users["coordinator"].user
    c = make_candidate(db, first.user)
    ident = _identify(db, c.match.id, first, second)
    person_id = c.family.missing_person.id
    notifications.record_notification(session=db, missing_person_id=person_id, by=coordinator, method="in_person")
    assert notifications.retractions_to_tell(db) == []
    _propose(db, ident.id, second)
    identification.retract(session=db, identification_id=ident.id, by=first.user, reason="mix-up",
                           password=PASSWORD)
    work = notifications.work_list(db)
    assert [(i.kind, i.identification_id) for i in work.to_notify] == [("retracted", ident.id)]
    assert work.to_hand_over == []
    assert [i.id for i in notifications.person_details(db, person_id).retractions_to_tell] == [ident.id]
    told = notifications.record_notification(session=db, missing_person_id=person_id, by=coordinator,
                                             method="phone", note="told of the retraction")
    assert told.identification_id == ident.id
    assert notifications.work_list(db).to_notify == []
    assert notifications.retractions_to_tell(db, person_id) == []


def test_a_retraction_before_anyone_was_told_needs_no_notice(db: Session, analysts) -> None:
    from labtrack.core.errors import Conflict as NothingToNotify
    from labtrack.services import notifications

    first, second = analysts
    c, _ident = _identified_then_retracted(db, first, second)
    assert notifications.work_list(db).to_notify == []
    with pytest.raises(NothingToNotify, match="nothing to notify"):
        notifications.record_notification(session=db, missing_person_id=c.family.missing_person.id,
                                          by=first.user, method="phone")
