"""API: families and their pedigrees (accessions and relationships only: blind processing)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import current_app
from flask_login import current_user
from pydantic import BaseModel, Field

from labtrack.db import get_session
from labtrack.services import families, family_power, identification_basis, pedigree_corrections
from labtrack.web.access import ADMIN, ALL_ROLES, ANALYST, COORDINATOR
from labtrack.web.api import bp
from labtrack.web.api.openapi import operation, parse_body, respond
from labtrack.web.messages import text


class PedigreeMemberPublic(BaseModel):
    person_code: str
    sex: str
    father: str
    mother: str
    relation: str
    donor_code: str
    sample_accession: str
    case_number: str
    missing: bool
    typed: bool


class FamilyPublic(BaseModel):
    id: int
    code: str
    members: list[PedigreeMemberPublic]
    warnings: list[str] = Field(default_factory=list, description=(
        "After a change of the tree: what the change affects (e.g. an approved identification of the family's "
        "missing person that rests on the tree), in the reader's language"))


def _family(family: Any) -> dict[str, Any]:
    db = get_session()
    return {"id": family.id, "code": family.code, "members": families.members(db, family)}


@operation(bp, "/families", summary="Families with their pedigree members", tag="families",
           roles=ALL_ROLES, response=FamilyPublic, many=True)
def list_families() -> Any:
    return respond(FamilyPublic, [_family(f) for f in families.list_families(get_session())])


@operation(bp, "/families/<int:family_id>", summary="One family's pedigree", tag="families",
           roles=ALL_ROLES, response=FamilyPublic)
def get_family(family_id: int) -> Any:
    return respond(FamilyPublic, _family(families.get_family(get_session(), family_id)))


class RelativeGainPublic(BaseModel):
    relative: str
    typed: list[str]
    ep: float
    ip: dict[str, float]
    mean_log10_lr: float


class FamilyPowerPublic(BaseModel):
    """Identification power of the family's references (newest computation): EP, IP at LR
    thresholds 1 to 1e9 (share of simulated true missing persons), mean log10 LR, and the
    further relatives ranked by the IP (LR >= 1e4) they would give."""

    family_id: int
    computed_at: datetime | None
    references: list[str]
    n_markers: int
    ep_total: float
    expected_mismatch: float
    ip: dict[str, float]
    mean_log10_lr: float
    what_if: list[RelativeGainPublic]
    pending: bool


def _power(family_id: int) -> dict[str, Any]:
    db = get_session()
    families.get_family(db, family_id)  # 404 for an unknown family
    view = family_power.latest(db, family_id)
    pending = family_power.pending(db, family_id) is not None
    if view is None:
        return {"family_id": family_id, "computed_at": None, "references": [], "n_markers": 0,
                "ep_total": 0.0, "expected_mismatch": 0.0, "ip": {}, "mean_log10_lr": 0.0,
                "what_if": [], "pending": pending}  # fmt: skip
    result = json.loads(view.record.result_json)
    return {"family_id": family_id, "computed_at": view.record.computed_at,
            "references": view.references, "n_markers": view.record.n_markers,
            "ep_total": view.record.ep_total,
            "expected_mismatch": result.get("expected_mismatch", 0.0),
            "ip": result.get("ip", {}), "mean_log10_lr": view.record.mean_log10_lr,
            "what_if": result.get("what_if", []), "pending": pending}  # fmt: skip


@operation(bp, "/families/<int:family_id>/power", summary="Identification power of a family's "
           "references (newest computation)", tag="families", roles=ALL_ROLES,
           response=FamilyPowerPublic)  # fmt: skip
def get_family_power(family_id: int) -> Any:
    return respond(FamilyPowerPublic, _power(family_id))


@operation(bp, "/families/<int:family_id>/power", method="POST", summary="Queue the "
           "identification power computation of a family (a worker runs it)", tag="families",
           roles=(ANALYST, COORDINATOR, ADMIN), response=FamilyPowerPublic, status=202,
           endpoint="request_family_power")  # fmt: skip
def request_family_power(family_id: int) -> Any:
    family_power.request(get_session(), family_id=family_id, by=current_user,
                         app=current_app._get_current_object())  # type: ignore[attr-defined]
    return respond(FamilyPowerPublic, _power(family_id), status=202)


class MemberCorrectionIn(BaseModel):
    """What to correct of a person of the tree (fields left out keep their value; "" clears a parent or the
    donor) and why."""

    reason: str = Field(min_length=1, max_length=500)
    person_code: str | None = Field(default=None, max_length=40)
    sex: str | None = None
    father: str | None = Field(default=None, max_length=40)
    mother: str | None = Field(default=None, max_length=40)
    relation: str | None = Field(default=None, max_length=50)
    donor_code: str | None = Field(default=None, max_length=32)


class MemberRemovalIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


def _member_of(family_id: int, person_code: str) -> tuple[Any, Any]:
    db = get_session()
    family = families.get_family(db, family_id)
    return family, pedigree_corrections.find_member(db, family.code, person_code)


@operation(bp, "/families/<int:family_id>/members/<person_code>", method="PATCH", summary="Correct a person of "
           "the family tree (the tree is checked as a whole; with a reason)", tag="families",
           roles=(COORDINATOR, ADMIN), body=MemberCorrectionIn, response=FamilyPublic)  # fmt: skip
def correct_member(family_id: int, person_code: str) -> Any:
    body = parse_body(MemberCorrectionIn)
    family, member = _member_of(family_id, person_code)
    values = {k: v for k, v in body.model_dump(exclude_unset=True).items() if k != "reason"}
    pedigree_corrections.correct_member(session=get_session(), member_id=member.id or 0,
                                        by=current_user._get_current_object(), reason=body.reason,
                                        **{k: "" if v is None else v for k, v in values.items()})
    return respond(FamilyPublic, _family(family) | {"warnings": _stake(family)})


def _stake(family: Any) -> list[str]:
    warning = identification_basis.warning_for_family(get_session(), family.id or 0)
    return [] if warning is None else [text(warning)]


@operation(bp, "/families/<int:family_id>/members/<person_code>/removal", method="POST", summary="Take a person "
           "out of the family tree (kept as a removed person; with a reason)", tag="families",
           roles=(COORDINATOR, ADMIN), body=MemberRemovalIn, response=FamilyPublic)  # fmt: skip
def remove_member(family_id: int, person_code: str) -> Any:
    body = parse_body(MemberRemovalIn)
    family, member = _member_of(family_id, person_code)
    pedigree_corrections.remove_member(session=get_session(), member_id=member.id or 0,
                                       by=current_user._get_current_object(), reason=body.reason)
    return respond(FamilyPublic, _family(family) | {"warnings": _stake(family)})
