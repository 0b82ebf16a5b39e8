"""API: import a Familias .fam file (coordinators): one pedigree of a kinship file as a family, or
every reference family of a DVI project, with the report (families created, victims left out);
the file travels base64-encoded in the JSON body."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask_login import current_user
from pydantic import BaseModel, Field

from labtrack.core.errors import InputProblem, ValidationFailed
from labtrack.core.messages import msg
from labtrack.db import get_session
from labtrack.services import familias_import
from labtrack.web.access import ADMIN, COORDINATOR
from labtrack.web.api import bp
from labtrack.web.api.openapi import operation, parse_body, respond


class FamImportIn(BaseModel):
    filename: str = Field(min_length=1, max_length=200)
    content_base64: str = Field(min_length=1, max_length=8_000_000, description="the .fam file, base64")
    family_code: str = Field(min_length=1, max_length=40)
    missing: str = Field(default="", max_length=100,
                         description="the missing person's name in the file (kinship files; not for a DVI file)")
    case_number: str = Field(min_length=1, max_length=32, description="existing case, or registered if new; "
                             "for a DVI file the start of each missing person's case number (-M1, -M2, ... added)")
    pedigree: str = Field(default="", max_length=100, description="pedigree of the file (empty: the first); "
                          "of a DVI file, one reference family (empty: all)")


class ImportedDonorOut(BaseModel):
    person: str
    donor_code: str
    sample: str


class ImportedFamilyOut(BaseModel):
    family_id: int
    family_code: str
    case_number: str
    missing: str = Field(description="the missing person's name in the file")
    source: str = Field(description="where in the file the family comes from")
    donors: list[ImportedDonorOut]
    notes: list[str]


class FamImportOut(BaseModel):
    family_id: int = Field(description="the first family created (all of them under families)")
    family_code: str
    case_number: str
    donors: list[ImportedDonorOut]
    profiles: int = Field(description="reference profiles stored (one per donor)")
    notes: list[str]
    dvi: bool
    families: list[ImportedFamilyOut]
    victims_left_out: list[str] = Field(description="unidentified persons of a DVI file, not imported")
    victims_left_out_reason: str
    left_out: list[str] = Field(description="other persons of the file not imported, and why")


@operation(bp, "/familias/import", method="POST", summary="Import a Familias .fam file: one pedigree, or every "
           "reference family of a DVI file (all or nothing)", tag="families", roles=(COORDINATOR, ADMIN),
           body=FamImportIn, response=FamImportOut, status=201)  # fmt: skip
def import_familias() -> Any:
    body = parse_body(FamImportIn)
    try:
        raw = base64.b64decode(body.content_base64, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValidationFailed(msg("The file is not valid base64"), [
            InputProblem(str(error), field="content_base64")]) from error
    report = familias_import.import_file(session=get_session(), raw=raw, filename=body.filename, by=current_user,
                                         family_code=body.family_code, missing=body.missing,
                                         case_number=body.case_number, pedigree=body.pedigree)
    created = [{
        "family_id": f.family.id, "family_code": f.family.code, "case_number": f.missing_person.case_number,
        "missing": f.missing, "source": f.source,
        "donors": [{"person": p, "donor_code": c, "sample": s} for p, c, s in f.donors], "notes": f.notes}
        for f in report.families]
    first = created[0]
    return respond(FamImportOut, {
        "family_id": first["family_id"], "family_code": first["family_code"], "case_number": first["case_number"],
        "donors": first["donors"], "profiles": report.profiles, "notes": report.notes if report.dvi else first["notes"],
        "dvi": report.dvi, "families": created, "victims_left_out": report.victims_left_out,
        "victims_left_out_reason": familias_import.VICTIMS_LEFT_OUT if report.victims_left_out else "",
        "left_out": [str(x) for x in report.left_out]}, 201)
