"""API: import one pedigree of a Familias .fam file as a family (coordinators); the file travels
base64-encoded in the JSON body."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask_login import current_user
from pydantic import BaseModel, Field

from labtrack.core.errors import InputProblem, ValidationFailed
from labtrack.db import get_session
from labtrack.services import familias_import
from labtrack.web.access import ADMIN, COORDINATOR
from labtrack.web.api import bp
from labtrack.web.api.openapi import operation, parse_body, respond


class FamImportIn(BaseModel):
    filename: str = Field(min_length=1, max_length=200)
    content_base64: str = Field(min_length=1, max_length=8_000_000, description="the .fam file, base64")
    family_code: str = Field(min_length=1, max_length=40)
    missing: str = Field(min_length=1, max_length=100, description="the missing person's name in the file")
    case_number: str = Field(min_length=1, max_length=32, description="existing case, or registered if new")
    pedigree: str = Field(default="", max_length=100, description="pedigree of the file (empty: the first)")


class ImportedDonorOut(BaseModel):
    person: str
    donor_code: str
    sample: str


class FamImportOut(BaseModel):
    family_id: int
    family_code: str
    case_number: str
    donors: list[ImportedDonorOut]
    profiles: int
    notes: list[str]


@operation(bp, "/familias/import", method="POST", summary="Import one pedigree of a Familias .fam file as a "
           "family (all or nothing)", tag="families", roles=(COORDINATOR, ADMIN), body=FamImportIn,
           response=FamImportOut, status=201)  # fmt: skip
def import_familias() -> Any:
    body = parse_body(FamImportIn)
    try:
        raw = base64.b64decode(body.content_base64, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValidationFailed("The file is not valid base64", [
            InputProblem(str(error), field="content_base64")]) from error
    done = familias_import.import_family(session=get_session(), raw=raw, filename=body.filename, by=current_user,
                                         family_code=body.family_code, missing=body.missing,
                                         case_number=body.case_number, pedigree=body.pedigree)
    return respond(FamImportOut, {
        "family_id": done.family.id, "family_code": done.family.code,
        "case_number": done.missing_person.case_number,
        "donors": [{"person": p, "donor_code": c, "sample": s} for p, c, s in done.donors],
        "profiles": done.profiles, "notes": done.notes}, 201)
