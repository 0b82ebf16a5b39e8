"""API: import a Familias .fam file (coordinators): one pedigree of a kinship file as a family, or
every reference family of a DVI project. The file travels base64-encoded in the JSON body; it is
kept and imported by the worker (202); the upload's url gives the progress, then the report
(families created, victims left out) as ``result``, or every problem."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import current_app
from flask_login import current_user
from pydantic import BaseModel, Field

from labtrack.core.errors import InputProblem, ValidationFailed
from labtrack.core.messages import msg
from labtrack.db import get_session
from labtrack.services import familias_import
from labtrack.web.access import ADMIN, COORDINATOR
from labtrack.web.api import bp
from labtrack.web.api.openapi import operation, parse_body, respond
from labtrack.web.api.uploads import ImportJobOut, import_job


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


@operation(bp, "/familias/import", method="POST", summary="Queue the import of a Familias .fam file: one pedigree, "
           "or every reference family of a DVI file (all or nothing; a worker imports it, poll the answer's url)",
           tag="families", roles=(COORDINATOR, ADMIN), body=FamImportIn, response=ImportJobOut,
           status=202)  # fmt: skip
def import_familias() -> Any:
    body = parse_body(FamImportIn)
    try:
        raw = base64.b64decode(body.content_base64, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValidationFailed(msg("The file is not valid base64"), [
            InputProblem(message=str(error), field="content_base64")]) from error
    queued = familias_import.submit(get_session(), raw=raw, filename=body.filename, by=current_user,
                                    family_code=body.family_code, missing=body.missing,
                                    case_number=body.case_number, pedigree=body.pedigree,
                                    app=current_app._get_current_object())  # type: ignore[attr-defined]
    return respond(ImportJobOut, import_job(queued.id or 0, familias_import.UPLOAD_KIND, "api.familias_upload"),
                   status=202)


@operation(bp, "/familias/uploads/<int:upload_id>", summary="A queued Familias import: status, progress, the "
           "families created and what was left out (result), or every problem", tag="families",
           roles=(COORDINATOR, ADMIN), response=ImportJobOut)  # fmt: skip
def familias_upload(upload_id: int) -> Any:
    return respond(ImportJobOut, import_job(upload_id, familias_import.UPLOAD_KIND, "api.familias_upload"))
