"""Family notification: who was told, when, how; the families' choices; the coordinators' work list.

    record_notification(*, session, missing_person_id, by, method, note="",
                        identification_id=None) -> FamilyNotification
    set_preferences(*, session, missing_person_id, by, notify_preference,
                    wait_for_more_parts) -> MissingPerson
    work_list(session) -> WorkList        # .to_notify, .held, .to_hand_over

Work-list rules: the first identification of a missing person is always to be told. A later
body part (re-association to an already identified person) follows the family's choice
(``MissingPerson.notify_preference``): ``each_time`` → to tell now; ``once_at_end`` → held until
the case is closed, then to tell; ``not_at_all`` → never listed. Identified remains not yet
released are to hand over (``wait_for_more_parts`` is shown: the family waits before burial).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from labtrack.core.errors import Conflict, NotFound, ProblemList
from labtrack.core.messages import msg, terms
from labtrack.models import FamilyNotification, Identification, MissingPerson, Remains, User
from labtrack.models.families import NOTIFY_PREFERENCES
from labtrack.models.identification import NOTIFICATION_METHODS
from labtrack.services import handover, identification
from labtrack.services.transaction import write


def _person(session: Session, missing_person_id: int) -> MissingPerson:
    person = session.get(MissingPerson, missing_person_id)
    if person is None:
        raise NotFound(msg("missing person %(id)s does not exist", id=missing_person_id))
    return person


def record_notification(*, session: Session, missing_person_id: int, by: User, method: str, note: str = "",
                        identification_id: int | None = None) -> FamilyNotification:
    """Record that the family was told (now, by ``by``, in person / phone / letter / other)."""
    problems = ProblemList()
    if method not in NOTIFICATION_METHODS:
        problems.add(msg("choose how the family was told: %(methods)s", methods=terms(NOTIFICATION_METHODS)),
                     field="method")
    problems.raise_if_any(msg("The notification cannot be recorded"))
    person = _person(session, missing_person_id)
    idents = identification.active_for_person(session, missing_person_id)
    retracted = [i.id for i in retractions_to_tell(session, missing_person_id)]
    if not idents and not retracted:
        raise Conflict(msg("%(case)s has no approved identification: there is nothing to notify",
                           case=person.case_number))
    if identification_id is None:
        identification_id = retracted[0] if retracted else idents[-1].id
    elif identification_id not in {i.id for i in idents} | set(retracted):
        raise Conflict(msg("identification %(id)s is not an identification of %(case)s", id=identification_id,
                           case=person.case_number))
    with write(session, actor=by, reason=f"family of {person.case_number} notified"):
        row = FamilyNotification(missing_person_id=missing_person_id, identification_id=identification_id,
                                 method=method, note=note.strip(), by_user_id=by.id or 0)
        session.add(row)
    return row


def set_preferences(*, session: Session, missing_person_id: int, by: User, notify_preference: str,
                    wait_for_more_parts: bool) -> MissingPerson:
    problems = ProblemList()
    if notify_preference not in NOTIFY_PREFERENCES:
        problems.add(msg("choose one of %(choices)s", choices=terms(NOTIFY_PREFERENCES)), field="notify_preference")
    problems.raise_if_any(msg("The family's choice cannot be saved"))
    person = _person(session, missing_person_id)
    with write(session, actor=by, reason=f"family choices of {person.case_number} recorded"):
        person.notify_preference = notify_preference
        person.wait_for_more_parts = bool(wait_for_more_parts)
        session.add(person)
    return person


def _utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes (stored as UTC); PostgreSQL aware ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def retractions_to_tell(session: Session, missing_person_id: int | None = None) -> list[Identification]:
    """Retracted identifications whose family was told of them and not yet of the retraction
    (the retracted rows, oldest first). Recording a notification for one tells of the retraction."""
    told: dict[int, list[FamilyNotification]] = {}
    statement = select(FamilyNotification).where(FamilyNotification.identification_id != None)  # noqa: E711
    if missing_person_id is not None:
        statement = statement.where(FamilyNotification.missing_person_id == missing_person_id)
    for note in session.exec(statement):
        told.setdefault(note.identification_id or 0, []).append(note)
    retractions = session.exec(select(Identification).where(
        Identification.retraction == True, col(Identification.retracts_id).in_(list(told))))  # noqa: E712
    pending = []
    for retraction in retractions:
        notes = told[retraction.retracts_id or 0]
        retracted_at = _utc(retraction.at)
        if any(_utc(n.notified_on) < retracted_at for n in notes) and not any(
                _utc(n.notified_on) >= retracted_at for n in notes):
            row = session.get(Identification, retraction.retracts_id)
            if row is not None:
                pending.append(row)
    return sorted(pending, key=lambda i: i.id or 0)


@dataclass(frozen=True)
class WorkItem:
    kind: str  # "first_identification", "later_part", "handover", "retracted"
    missing_person_id: int
    case_number: str
    name: str
    identification_id: int
    remains_id: int
    remains_accession: str
    preference: str
    wait_for_more_parts: bool


@dataclass
class WorkList:
    to_notify: list[WorkItem] = field(default_factory=list)
    held: list[WorkItem] = field(default_factory=list)
    to_hand_over: list[WorkItem] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.to_notify) + len(self.to_hand_over)


def notifications_of(session: Session, missing_person_id: int) -> list[FamilyNotification]:
    return list(session.exec(select(FamilyNotification).where(FamilyNotification.missing_person_id == missing_person_id)
                             .order_by(FamilyNotification.id)))  # type: ignore[arg-type]


def work_list(session: Session) -> WorkList:
    notified = {n for n in session.exec(select(FamilyNotification.identification_id)) if n}
    released = handover.released_remains_ids(session)
    result = WorkList()
    for ident in retractions_to_tell(session):
        person = session.get(MissingPerson, ident.missing_person_id)
        remains = session.get(Remains, ident.remains_id)
        if person is not None and remains is not None:
            result.to_notify.append(WorkItem("retracted", person.id or 0, person.case_number,
                                             person.name_latin or person.name_ar, ident.id or 0, remains.id or 0,
                                             remains.accession, person.notify_preference,
                                             person.wait_for_more_parts))
    seen_people: dict[int, int] = {}
    for ident in identification.active(session):
        person = session.get(MissingPerson, ident.missing_person_id)
        remains = session.get(Remains, ident.remains_id)
        if person is None or remains is None:
            continue
        first = ident.missing_person_id not in seen_people
        seen_people.setdefault(ident.missing_person_id, ident.id or 0)
        item = WorkItem("first_identification" if first else "later_part", person.id or 0, person.case_number,
                        person.name_latin or person.name_ar, ident.id or 0, remains.id or 0, remains.accession,
                        person.notify_preference, person.wait_for_more_parts)
        if ident.id not in notified:
            if first or person.notify_preference == "each_time" or (
                    person.notify_preference == "once_at_end" and person.status == "closed"):
                result.to_notify.append(item)
            elif person.notify_preference == "once_at_end":
                result.held.append(item)
        if remains.id not in released:
            result.to_hand_over.append(WorkItem("handover", *[getattr(item, f) for f in (
                "missing_person_id", "case_number", "name", "identification_id", "remains_id", "remains_accession",
                "preference", "wait_for_more_parts")]))
    return result


def identification_of(session: Session, identification_id: int) -> Identification:
    return identification.get(session, identification_id)


@dataclass
class PersonDetails:
    person: MissingPerson
    identifications: list[tuple[Identification, Remains, bool]]  # (identification, remains, released)
    notifications: list[FamilyNotification]
    retractions_to_tell: list[Identification] = field(default_factory=list)


def person_details(session: Session, missing_person_id: int) -> PersonDetails:
    person = _person(session, missing_person_id)
    released = handover.released_remains_ids(session)
    rows = []
    for ident in identification.active_for_person(session, missing_person_id):
        remains = session.get(Remains, ident.remains_id)
        if remains is not None:
            rows.append((ident, remains, remains.id in released))
    return PersonDetails(person, rows, notifications_of(session, missing_person_id),
                         retractions_to_tell(session, missing_person_id))
