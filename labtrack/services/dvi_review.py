"""Identifications proposed from a closed event's joint DVI, with the same four-eyes rule as
pairwise matches (`labtrack.services.review`): the first analyst proposes and signs
"reviewed"; a second, different analyst approves (signs "approved", which makes the
identification through `identification.identify`) or sends it back.

A pairing can be proposed only from the event's newest analysis, when the event's input is
still what was analysed (same SHA-256), when the analysis gave posterior pairing probabilities
(not on the sequential route) and the pairing's is at least the identification threshold, when
dvir's conclusions do not call it disputed or excluded, and when neither the remains nor the
missing person has an open proposal or the remains an identification. Approval checks all of it
again at signing time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from labtrack.core.errors import Conflict, NotFound, PermissionDenied, require_reason
from labtrack.core.messages import msg
from labtrack.kinship.dvi.conclusions import DISPUTED, EXCLUDED, NO_MATCH
from labtrack.models import (
    DviAnalysis,
    DviEvent,
    DviProposal,
    DviReview,
    Identification,
    MissingPerson,
    Remains,
    Signature,
    User,
)
from labtrack.services import dvi_events, identification, signatures
from labtrack.services.dvi_input import event_input
from labtrack.services.transaction import write

DEFAULT_THRESHOLD = 0.9995
#: dvir conclusions that forbid proposing the pairing.
REFUSED = (DISPUTED, EXCLUDED, NO_MATCH)


@dataclass(frozen=True)
class ProposalView:
    proposal: DviProposal
    remains_accession: str
    case_number: str
    proposed_by: str
    review: DviReview | None
    reviewed_by: str
    event_id: int = 0

    @property
    def status(self) -> str:
        if self.review is None:
            return "proposed"
        return "identified" if self.review.step == "approve" else "sent_back"


def _analysis(session: Session, analysis_id: int) -> tuple[DviAnalysis, DviEvent]:
    analysis = session.get(DviAnalysis, analysis_id)
    if analysis is None:
        raise NotFound(msg("no joint DVI analysis %(id)s", id=analysis_id))
    event = dvi_events.get_event(session, analysis.event_id)
    return analysis, event


def _check_current(session: Session, analysis: DviAnalysis, event: DviEvent, config: Mapping[str, Any]) -> None:
    newest = dvi_events.latest_analysis(session, event.id or 0)
    if newest is not None and newest.id != analysis.id:
        raise Conflict(msg("analysis %(id)s is not the newest of event %(event)s (analysis %(newest)s is): propose "
                           "from the newest", id=analysis.id, event=event.code, newest=newest.id))
    now = event_input(session, event, config)
    if now.sha256 != analysis.input_sha256:
        raise Conflict(msg("event %(event)s changed since analysis %(id)s (its remains, missing persons, references "
                           "or frequencies): run the joint analysis again before proposing", event=event.code,
                           id=analysis.id))


def _open_proposals(session: Session) -> list[DviProposal]:
    reviewed = set(session.exec(select(DviReview.proposal_id)))
    return [p for p in session.exec(select(DviProposal).order_by(col(DviProposal.id))) if p.id not in reviewed]


def _check_pairing(session: Session, analysis: DviAnalysis, remains: Remains, person: MissingPerson,
                   threshold: float, skip: int | None = None) -> tuple[float, float | None, str, int]:
    """(pairing probability, pairwise log10 LR, conclusion, family id) of a proposable pairing."""
    result = dvi_events.result_of(analysis)
    victim, missing = remains.accession, person.case_number
    if victim not in result["victims"]:
        raise Conflict(msg("remains %(accession)s were not analysed in analysis %(id)s", accession=victim,
                           id=analysis.id))
    if missing not in result["missing"]:
        raise Conflict(msg("missing person %(case)s was not analysed in analysis %(id)s", case=missing, id=analysis.id))
    probability = dvi_events.pairing_probability(result, victim, missing)
    if probability is None:
        raise Conflict(msg("analysis %(id)s took the sequential route (the event was too large to enumerate): it has "
                           "no posterior pairing probabilities, so no identification can be proposed from it",
                           id=analysis.id))
    if probability < threshold:
        raise Conflict(msg("the posterior pairing probability of %(victim)s = %(missing)s is %(probability)s, below "
                           "the identification threshold %(threshold)s", victim=victim, missing=missing,
                           probability=format(probability, ".6f"), threshold=format(threshold, ".6f")))
    conclusion = dvi_events.conclusion_for(result, victim, missing)
    if conclusion in REFUSED:
        raise Conflict(msg("the conclusions call %(victim)s = %(missing)s %(conclusion)s: it cannot be proposed",
                           victim=victim, missing=missing, conclusion=repr(conclusion)))
    existing = identification.active_for_remains(session, remains.id or 0)
    if existing is not None:
        raise Conflict(msg("remains %(accession)s are already identified (identification %(id)s)", accession=victim,
                           id=existing.id))
    for other in _open_proposals(session):
        if other.id == skip:
            continue
        if other.remains_id == remains.id or other.missing_person_id == person.id:
            raise Conflict(msg("proposal %(id)s for the same remains or missing person is waiting for its review",
                               id=other.id))
    family_id = _family_id(session, analysis, missing, result)
    return probability, dvi_events.pairwise_log10_lr(result, victim, missing), conclusion, family_id


def _family_id(session: Session, analysis: DviAnalysis, missing: str, result: dict[str, Any]) -> int:
    from labtrack.models import Family

    code = result["families"][missing]
    family = session.exec(select(Family).where(Family.code == code)).first()
    if family is None:
        raise Conflict(msg("family %(code)s of analysis %(id)s no longer exists", code=code, id=analysis.id))
    return family.id or 0


def _content(analysis: DviAnalysis, event: DviEvent, remains: Remains, person: MissingPerson, probability: float,
             log10_lr: float | None, conclusion: str, reason: str) -> dict[str, Any]:
    return {"event": event.code, "analysis_id": analysis.id, "input_sha256": analysis.input_sha256,
            "engine_version": analysis.engine_version, "method": analysis.method, "remains": remains.accession,
            "case_number": person.case_number, "pairing_probability": probability, "log10_lr": log10_lr,
            "conclusion": conclusion, "reason": reason}


def propose(*, session: Session, analysis_id: int, remains_id: int, missing_person_id: int, by: User,
            reason: str, password: str, config: Mapping[str, Any],
            threshold: float = DEFAULT_THRESHOLD) -> DviProposal:
    """First analyst: propose that the remains are the missing person (signed "reviewed")."""
    reason = require_reason(reason, msg("propose an identification"))
    with write(session, actor=by, reason=f"joint DVI analysis {analysis_id}: identification proposed"):
        analysis, event = _analysis(session, analysis_id)
        remains = session.get(Remains, remains_id)
        person = session.get(MissingPerson, missing_person_id)
        if remains is None or person is None:
            raise NotFound(msg("no such remains or missing person"))
        _check_current(session, analysis, event, config)
        probability, log10_lr, conclusion, family_id = _check_pairing(session, analysis, remains, person, threshold)
        content = _content(analysis, event, remains, person, probability, log10_lr, conclusion, reason)
        signature = signatures.sign(session=session, user=by, password=password, meaning="reviewed",
                                    record_type="dvi_analysis", record_id=analysis.id or 0, content=content)
        proposal = DviProposal(analysis_id=analysis.id or 0, remains_id=remains.id or 0,
                               missing_person_id=person.id or 0, family_id=family_id,
                               pairing_probability=probability, log10_lr=log10_lr, conclusion=conclusion,
                               reason=reason, by_user_id=by.id or 0, signature_id=signature.id or 0)
        session.add(proposal)
        if person.status == "missing":
            person.status = "provisionally_matched"
            session.add(person)
    return proposal


def _locked(session: Session, proposal_id: int) -> DviProposal:
    session.expire_all()
    proposal = session.exec(select(DviProposal).where(DviProposal.id == proposal_id).with_for_update()).first()
    if proposal is None:
        raise NotFound(msg("no proposal %(id)s", id=proposal_id))
    session.exec(select(Remains.id).where(Remains.id == proposal.remains_id).with_for_update()).first()
    done = session.exec(select(DviReview).where(DviReview.proposal_id == proposal_id)).first()
    if done is not None:
        if done.step == "approve":
            raise Conflict(msg("proposal %(id)s was already approved", id=proposal_id))
        raise Conflict(msg("proposal %(id)s was already sent back", id=proposal_id))
    return proposal


def approve(*, session: Session, proposal_id: int, by: User, password: str, reason: str = "",
            config: Mapping[str, Any], threshold: float = DEFAULT_THRESHOLD) -> Identification:
    """Second analyst: approve (signed "approved"); the remains are identified."""
    with write(session, actor=by, reason=f"joint DVI proposal {proposal_id} approved"):
        proposal = _locked(session, proposal_id)
        if proposal.by_user_id == by.id:
            raise PermissionDenied(msg(
                "You proposed this identification: a second, different analyst must approve it."))
        analysis, event = _analysis(session, proposal.analysis_id)
        remains = session.get(Remains, proposal.remains_id)
        person = session.get(MissingPerson, proposal.missing_person_id)
        assert remains is not None and person is not None
        _check_current(session, analysis, event, config)
        _check_pairing(session, analysis, remains, person, threshold, skip=proposal.id)
        content = _content(analysis, event, remains, person, proposal.pairing_probability, proposal.log10_lr,
                           proposal.conclusion, proposal.reason) | {"step": "approve", "proposal_id": proposal.id,
                                                                    "comment": reason.strip()}
        signature = signatures.sign(session=session, user=by, password=password, meaning="approved",
                                    record_type="dvi_proposal", record_id=proposal.id or 0, content=content)
        made = identification.identify(
            session=session, match=None, remains=remains, missing_person=person, by=by,
            log10_lr=proposal.log10_lr, posterior=proposal.pairing_probability,
            basis=f"joint DVI of closed event {event.code} (analysis {analysis.id}), four-eyes review")
        session.add(DviReview(proposal_id=proposal.id or 0, step="approve", reason=reason.strip(),
                              by_user_id=by.id or 0, signature_id=signature.id, identification_id=made.id))
    return made


def send_back(*, session: Session, proposal_id: int, by: User, reason: str) -> DviReview:
    """Second analyst: send the proposal back (the pairing may be proposed again)."""
    reason = require_reason(reason, msg("send the proposal back"))
    with write(session, actor=by, reason=f"joint DVI proposal {proposal_id} sent back"):
        proposal = _locked(session, proposal_id)
        if proposal.by_user_id == by.id:
            raise PermissionDenied(msg(
                "You proposed this identification: a second, different analyst must review it."))
        review = DviReview(proposal_id=proposal.id or 0, step="send_back", reason=reason, by_user_id=by.id or 0)
        session.add(review)
        person = session.get(MissingPerson, proposal.missing_person_id)
        if person is not None and person.status == "provisionally_matched":
            person.status = "missing"
            session.add(person)
    return review


def proposals(session: Session, event_id: int | None = None) -> list[ProposalView]:
    """Proposals (of one event, or all), newest first, with their review."""
    statement = select(DviProposal).order_by(col(DviProposal.id).desc())
    if event_id is not None:
        statement = statement.join(DviAnalysis, DviAnalysis.id == DviProposal.analysis_id).where(  # type: ignore[arg-type]
            DviAnalysis.event_id == event_id)
    rows = list(session.exec(statement))
    reviews = {r.proposal_id: r for r in session.exec(select(DviReview).where(
        col(DviReview.proposal_id).in_([p.id for p in rows])))}
    users = {u.id: u.full_name for u in session.exec(select(User))}
    events = {a.id: a.event_id for a in session.exec(select(DviAnalysis).where(
        col(DviAnalysis.id).in_({p.analysis_id for p in rows})))}
    out = []
    for p in rows:
        remains, person = session.get(Remains, p.remains_id), session.get(MissingPerson, p.missing_person_id)
        review = reviews.get(p.id or 0)
        out.append(ProposalView(p, remains.accession if remains else "", person.case_number if person else "",
                                users.get(p.by_user_id, ""), review,
                                users.get(review.by_user_id, "") if review else "", events.get(p.analysis_id, 0)))
    return out


def waiting(session: Session) -> list[ProposalView]:
    """Proposals waiting for a second analyst (the review queue's part for closed events)."""
    return [v for v in proposals(session) if v.review is None]


def get_analysis(session: Session, analysis_id: int) -> DviAnalysis:
    return _analysis(session, analysis_id)[0]


def event_of_proposal(session: Session, proposal_id: int) -> int:
    proposal = session.get(DviProposal, proposal_id)
    if proposal is None:
        raise NotFound(msg("no proposal %(id)s", id=proposal_id))
    return get_analysis(session, proposal.analysis_id).event_id


def proposable(session: Session, analysis: DviAnalysis, threshold: float) -> list[tuple[str, str]]:
    """Pairings of the analysis whose posterior pairing probability reaches the threshold, as
    ("remains_id:missing_person_id", "accession = case number (probability)") choices (the
    other rules are checked when proposing)."""
    result = dvi_events.result_of(analysis)
    if result.get("pairing") is None:
        return []
    ids_r = {r.accession: r.id for r in session.exec(
        select(Remains).where(col(Remains.accession).in_(result["victims"])))}
    ids_m = {p.case_number: p.id for p in session.exec(
        select(MissingPerson).where(col(MissingPerson.case_number).in_(result["missing"])))}
    out = []
    for i, victim in enumerate(result["victims"]):
        for j, missing in enumerate(result["missing"]):
            value = result["pairing"][i][j]
            if value is not None and value >= threshold and victim in ids_r and missing in ids_m:
                out.append((f"{ids_r[victim]}:{ids_m[missing]}", f"{victim} = {missing} ({value:.6f})"))
    return out


def approval_signatures(session: Session, identification_id: int) -> list[Signature]:
    """The signatures of the four-eyes review that made this identification from a closed event
    (the proposal's "reviewed", the approval's "approved"); [] when none did."""
    approval = session.exec(select(DviReview).where(DviReview.identification_id == identification_id,
                                                    DviReview.step == "approve")).first()
    if approval is None:
        return []
    proposal = session.get(DviProposal, approval.proposal_id)
    ids = [i for i in (proposal.signature_id if proposal else None, approval.signature_id) if i]
    return [sig for i in ids if (sig := session.get(Signature, i)) is not None]


@dataclass(frozen=True)
class ReadyPairing:
    """A pairing of an event's newest analysis that reaches the threshold and waits for a first
    analyst's proposal."""

    event_id: int
    event_code: str
    analysis_id: int
    remains_accession: str
    case_number: str
    pairing_probability: float
    conclusion: str


def ready(session: Session, threshold: float) -> list[ReadyPairing]:
    """Pairings of every event's newest analysis with a pairing probability >= threshold whose
    remains are not identified and that have no proposal waiting or approved (the review
    queue's part for closed events)."""
    reviewed = {r.proposal_id: r.step for r in session.exec(select(DviReview))}
    taken = {(p.remains_id, p.missing_person_id) for p in session.exec(select(DviProposal))
             if reviewed.get(p.id or 0) != "send_back"}
    identified = {i.remains_id for i in identification.active(session)}
    out = []
    for event in session.exec(select(DviEvent).order_by(col(DviEvent.code))):
        analysis = dvi_events.latest_analysis(session, event.id or 0)
        if analysis is None:
            continue
        result = dvi_events.result_of(analysis)
        choices = proposable(session, analysis, threshold)
        for value, _label in choices:
            remains_id, _sep, person_id = value.partition(":")
            if int(remains_id) in identified or (int(remains_id), int(person_id)) in taken:
                continue
            remains, person = session.get(Remains, int(remains_id)), session.get(MissingPerson, int(person_id))
            if remains is None or person is None:
                continue
            probability = dvi_events.pairing_probability(result, remains.accession, person.case_number) or 0.0
            out.append(ReadyPairing(event.id or 0, event.code, analysis.id or 0, remains.accession,
                                    person.case_number, probability,
                                    dvi_events.conclusion_for(result, remains.accession, person.case_number)))
    return out
