"""API: sites, remains and samples intake."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_login import current_user
from pydantic import BaseModel, Field

from labtrack.db import get_session
from labtrack.services import intake, samples, site_corrections
from labtrack.web.access import ADMIN, ANALYST, COORDINATOR, TECHNICIAN
from labtrack.web.api import bp
from labtrack.web.api.openapi import operation, parse_body, respond


class SiteIn(BaseModel):
    code: str = Field(max_length=3)
    name_en: str = Field(max_length=200)
    name_ar: str = Field(default="", max_length=200)
    governorate: str = Field(default="", max_length=100)
    latitude: float | None = None
    longitude: float | None = None
    legal_case_ref: str = Field(default="", max_length=100)
    status: str = "active"


class SiteOut(SiteIn):
    id: int
    created_at: datetime


class RemainsIn(BaseModel):
    remains_type: str
    anatomical_elements: str = ""
    trench: str = Field(default="", max_length=50)
    grid: str = Field(default="", max_length=50)
    depth_m: float | None = None
    recovered_on: date | None = None
    recovery_team: str = Field(default="", max_length=200)
    est_sex: str = "U"
    est_age_min: int | None = None
    est_age_max: int | None = None
    est_stature_cm: float | None = None
    personal_effects: str = ""
    notes: str = ""


class RemainsOut(RemainsIn):
    id: int
    accession: str
    site_id: int
    number: int


class SampleIn(BaseModel):
    sample_type: str
    collected_on: date | None = None
    notes: str = ""


class TransitionIn(BaseModel):
    to_state: str
    reason: str = ""


class SampleOut(BaseModel):
    id: int
    accession: str
    remains_id: int | None
    number: int
    sample_type: str
    state: str
    failure_reason: str
    resampled_from_id: int | None


@operation(bp, "/sites", summary="Exhumation sites", tag="intake",
           roles=(TECHNICIAN, ANALYST, COORDINATOR, ADMIN), response=SiteOut, many=True)
def list_sites() -> Any:
    return respond(SiteOut, intake.list_sites(get_session()))


@operation(bp, "/sites", method="POST", summary="Register a site", tag="intake", roles=(TECHNICIAN, ADMIN),
           body=SiteIn, response=SiteOut, status=201, endpoint="create_site")
def create_site() -> Any:
    body = parse_body(SiteIn)
    site = intake.create_site(session=get_session(), data=intake.SiteInput(**body.model_dump()),
                              by=current_user._get_current_object())
    return respond(SiteOut, site, status=201)


@operation(bp, "/sites/<site_code>/remains", method="POST", summary="Register remains at a site", tag="intake",
           roles=(TECHNICIAN, ADMIN), body=RemainsIn, response=RemainsOut, status=201)
def register_remains(site_code: str) -> Any:
    body = parse_body(RemainsIn)
    remains = intake.register_remains(session=get_session(), site_code=site_code,
                                      data=intake.RemainsInput(**body.model_dump()),
                                      by=current_user._get_current_object())
    return respond(RemainsOut, remains, status=201)


@operation(bp, "/remains/<remains_accession>/samples", method="POST", summary="Take a sample of remains",
           tag="intake", roles=(TECHNICIAN, ADMIN), body=SampleIn, response=SampleOut, status=201)
def take_sample(remains_accession: str) -> Any:
    body = parse_body(SampleIn)
    sample = samples.take_sample(session=get_session(), remains_accession=remains_accession,
                                 sample_type=body.sample_type, collected_on=body.collected_on, notes=body.notes,
                                 by=current_user._get_current_object())
    return respond(SampleOut, sample, status=201)


@operation(bp, "/samples/<sample_accession>/transitions", method="POST", summary="Move a sample in its lifecycle",
           tag="intake", roles=(TECHNICIAN, ANALYST, ADMIN), body=TransitionIn, response=SampleOut)
def transition_sample(sample_accession: str) -> Any:
    body = parse_body(TransitionIn)
    sample = samples.transition(session=get_session(), accession=sample_accession, to_state=body.to_state,
                                reason=body.reason, by=current_user._get_current_object())
    return respond(SampleOut, sample)


class SiteCorrectionIn(BaseModel):
    """The fields to correct (those left out keep their value) and why."""

    reason: str = Field(min_length=1, max_length=500)
    name_en: str | None = Field(default=None, max_length=200)
    name_ar: str | None = Field(default=None, max_length=200)
    governorate: str | None = Field(default=None, max_length=100)
    latitude: float | None = None
    longitude: float | None = None
    legal_case_ref: str | None = Field(default=None, max_length=100)


class SiteStatusIn(BaseModel):
    status: str
    reason: str = Field(min_length=1, max_length=500)


class RemainsCorrectionIn(BaseModel):
    """The fields to correct (those left out keep their value) and why."""

    reason: str = Field(min_length=1, max_length=500)
    remains_type: str | None = None
    anatomical_elements: str | None = None
    trench: str | None = Field(default=None, max_length=50)
    grid: str | None = Field(default=None, max_length=50)
    depth_m: float | None = None
    recovered_on: date | None = None
    recovery_team: str | None = Field(default=None, max_length=200)
    est_sex: str | None = None
    est_age_min: int | None = None
    est_age_max: int | None = None
    est_stature_cm: float | None = None
    personal_effects: str | None = None
    notes: str | None = None


def _correction(body: BaseModel) -> tuple[str, dict[str, Any]]:
    """The reason and the fields the client sent (an explicit null clears a number or a date)."""
    values = body.model_dump(exclude_unset=True)
    reason = values.pop("reason")
    return reason, {k: ("" if v is None and k in _TEXT_FIELDS else v) for k, v in values.items()}


_TEXT_FIELDS = frozenset({"name_en", "name_ar", "governorate", "legal_case_ref", "remains_type",
                          "anatomical_elements", "trench", "grid", "recovery_team", "est_sex", "personal_effects",
                          "notes"})


@operation(bp, "/sites/<site_code>", method="PATCH", summary="Correct a site (with a reason; audited)", tag="intake",
           roles=(TECHNICIAN, ADMIN), body=SiteCorrectionIn, response=SiteOut)
def correct_site(site_code: str) -> Any:
    reason, values = _correction(parse_body(SiteCorrectionIn))
    site = site_corrections.correct_site(session=get_session(), site_code=site_code,
                                         by=current_user._get_current_object(), reason=reason, **values)
    return respond(SiteOut, site)


@operation(bp, "/sites/<site_code>/status", method="POST", summary="Close, reopen or activate a site (with a "
           "reason; a closed site takes no new remains)", tag="intake", roles=(TECHNICIAN, ADMIN),
           body=SiteStatusIn, response=SiteOut)  # fmt: skip
def set_site_status(site_code: str) -> Any:
    body = parse_body(SiteStatusIn)
    site = site_corrections.set_site_status(session=get_session(), site_code=site_code, status=body.status,
                                            by=current_user._get_current_object(), reason=body.reason)
    return respond(SiteOut, site)


@operation(bp, "/remains/<remains_accession>", method="PATCH", summary="Correct remains (with a reason; audited)",
           tag="intake", roles=(TECHNICIAN, ADMIN), body=RemainsCorrectionIn, response=RemainsOut)
def correct_remains(remains_accession: str) -> Any:
    reason, values = _correction(parse_body(RemainsCorrectionIn))
    found = site_corrections.correct_remains(session=get_session(), accession=remains_accession,
                                             by=current_user._get_current_object(), reason=reason, **values)
    return respond(RemainsOut, found)
