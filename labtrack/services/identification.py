"""Identifications (append-only) and the re-association of commingled remains.

    identify(*, session, match, remains, missing_person, by) -> Identification
        # inside transaction.write (called by review.approve): links the remains to the
        # missing person's Individual (created on first identification), sets the missing
        # person's status to "identified", and appends the Identification row.
    active_for_remains(session, remains_id) -> Identification | None
    active_for_person(session, missing_person_id) -> list[Identification]
    active_for_match(session, match_id) -> Identification | None
    get(session, identification_id) -> Identification        # NotFound
    certificate_facts(session, identification_id) -> dict    # everything a document needs
    propose_retraction(*, session, identification_id, by, reason, password) -> RetractionProposal
    retract(*, session, identification_id, by, reason, password) -> Identification  # a second analyst
        # a signed retraction: a new row that references the wrong one (which stays); the
        # remains leave the individual and the missing person is "missing" again when nothing
        # else identifies them
    retraction_of(session, identification_id) -> Identification | None

Commingled remains: every remains identified to the same missing person is linked to one
``Individual`` (``Remains.individual_id``); an Identification is a re-association when the
missing person already had an earlier identification.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from labtrack.core.errors import Conflict, NotFound, require_reason
from labtrack.core.messages import msg
from labtrack.models import Identification, Individual, Match, MissingPerson, Remains, RetractionProposal, User
from labtrack.services import signatures
from labtrack.services.transaction import write


def _active(session: Session, *where: Any) -> list[Identification]:
    """Identifications (``where`` them) that are neither retractions nor retracted, oldest first:
    one indexed query (a retraction's ``retracts_id`` is unique), never every identification read
    into Python."""
    retraction = aliased(Identification)
    retracted = select(retraction.id).where(retraction.retracts_id == Identification.id)
    query = (select(Identification).where(Identification.retraction == False, ~retracted.exists(), *where)  # noqa: E712
             .order_by(col(Identification.id)))
    return list(session.exec(query))


def active(session: Session) -> list[Identification]:
    """Identifications that are neither retractions nor retracted, oldest first."""
    return _active(session)


def active_for_remains(session: Session, remains_id: int) -> Identification | None:
    return next(iter(_active(session, Identification.remains_id == remains_id)), None)


def active_for_person(session: Session, missing_person_id: int) -> list[Identification]:
    return _active(session, Identification.missing_person_id == missing_person_id)


def active_for_match(session: Session, match_id: int) -> Identification | None:
    return next(iter(_active(session, Identification.match_id == match_id)), None)


def get(session: Session, identification_id: int) -> Identification:
    row = session.get(Identification, identification_id)
    if row is None or row.retraction:
        raise NotFound(msg("identification %(id)s does not exist", id=identification_id))
    return row


def identify(*, session: Session, match: Match | None, remains: Remains, missing_person: MissingPerson,
             by: User, log10_lr: float | None = None, posterior: float | None = None,
             basis: str | None = None) -> Identification:
    """Record that ``remains`` are ``missing_person`` (inside ``transaction.write``). Without a
    ``match`` (a closed event's joint DVI) the numbers and the basis are given."""
    if active_for_remains(session, remains.id or 0) is not None:
        raise Conflict(msg("remains %(accession)s are already identified", accession=remains.accession))
    individual = session.exec(select(Individual).where(Individual.missing_person_id == missing_person.id)).first()
    if individual is None:
        individual = Individual(missing_person_id=missing_person.id)
        session.add(individual)
        session.flush()
    if remains.individual_id not in (None, individual.id):
        raise Conflict(msg("remains %(accession)s belong to another individual (%(individual)s)",
                           accession=remains.accession, individual=remains.individual_id))
    remains.individual_id = individual.id
    missing_person.status = "identified"
    session.add_all([remains, missing_person])
    row = Identification(match_id=match.id if match else None, remains_id=remains.id or 0,
                         missing_person_id=missing_person.id or 0, individual_id=individual.id,
                         log10_lr=match.log10_lr if match else log10_lr,
                         posterior=match.posterior if match else posterior,
                         basis=basis or "DNA kinship analysis (four-eyes review)", approved_by_id=by.id or 0)
    session.add(row)
    session.flush()
    return row


def is_reassociation(session: Session, ident: Identification) -> bool:
    """True when the missing person had been identified from other remains before this one."""
    return any(i.id < (ident.id or 0) for i in active_for_person(session, ident.missing_person_id)
               if i.id is not None)


def certificate_facts(session: Session, identification_id: int) -> dict[str, Any]:
    """Plain data about one identification and all remains of the same individual."""
    from labtrack.models import Site, User

    ident = get(session, identification_id)
    person = session.get(MissingPerson, ident.missing_person_id)
    assert person is not None
    remains_rows = [session.get(Remains, i.remains_id) for i in active_for_person(session, person.id or 0)]
    parts = []
    for r in remains_rows:
        if r is None:
            continue
        site = session.get(Site, r.site_id)
        parts.append({"accession": r.accession, "type": r.remains_type, "elements": r.anatomical_elements,
                      "site_code": site.code if site else "", "site_name_en": site.name_en if site else "",
                      "site_name_ar": site.name_ar if site else "",
                      "recovered_on": r.recovered_on.isoformat() if r.recovered_on else ""})
    approver = session.get(User, ident.approved_by_id)
    return {
        "identification_id": ident.id, "match_id": ident.match_id, "case_number": person.case_number,
        "name_ar": person.name_ar, "name_latin": person.name_latin, "sex": person.sex,
        "birth_year": person.birth_year, "disappeared_on": person.disappeared_on.isoformat()
        if person.disappeared_on else "", "disappearance_place": person.disappearance_place,
        "remains_accession": next((p["accession"] for p in parts
                                   if p["accession"] == getattr(session.get(Remains, ident.remains_id),
                                                                "accession", None)), ""),
        "parts": parts, "log10_lr": ident.log10_lr, "posterior": ident.posterior, "basis": ident.basis,
        "identified_on": ident.at.date().isoformat(), "approved_by": approver.full_name if approver else "",
        "contact_name": person.contact_name, "contact_relation": person.contact_relation,
    }


def retraction_of(session: Session, identification_id: int) -> Identification | None:
    """The retraction row of an identification (None while it stands)."""
    return session.exec(select(Identification).where(Identification.retracts_id == identification_id,
                                                     Identification.retraction == True)).first()  # noqa: E712


def pending_retraction(session: Session, identification_id: int) -> RetractionProposal | None:
    """The signed proposal to retract an identification, while no retraction was made."""
    if retraction_of(session, identification_id) is not None:
        return None
    return session.exec(select(RetractionProposal)
                        .where(RetractionProposal.identification_id == identification_id)).first()


def propose_retraction(*, session: Session, identification_id: int, by: User, reason: str,
                       password: str) -> RetractionProposal:
    """First analyst: propose retracting an identification found to be wrong (signed, reason
    required). Nothing changes until a second analyst approves it (``retract``)."""
    reason = require_reason(reason, msg("propose to retract an identification"))
    with write(session, actor=by, reason=f"retraction of identification {identification_id} proposed"):
        ident = session.exec(select(Identification).where(Identification.id == identification_id)
                             .with_for_update()).first()
        if ident is None or ident.retraction:
            raise NotFound(msg("identification %(id)s does not exist", id=identification_id))
        earlier = retraction_of(session, identification_id)
        if earlier is not None:
            raise Conflict(msg("identification %(id)s was retracted already on %(day)s (record %(record)s)",
                               id=identification_id, day=earlier.at.strftime("%Y-%m-%d"), record=earlier.id))
        proposed = session.exec(select(RetractionProposal)
                                .where(RetractionProposal.identification_id == identification_id)).first()
        if proposed is not None:
            raise Conflict(msg("a retraction of identification %(id)s was proposed already on %(day)s: a second "
                               "analyst approves it", id=identification_id, day=proposed.at.strftime("%Y-%m-%d")))
        content = certificate_facts(session, identification_id) | {"step": "propose_retraction", "reason": reason}
        signature = signatures.sign(session=session, user=by, password=password, meaning="reviewed",
                                    record_type="retraction_proposal", record_id=identification_id,
                                    content=content)
        proposal = RetractionProposal(identification_id=identification_id, reason=reason, by_user_id=by.id or 0,
                                      signature_id=signature.id or 0)
        session.add(proposal)
    return proposal


def retract(*, session: Session, identification_id: int, by: User, reason: str, password: str) -> Identification:
    """Second analyst: approve a proposed retraction (signed with the password, reason required;
    not the analyst who proposed it): the identification is retracted.

    The identification row stays; a new row with ``retraction=True`` references it. The remains
    are unlinked from the individual unless another standing identification keeps them there;
    the missing person is "missing" again when no standing identification is left. Documents
    issued before stay on record; no new certificate or notification can be issued for it.
    """
    reason = require_reason(reason, msg("retract an identification"))
    with write(session, actor=by, reason=f"identification {identification_id} retracted"):
        ident = session.exec(select(Identification).where(Identification.id == identification_id)
                             .with_for_update()).first()
        if ident is None or ident.retraction:
            raise NotFound(msg("identification %(id)s does not exist", id=identification_id))
        earlier = retraction_of(session, identification_id)
        if earlier is not None:
            raise Conflict(msg("identification %(id)s was retracted already on %(day)s (record %(record)s)",
                               id=identification_id, day=earlier.at.strftime("%Y-%m-%d"), record=earlier.id))
        proposal = session.exec(select(RetractionProposal)
                                .where(RetractionProposal.identification_id == identification_id)).first()
        if proposal is None:
            raise Conflict(msg("a retraction needs two analysts: the first proposes it (signed), a second one "
                               "approves it; nothing was proposed yet"))
        if proposal.by_user_id == by.id:
            raise Conflict(msg("you proposed this retraction: a second analyst must approve it"))
        content = certificate_facts(session, identification_id) | {"step": "retract", "reason": reason}
        signatures.sign(session=session, user=by, password=password, meaning="approved",
                        record_type="identification", record_id=identification_id, content=content)
        row = Identification(match_id=ident.match_id, remains_id=ident.remains_id,
                             missing_person_id=ident.missing_person_id, individual_id=ident.individual_id,
                             log10_lr=ident.log10_lr, posterior=ident.posterior, basis="retraction",
                             retraction=True, retracts_id=ident.id, reason=reason, approved_by_id=by.id or 0)
        session.add(row)
        session.flush()
        remains = session.get(Remains, ident.remains_id)
        if remains is not None and active_for_remains(session, remains.id or 0) is None:
            remains.individual_id = None
            session.add(remains)
        person = session.get(MissingPerson, ident.missing_person_id)
        if person is not None and not active_for_person(session, person.id or 0) and person.status == "identified":
            person.status = "missing"
            session.add(person)
    return row
