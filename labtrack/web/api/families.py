"""API: families and their pedigrees (accessions and relationships only: blind processing)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from labtrack.db import get_session
from labtrack.services import families
from labtrack.web.access import ALL_ROLES
from labtrack.web.api import bp
from labtrack.web.api.openapi import operation, respond


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
