"""API: the review queue, a match's evidence, and the four-eyes steps (signed with the password)."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlencode

from flask import current_app, request
from flask_login import current_user
from pydantic import BaseModel, Field

from labtrack.core import review_rules
from labtrack.core.errors import InputProblem, ValidationFailed
from labtrack.core.messages import msg
from labtrack.db import get_session
from labtrack.models import Site
from labtrack.services import identification, review
from labtrack.services import review_queue as review_queue_model
from labtrack.web.access import ADMIN, ANALYST
from labtrack.web.api import bp
from labtrack.web.api.openapi import operation, parse_body, parse_query, respond
from labtrack.web.extensions import limiter
from labtrack.web.messages import text

REVIEWERS = (ANALYST, ADMIN)
MAX_PAGE = 500


class QueueRowOut(BaseModel):
    match_id: int
    run_id: int
    remains_accession: str
    site_code: str
    family_code: str
    case_number: str
    log10_lr: float
    posterior: float
    strength: str
    status: str
    identified_by: int | None = Field(default=None, description="identification that already names these remains")


class LocusOut(BaseModel):
    marker: str
    remains: list[str]
    relatives: dict[str, list[str]]
    lr: float | None
    log10_lr: float | None
    flag: str
    inconsistent: bool


class MatchOut(BaseModel):
    match_id: int
    status: str
    remains_accession: str
    family_code: str
    case_number: str
    log10_lr: float
    posterior: float
    prior: float
    engine_version: str
    params: dict[str, Any]
    loci: list[LocusOut]
    contradictions: list[str]
    competitors: list[int]


class ProposeIn(BaseModel):
    decision: Literal["confirm", "reject"]
    reason: str = Field(min_length=1, max_length=2000)
    password: str = Field(min_length=1, max_length=200)


class ApproveIn(BaseModel):
    password: str = Field(min_length=1, max_length=200)
    reason: str = Field(default="", max_length=2000)


class SendBackIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class ReviewOut(BaseModel):
    id: int
    match_id: int
    step: str
    reason: str
    by_user_id: int
    signature_id: int | None
    identification_id: int | None = None


class QueueQuery(BaseModel):
    limit: int = Field(default=100, ge=1, le=MAX_PAGE, description=f"rows per page (1 to {MAX_PAGE})")
    cursor: str | None = Field(default=None, min_length=1, max_length=200,
                               description="where to go on: the cursor of the previous page's `next` link")
    site: int | None = Field(default=None, ge=1, le=2**31 - 1, description="only this site (its id)")
    status: Literal[review_rules.STATUSES] | None = Field(default=None, description="only this review status")  # type: ignore[valid-type]
    strength: Literal[review_rules.STRENGTHS] | None = Field(  # type: ignore[valid-type]
        default=None, description="only this strength band of the LR")


class QueuePageOut(BaseModel):
    items: list[QueueRowOut]
    total: int = Field(description="candidates in the filtered queue (all pages)")
    limit: int
    next: str | None = Field(description="the next page (same filters, with a cursor); null on the last page")


@operation(bp, "/review/matches", summary="Candidate matches to review, strongest first, a page at a time "
           "(filters: site, status, strength; `limit` rows per page, the `next` link goes on)",
           tag="review", roles=REVIEWERS, response=QueuePageOut, query=QueueQuery)
def review_queue() -> Any:
    query = parse_query(QueueQuery)
    db = get_session()
    try:
        after = review_queue_model.read_cursor(query.cursor) if query.cursor else None
    except ValueError as error:
        raise ValidationFailed(msg("The query parameters are not valid"), [InputProblem(
            message=msg("This is not a cursor of this list: follow the next link of a page."), field="cursor")]
        ) from error
    site = db.get(Site, query.site) if query.site is not None else None
    if query.site is not None and site is None:
        return respond(QueuePageOut, {"items": [], "total": 0, "limit": query.limit, "next": None})
    page = review_queue_model.api_page(db, site_code=site.code if site else None, status=query.status,
                                       strength=query.strength, limit=query.limit, after=after)
    following = None
    if page.cursor is not None:
        params = {k: v for k, v in request.args.items() if k != "cursor"} | {"cursor": page.cursor}
        following = f"{request.path}?{urlencode(params)}"
    return respond(QueuePageOut, {"items": [_queue_row(e) for e in page.entries], "total": page.total,
                                  "limit": query.limit, "next": following})


def _queue_row(entry: review_queue_model.Entry) -> dict[str, Any]:
    return {"match_id": entry.match_id, "run_id": entry.run_id, "remains_accession": entry.remains_accession,
            "site_code": entry.site, "family_code": entry.family_code, "case_number": entry.case_number,
            "log10_lr": entry.log10_lr, "posterior": entry.posterior, "strength": entry.strength,
            "status": entry.status, "identified_by": entry.identified_by}


@operation(bp, "/review/matches/<int:match_id>", summary="A match's evidence (no names: blind review)",
           tag="review", roles=REVIEWERS, response=MatchOut)
def review_match(match_id: int) -> Any:
    db = get_session()
    ctx = review.load(db, match_id)
    comparison = review.anthropology(ctx)
    return respond(MatchOut, {
        "match_id": match_id, "status": ctx.status, "remains_accession": ctx.remains.accession,
        "family_code": ctx.family.code, "case_number": ctx.missing_person.case_number if ctx.missing_person else "",
        "log10_lr": ctx.match.log10_lr, "posterior": ctx.match.posterior, "prior": ctx.match.prior,
        "engine_version": ctx.run.engine_version, "params": ctx.params,
        "loci": [locus.as_dict() | {"inconsistent": locus.inconsistent} for locus in ctx.loci],
        "contradictions": [text(c.message) for c in comparison.contradictions] if comparison else [],
        "competitors": [c.match_id for c in review.competitors(db, ctx)],
    })


@operation(bp, "/review/matches/<int:match_id>/propose", method="POST", summary="First analyst: propose (signed)",
           tag="review", roles=REVIEWERS, body=ProposeIn, response=ReviewOut, status=201)
@limiter.limit(lambda: current_app.config["SIGNATURE_RATE_LIMIT"])
def review_propose(match_id: int) -> Any:
    body = parse_body(ProposeIn)
    row = review.propose(session=get_session(), match_id=match_id, by=current_user, decision=body.decision,
                         reason=body.reason, password=body.password,
                         threshold=current_app.config["IDENTIFICATION_THRESHOLD"])
    return respond(ReviewOut, row, 201)


@operation(bp, "/review/matches/<int:match_id>/approve", method="POST",
           summary="Second analyst: approve (signed); confirms the identification", tag="review", roles=REVIEWERS,
           body=ApproveIn, response=ReviewOut, status=201)
@limiter.limit(lambda: current_app.config["SIGNATURE_RATE_LIMIT"])
def review_approve(match_id: int) -> Any:
    body = parse_body(ApproveIn)
    result = review.approve(session=get_session(), match_id=match_id, by=current_user, password=body.password,
                            reason=body.reason, threshold=current_app.config["IDENTIFICATION_THRESHOLD"])
    out = ReviewOut.model_validate(result.review, from_attributes=True)
    out.identification_id = result.identification.id if result.identification else None
    return respond(ReviewOut, out, 201)


@operation(bp, "/review/matches/<int:match_id>/send-back", method="POST", summary="Second analyst: send back",
           tag="review", roles=REVIEWERS, body=SendBackIn, response=ReviewOut, status=201)
def review_send_back(match_id: int) -> Any:
    body = parse_body(SendBackIn)
    return respond(ReviewOut, review.send_back(session=get_session(), match_id=match_id, by=current_user,
                                               reason=body.reason), 201)


class RetractIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)
    password: str = Field(min_length=1, max_length=200)


class IdentificationOut(BaseModel):
    id: int
    match_id: int | None
    remains_id: int
    missing_person_id: int
    retraction: bool
    retracts_id: int | None
    reason: str
    approved_by_id: int


class RetractionProposalOut(BaseModel):
    id: int
    identification_id: int
    reason: str
    by_user_id: int
    signature_id: int


@operation(bp, "/identifications/<int:identification_id>/retraction-proposal", method="POST",
           summary="First analyst: propose retracting a wrong identification (signed)",
           tag="review", roles=REVIEWERS, body=RetractIn, response=RetractionProposalOut, status=201)
@limiter.limit(lambda: current_app.config["SIGNATURE_RATE_LIMIT"])
def propose_retraction(identification_id: int) -> Any:
    body = parse_body(RetractIn)
    row = identification.propose_retraction(session=get_session(), identification_id=identification_id,
                                            by=current_user, reason=body.reason, password=body.password)
    return respond(RetractionProposalOut, row, 201)


@operation(bp, "/identifications/<int:identification_id>/retraction", method="POST",
           summary="Second analyst: approve the proposed retraction (signed; the record stays, the retraction "
                   "references it)",
           tag="review", roles=REVIEWERS, body=RetractIn, response=IdentificationOut, status=201)
@limiter.limit(lambda: current_app.config["SIGNATURE_RATE_LIMIT"])
def retract_identification(identification_id: int) -> Any:
    body = parse_body(RetractIn)
    row = identification.retract(session=get_session(), identification_id=identification_id, by=current_user,
                                 reason=body.reason, password=body.password)
    return respond(IdentificationOut, row, 201)
