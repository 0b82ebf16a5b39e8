"""API: re-association of remains by direct matching (worker jobs; every run kept), as on the
re-association pages: the runs, one run, its graves and sites with the minimum number of
individuals (MNI), its groups per site and grave, and a request for a run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from flask_login import current_user
from pydantic import BaseModel, Field

from labtrack.core.errors import NotFound
from labtrack.core.messages import msg
from labtrack.db import get_session
from labtrack.models import ReassociationRun
from labtrack.services import reassociation, reassociation_views
from labtrack.web.access import ADMIN, ANALYST
from labtrack.web.api import bp
from labtrack.web.api.jobs_state import JobOut, job_state
from labtrack.web.api.openapi import operation, parse_query, respond
from labtrack.web.api.paging import PageInfo, PageQuery, list_page

ROLES = (ANALYST, ADMIN)  # as the re-association pages


class RunOut(BaseModel):
    id: int
    job_id: int | None
    min_overlap: int = Field(description="loci two profiles must share to be compared")
    max_mismatches: int = Field(description="loci that may differ in a pair")
    min_log10_lr: float = Field(description="a pair joins a group only with at least this identity LR (log10)")
    profiles: int = Field(description="current remains profiles compared")
    pairs: int
    groups: int = Field(description="groups of two or more remains (one person each)")
    computed_at: datetime


class RunPage(PageInfo):
    items: list[RunOut]
    pending: JobOut | None = Field(description="a queued or running re-association job")


class PlaceQuery(PageQuery):
    site_code: str | None = Field(default=None, min_length=1, max_length=3, description="only this site")
    grave: str | None = Field(default=None, max_length=50, description="only this grave (trench)")


class GroupQuery(PlaceQuery):
    group_number: int | None = Field(default=None, ge=1, le=2**31 - 1, description="only this group")


class GraveOut(BaseModel):
    site_code: str
    grave: str
    whole_site: bool = Field(description="the row counts the whole site, not one grave")
    remains: int
    profiled: int = Field(description="remains with a current profile")
    grouped: int = Field(description="remains in a group of two or more")
    groups: int
    mni: int = Field(description="minimum number of individuals: each group present once, every other remains once")


class GravePage(PageInfo):
    items: list[GraveOut]


class GroupOut(BaseModel):
    group_number: int
    site_code: str
    grave: str
    remains: str = Field(description="accessions of the group's remains in this grave, comma separated")
    n_remains: int
    group_size: int = Field(description="remains of the group in every grave")
    graves: int = Field(description="graves the group is found in")
    min_log10_lr: float = Field(description="the weakest link that joined the group")


class GroupPage(PageInfo):
    items: list[GroupOut]


def _run_id(run_id: int) -> int:
    if get_session().get(ReassociationRun, run_id) is None:
        raise NotFound(msg("No such re-association run."))
    return run_id


@operation(bp, "/reassociation/runs", summary="Re-association runs, newest first, a page at a time, and a job "
           "under way", tag="reassociation", roles=ROLES, response=RunPage, query=PageQuery)
def list_reassociation_runs() -> Any:
    found = list_page(reassociation_views.runs(), parse_query(PageQuery))
    return respond(RunPage, found | {"pending": job_state(reassociation.pending(get_session()))})


@operation(bp, "/reassociation/runs/<int:run_id>", summary="One re-association run", tag="reassociation",
           roles=ROLES, response=RunOut)
def get_reassociation_run(run_id: int) -> Any:
    return respond(RunOut, get_session().get(ReassociationRun, _run_id(run_id)))


@operation(bp, "/reassociation/runs/<int:run_id>/graves", summary="Each site (whole_site) and each grave of a run "
           "with its MNI (filters: site_code, grave)", tag="reassociation", roles=ROLES, response=GravePage,
           query=PlaceQuery)
def reassociation_graves(run_id: int) -> Any:
    query = parse_query(PlaceQuery)
    return respond(GravePage, list_page(reassociation_views.graves(_run_id(run_id)), query,
                                        {"site_code": query.site_code, "grave": query.grave}))


@operation(bp, "/reassociation/runs/<int:run_id>/groups", summary="The groups of a run (one person each), per site "
           "and grave (filters: site_code, grave, group_number)", tag="reassociation", roles=ROLES,
           response=GroupPage, query=GroupQuery)
def reassociation_groups(run_id: int) -> Any:
    query = parse_query(GroupQuery)
    return respond(GroupPage, list_page(reassociation_views.groups(_run_id(run_id)), query,
                                        {"site_code": query.site_code, "grave": query.grave,
                                         "group_number": query.group_number}))


@operation(bp, "/reassociation/runs", method="POST", summary="Queue a re-association of every current remains "
           "profile (a worker runs it; repeated requests while one waits give the same job)", tag="reassociation",
           roles=ROLES, response=JobOut, status=202, endpoint="request_reassociation")
def request_reassociation() -> Any:
    db = get_session()
    job = reassociation.request(db, by=current_user, app=current_app._get_current_object())  # type: ignore[attr-defined]
    db.refresh(job)  # an inline worker (tests, demo) may have run it already
    return respond(JobOut, job_state(job), status=202)
