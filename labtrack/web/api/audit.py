"""API: verifications of the audit chain (worker jobs; every run kept), as on the audit page:
the runs, the latest with the verified mark and a job under way, one run, and a request for a run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from flask_login import current_user
from pydantic import BaseModel, Field

from labtrack.core.errors import NotFound
from labtrack.core.messages import msg
from labtrack.db import get_session
from labtrack.models import AuditVerification
from labtrack.services import audit_verification
from labtrack.services import lists as list_specs
from labtrack.web.access import ADMIN
from labtrack.web.api import bp
from labtrack.web.api.jobs_state import JobOut, job_state
from labtrack.web.api.openapi import operation, parse_body, parse_query, respond
from labtrack.web.api.paging import PageInfo, PageQuery, list_page

ROLES = (ADMIN,)  # as the audit page


class VerificationOut(BaseModel):
    id: int
    job_id: int | None
    full: bool = Field(description="walked the whole chain (else: from the verified mark of the run before)")
    ok: bool = Field(description="the chain verified; when false, break_seq/break_entry_id/problem name the break")
    from_seq: int = Field(description="where the run started: 0 for a full run, else the seq of the mark")
    entries: int = Field(description="entries checked in this run")
    to_seq: int = Field(description="the last entry checked (the new mark when ok)")
    to_entry_id: int | None
    to_hash: str
    break_seq: int | None
    break_entry_id: int | None
    problem: str
    verified_at: datetime


class VerificationPage(PageInfo):
    items: list[VerificationOut]


class VerificationStatus(BaseModel):
    latest: VerificationOut | None = Field(description="the newest run, verified or broken")
    mark: VerificationOut | None = Field(description="the newest run that verified (where the next incremental "
                                         "run starts)")
    pending: JobOut | None = Field(description="a queued or running verification job")


class VerificationRequest(BaseModel):
    full: bool = Field(default=False, description="walk the whole chain (else: from the verified mark; only a "
                       "full run sees an entry below the mark altered in place)")


@operation(bp, "/audit/verifications", summary="Verifications of the audit chain, newest first, a page at a time",
           tag="audit", roles=ROLES, response=VerificationPage, query=PageQuery)
def list_verifications() -> Any:
    return respond(VerificationPage, list_page(list_specs.AUDIT_VERIFICATIONS, parse_query(PageQuery)))


@operation(bp, "/audit/verifications/latest", summary="The newest verification, the verified mark and a job under "
           "way", tag="audit", roles=ROLES, response=VerificationStatus)
def latest_verification() -> Any:
    db = get_session()
    return respond(VerificationStatus, {"latest": audit_verification.latest(db),
                                        "mark": audit_verification.latest_mark(db),
                                        "pending": job_state(audit_verification.pending(db))})


@operation(bp, "/audit/verifications/<int:verification_id>", summary="One verification of the audit chain",
           tag="audit", roles=ROLES, response=VerificationOut)
def get_verification(verification_id: int) -> Any:
    found = get_session().get(AuditVerification, verification_id)
    if found is None:
        raise NotFound(msg("No verification of the audit chain %(id)s.", id=verification_id))
    return respond(VerificationOut, found)


@operation(bp, "/audit/verifications", method="POST", summary="Queue a verification of the audit chain (a worker "
           "runs it; repeated requests while one waits give the same job)", tag="audit", roles=ROLES,
           body=VerificationRequest, response=JobOut, status=202, endpoint="request_verification")
def request_verification() -> Any:
    body = parse_body(VerificationRequest)
    job = audit_verification.request(get_session(), full=body.full, by=current_user,
                                     app=current_app._get_current_object())  # type: ignore[attr-defined]
    get_session().refresh(job)  # an inline worker (tests, demo) may have run it already
    return respond(JobOut, job_state(job), status=202)
