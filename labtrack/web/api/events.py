"""API: closed events, their joint DVI analyses, and identifications proposed from them with
four eyes (accession IDs and case numbers only: blind processing)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask import current_app
from flask_login import current_user
from pydantic import BaseModel, Field
from sqlmodel import select

from labtrack.core.errors import NotFound
from labtrack.core.messages import msg
from labtrack.db import get_session
from labtrack.models import MissingPerson, Remains
from labtrack.services import dvi_events, dvi_review
from labtrack.web.access import ADMIN, ANALYST, COORDINATOR
from labtrack.web.api import bp
from labtrack.web.api.jobs_state import JobOut, job_state
from labtrack.web.api.openapi import operation, parse_body, respond
from labtrack.web.extensions import limiter
from labtrack.web.messages import text

READERS = (ANALYST, COORDINATOR, ADMIN)
DEFINERS = (COORDINATOR, ADMIN)
REVIEWERS = (ANALYST, ADMIN)


class EventIn(BaseModel):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(default="", max_length=200)
    kind: Literal["grave", "prison_list", "other"] = "grave"
    description: str = Field(default="", max_length=4000)


class MembersIn(BaseModel):
    remains: list[str] = Field(default_factory=list, description="remains accessions", max_length=100000)
    site_code: str = Field(default="", max_length=20, description="add every remains of this site")
    case_numbers: list[str] = Field(default_factory=list, description="missing persons' case numbers",
                                    max_length=100000)


class AnalysisSummaryOut(BaseModel):
    id: int
    computed_at: datetime
    method: str = Field(description="exact, branch-and-bound, or sequential (too large to enumerate)")
    message: str = Field(description="why a part of the event took the sequential route, when it did")
    n_victims: int
    n_missing: int
    input_sha256: str


class EventOut(BaseModel):
    id: int
    code: str
    name: str
    kind: str
    description: str
    remains: list[str]
    case_numbers: list[str]
    last_analysis: AnalysisSummaryOut | None
    job: JobOut | None


class PairwiseOut(BaseModel):
    victim: str
    missing: str
    family: str
    log10_lr: float | None
    excluded: bool


class AssignmentOut(BaseModel):
    rank: int
    assignment: list[str] = Field(description="per victim (in `victims` order) a case number or '*'")
    loglik: float | None
    log10_lr_vs_best: float | None
    log10_lr_vs_null: float | None
    posterior: float | None


class ConclusionOut(BaseModel):
    side: str
    family: str
    missing: str
    victim: str
    lr: float | None
    glr: float | None
    conclusion: str
    comment: str


class AnalysisOut(AnalysisSummaryOut):
    """A joint DVI of the event: `pairing[i][j]` is the posterior probability that victim i is
    missing person j (last column: nobody); None on the sequential route."""

    victims: list[str]
    missing: list[str]
    families: dict[str, str]
    pairwise: list[PairwiseOut]
    joint: list[AssignmentOut]
    pairing: list[list[float | None]] | None
    conclusions: list[ConclusionOut]
    thresholds: dict[str, float]
    neglected_mass: float | None
    visited: int
    n_assignments: int
    components: int
    pruned_pairings: int
    warnings: list[str]
    left_out: dict[str, str]


class ProposeIn(BaseModel):
    remains_accession: str = Field(min_length=1, max_length=40)
    case_number: str = Field(min_length=1, max_length=32)
    reason: str = Field(min_length=1, max_length=2000)
    password: str = Field(min_length=1, max_length=200)


class ApproveIn(BaseModel):
    password: str = Field(min_length=1, max_length=200)
    reason: str = Field(default="", max_length=2000)


class SendBackIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class ProposalOut(BaseModel):
    id: int
    event_id: int
    analysis_id: int
    remains_accession: str
    case_number: str
    pairing_probability: float
    log10_lr: float | None
    conclusion: str
    reason: str
    by_user_id: int
    status: str = Field(description="proposed, identified or sent_back")
    identification_id: int | None


def _event(event_id: int) -> dict[str, Any]:
    db = get_session()
    event = dvi_events.get_event(db, event_id)
    members = dvi_events.members(db, event_id)
    analysis = dvi_events.latest_analysis(db, event_id)
    job = dvi_events.last_job(db, event_id)
    return {"id": event.id, "code": event.code, "name": event.name, "kind": event.kind,
            "description": event.description, "remains": [r.accession for r, _ in members.remains],
            "case_numbers": [p.case_number for p, _ in members.missing], "last_analysis": analysis,
            "job": job_state(job)}


def _proposal(view: dvi_review.ProposalView) -> dict[str, Any]:
    p = view.proposal
    return {"id": p.id, "event_id": view.event_id, "analysis_id": p.analysis_id,
            "remains_accession": view.remains_accession, "case_number": view.case_number,
            "pairing_probability": p.pairing_probability, "log10_lr": p.log10_lr, "conclusion": p.conclusion,
            "reason": p.reason, "by_user_id": p.by_user_id, "status": view.status,
            "identification_id": view.review.identification_id if view.review else None}  # fmt: skip


def _proposal_view(proposal_id: int) -> dict[str, Any]:
    view = next((v for v in dvi_review.proposals(get_session()) if v.proposal.id == proposal_id), None)
    if view is None:
        raise NotFound(msg("no proposal %(id)s", id=proposal_id))
    return _proposal(view)


def _threshold() -> float:
    return float(current_app.config.get("IDENTIFICATION_THRESHOLD", dvi_review.DEFAULT_THRESHOLD))


@operation(bp, "/events", summary="Closed events (a grave, a prison list) with their members", tag="events",
           roles=READERS, response=EventOut, many=True)
def list_events() -> Any:
    return respond(EventOut, [_event(s.event.id or 0) for s in dvi_events.list_events(get_session())])


@operation(bp, "/events", method="POST", summary="Define a closed event", tag="events", roles=DEFINERS,
           body=EventIn, response=EventOut, status=201, endpoint="create_event")
def create_event() -> Any:
    body = parse_body(EventIn)
    event = dvi_events.create_event(get_session(), code=body.code, name=body.name, kind=body.kind,
                                    description=body.description, by=current_user)
    return respond(EventOut, _event(event.id or 0), 201)


@operation(bp, "/events/<int:event_id>", summary="One closed event: members, newest analysis, job", tag="events",
           roles=READERS, response=EventOut)
def get_event(event_id: int) -> Any:
    return respond(EventOut, _event(event_id))


@operation(bp, "/events/<int:event_id>/members", method="POST", summary="Add remains (or a site's remains) and "
           "missing persons to an event (all or nothing)", tag="events", roles=DEFINERS, body=MembersIn,
           response=EventOut)  # fmt: skip
def add_event_members(event_id: int) -> Any:
    body = parse_body(MembersIn)
    dvi_events.add_members(get_session(), event_id=event_id, remains=body.remains, site_code=body.site_code,
                           case_numbers=body.case_numbers, by=current_user)
    return respond(EventOut, _event(event_id))


@operation(bp, "/events/<int:event_id>/analyses", method="POST", summary="Queue the joint DVI of an event "
           "(a worker runs it; progress in `job`)", tag="events", roles=REVIEWERS, response=EventOut, status=202)
def analyse_event(event_id: int) -> Any:
    dvi_events.request_analysis(get_session(), event_id=event_id, by=current_user, config=current_app.config,
                                app=current_app._get_current_object())  # type: ignore[attr-defined]
    return respond(EventOut, _event(event_id), 202)


@operation(bp, "/events/<int:event_id>/analysis", summary="The newest joint DVI of an event: pairwise LRs, best "
           "joint assignments, posterior pairing probabilities, conclusions and thresholds", tag="events",
           roles=READERS, response=AnalysisOut)  # fmt: skip
def event_analysis(event_id: int) -> Any:
    db = get_session()
    dvi_events.get_event(db, event_id)
    analysis = dvi_events.latest_analysis(db, event_id)
    if analysis is None:
        raise NotFound(msg("event %(id)s has not been analysed yet", id=event_id))
    result = dvi_events.result_of(analysis)
    summary = AnalysisSummaryOut.model_validate(analysis, from_attributes=True).model_dump()
    message, warnings = dvi_events.said(result)  # in the reader's language
    return respond(AnalysisOut, summary | {k: result[k] for k in AnalysisOut.model_fields if k in result}
                   | {"message": text(message), "warnings": [text(warning) for warning in warnings]})


@operation(bp, "/dvi-analyses/<int:analysis_id>/proposals", method="POST", summary="First analyst: propose an "
           "identification from a joint DVI (signed)", tag="events", roles=REVIEWERS, body=ProposeIn,
           response=ProposalOut, status=201)  # fmt: skip
@limiter.limit(lambda: current_app.config["SIGNATURE_RATE_LIMIT"])
def propose_from_analysis(analysis_id: int) -> Any:
    body = parse_body(ProposeIn)
    db = get_session()
    remains = db.exec(select(Remains).where(Remains.accession == body.remains_accession.strip().upper())).first()
    person = db.exec(select(MissingPerson).where(MissingPerson.case_number == body.case_number.strip())).first()
    if remains is None or person is None:
        raise NotFound(f"no remains {body.remains_accession}" if remains is None
                       else f"no missing person {body.case_number}")
    row = dvi_review.propose(session=db, analysis_id=analysis_id, remains_id=remains.id or 0,
                             missing_person_id=person.id or 0, by=current_user, reason=body.reason,
                             password=body.password, config=current_app.config, threshold=_threshold())
    return respond(ProposalOut, _proposal_view(row.id or 0), 201)


@operation(bp, "/dvi-proposals", summary="Identifications proposed from closed events, newest first",
           tag="events", roles=REVIEWERS, response=ProposalOut, many=True)
def list_dvi_proposals() -> Any:
    return respond(ProposalOut, [_proposal(v) for v in dvi_review.proposals(get_session())])


@operation(bp, "/dvi-proposals/<int:proposal_id>/approve", method="POST", summary="Second analyst: approve "
           "(signed); the remains are identified", tag="events", roles=REVIEWERS, body=ApproveIn,
           response=ProposalOut, status=201)  # fmt: skip
@limiter.limit(lambda: current_app.config["SIGNATURE_RATE_LIMIT"])
def approve_dvi_proposal(proposal_id: int) -> Any:
    body = parse_body(ApproveIn)
    dvi_review.approve(session=get_session(), proposal_id=proposal_id, by=current_user, password=body.password,
                       reason=body.reason, config=current_app.config, threshold=_threshold())
    return respond(ProposalOut, _proposal_view(proposal_id), 201)


@operation(bp, "/dvi-proposals/<int:proposal_id>/send-back", method="POST", summary="Second analyst: send back",
           tag="events", roles=REVIEWERS, body=SendBackIn, response=ProposalOut, status=201)
def send_back_dvi_proposal(proposal_id: int) -> Any:
    body = parse_body(SendBackIn)
    dvi_review.send_back(session=get_session(), proposal_id=proposal_id, by=current_user, reason=body.reason)
    return respond(ProposalOut, _proposal_view(proposal_id), 201)
