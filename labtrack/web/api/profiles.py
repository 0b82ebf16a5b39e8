"""API: DNA profiles — list, one profile, check a file, or queue its import by the worker (text
content in JSON; the import's progress and problems are polled)."""

from __future__ import annotations

from typing import Any, Literal

from flask import current_app
from flask_login import current_user
from pydantic import BaseModel, Field

from labtrack.core.errors import ValidationFailed
from labtrack.core.messages import message_of, msg
from labtrack.db import get_session
from labtrack.imports.profiles import UnreadableFile
from labtrack.services import profile_import, profiles, uploads
from labtrack.web.access import ADMIN, ANALYST
from labtrack.web.api import bp
from labtrack.web.api.openapi import operation, respond
from labtrack.web.api.uploads import ImportJobOut, import_job
from labtrack.web.messages import joined_text, problem_dict


class ProfilePublic(BaseModel):
    id: int
    owner: str
    origin: str
    version: int
    kit: str
    is_mixture: bool
    n_autosomal_loci: int
    searchable: bool
    superseded: bool
    qc_notes: str


class AllelePublic(BaseModel):
    locus: str
    allele1: str
    allele2: str
    extra_alleles: str


class ProfileDetail(ProfilePublic):
    alleles: list[AllelePublic]


class ProfileFile(BaseModel):
    filename: str = Field(min_length=1, max_length=255)
    content: str = Field(min_length=1, description="The file's text (CSV, GeneMapper export or CMF XML)")
    format: Literal["auto", "long", "genemapper", "cmf"] = "auto"
    kit: str | None = None
    staff: bool = False
    single_allele: Literal["one-seen", "homozygote"] | None = Field(
        None, description="how a single peak is read; default: remains one allele seen, references homozygote")


class CheckedProfile(BaseModel):
    sample_id: str
    loci: int
    mixture: bool


class Problem(BaseModel):
    file: str | None
    row: int | None
    field: str | None
    message: str


class CheckReport(BaseModel):
    format: str
    kit: str
    profiles: list[CheckedProfile]
    problems: list[Problem]


def _public(row: profiles.ProfileRow) -> dict[str, Any]:
    return {**row.profile.model_dump(), "owner": row.owner,
            "qc_notes": joined_text(row.profile.qc_remarks)}  # in the reader's language


@operation(bp, "/profiles", summary="Current profiles (latest 500)", tag="profiles",
           roles=(ANALYST, ADMIN), response=ProfilePublic, many=True)
def list_profiles() -> Any:
    return respond(ProfilePublic, [_public(r) for r in profiles.list_profiles(get_session())])


@operation(bp, "/profiles/<int:profile_id>", summary="One profile with its alleles", tag="profiles",
           roles=(ANALYST, ADMIN), response=ProfileDetail)
def get_profile(profile_id: int) -> Any:
    row, alleles = profiles.get_profile(get_session(), profile_id)
    return respond(ProfileDetail, {**_public(row), "alleles": [a.model_dump() for a in alleles]})


def _body() -> ProfileFile:
    from labtrack.web.api.openapi import parse_body

    return parse_body(ProfileFile)


@operation(bp, "/profiles/check", method="POST", summary="Read and validate a file, store nothing",
           tag="profiles", roles=(ANALYST, ADMIN), body=ProfileFile, response=CheckReport)
def check_profiles() -> Any:
    body = _body()
    try:
        parsed = profile_import.check_file(body.content.encode("utf-8"), filename=body.filename,
                                           file_format=body.format, kit=body.kit)
    except UnreadableFile as error:
        raise ValidationFailed(msg("%(file)s: %(problem)s", file=body.filename, problem=message_of(error))) from error
    report = parsed.report()
    report["problems"] = [problem_dict(problem) for problem in parsed.problems]  # in the reader's language
    return respond(CheckReport, report)


@operation(bp, "/profiles/import", method="POST", summary="Queue a file's import, all or nothing (a worker "
           "imports it; poll the answer's url for its progress and every problem)", tag="profiles",
           roles=(ANALYST, ADMIN), body=ProfileFile, response=ImportJobOut, status=202)  # fmt: skip
def import_profiles() -> Any:
    body = _body()
    options = {"file_format": body.format, "kit": body.kit or "", "origin": "staff" if body.staff else "",
               "single_allele": body.single_allele or "", "check_only": False}
    queued = uploads.submit(get_session(), kind="profiles", raw=body.content.encode("utf-8"), filename=body.filename,
                            options=options, by=current_user,
                            app=current_app._get_current_object())  # type: ignore[attr-defined]
    return respond(ImportJobOut, import_job(queued.id or 0, "profiles", "api.profile_upload"), status=202)


@operation(bp, "/profiles/uploads/<int:upload_id>", summary="A queued profile import: status, progress, what "
           "was stored, or every problem (file, row, field)", tag="profiles", roles=(ANALYST, ADMIN),
           response=ImportJobOut)  # fmt: skip
def profile_upload(upload_id: int) -> Any:
    return respond(ImportJobOut, import_job(upload_id, "profiles", "api.profile_upload"))
