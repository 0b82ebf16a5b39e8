"""API: DNA profiles — list, one profile, and a file (text content in JSON) checked or imported by
the worker, never in the request: both answer 202 with the upload's url, polled for the progress,
then the check's report or what was stored, or every problem."""

from __future__ import annotations

from typing import Any, Literal

from flask import current_app
from flask_login import current_user
from pydantic import BaseModel, Field

from labtrack.db import get_session
from labtrack.services import profiles, uploads
from labtrack.web.access import ADMIN, ANALYST
from labtrack.web.api import bp
from labtrack.web.api.openapi import operation, respond
from labtrack.web.api.uploads import ImportJobOut, import_job
from labtrack.web.messages import joined_text


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
    n_profiles: int = Field(description="every profile read (the first 5,000 are listed)")
    profiles: list[CheckedProfile]
    problems: list[Problem] = Field(description="every problem (file, row, field; the first 5,000), in the "
                                    "reader's language")


class ProfileUploadOut(ImportJobOut):
    result: CheckReport | dict[str, Any] = Field(
        description="checked: the check's report (format, kit, the profiles read, every problem; nothing was "
                    "stored); imported: what was stored (import_id, n_profiles, kit, file_format); else empty")


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


def _options(body: ProfileFile, *, check_only: bool) -> dict[str, Any]:
    return {"file_format": body.format, "kit": body.kit or "", "origin": "staff" if body.staff else "",
            "single_allele": body.single_allele or "", "check_only": check_only}


def _submit(body: ProfileFile, *, check_only: bool) -> Any:
    """Keep the file and queue its check or import by the worker: 202 with the upload's url."""
    queued = uploads.submit(get_session(), kind="profiles", raw=body.content.encode("utf-8"), filename=body.filename,
                            options=_options(body, check_only=check_only), by=current_user,
                            app=current_app._get_current_object())  # type: ignore[attr-defined]
    return respond(ProfileUploadOut, _upload_answer(queued.id or 0), status=202)


def _upload_answer(upload_id: int) -> dict[str, Any]:
    """The profile upload as the API shows it; a check's result is its report (the answer the
    check gave when it ran in the request), its problems in the reader's language."""
    answer = import_job(upload_id, "profiles", "api.profile_upload")
    if answer["status"] == "checked":
        found = answer["result"]
        answer["result"] = {"format": found.get("file_format", ""), "kit": found.get("kit", ""),
                            "n_profiles": int(found.get("n_profiles", 0)), "profiles": found.get("profiles", []),
                            "problems": answer["problems"]}
    return answer


@operation(bp, "/profiles/check", method="POST", summary="Queue a file's check, store no profile (a worker reads "
           "and validates it; poll the answer's url: status checked, the profiles read and every problem as "
           "result, or refused when the file cannot be read at all)", tag="profiles", roles=(ANALYST, ADMIN),
           body=ProfileFile, response=ProfileUploadOut, status=202)  # fmt: skip
def check_profiles() -> Any:
    return _submit(_body(), check_only=True)


@operation(bp, "/profiles/import", method="POST", summary="Queue a file's import, all or nothing (a worker "
           "imports it; poll the answer's url for its progress and every problem)", tag="profiles",
           roles=(ANALYST, ADMIN), body=ProfileFile, response=ProfileUploadOut, status=202)  # fmt: skip
def import_profiles() -> Any:
    return _submit(_body(), check_only=False)


@operation(bp, "/profiles/uploads/<int:upload_id>", summary="A queued profile check or import: status, progress, "
           "the check's report or what was stored, or every problem (file, row, field)", tag="profiles",
           roles=(ANALYST, ADMIN), response=ProfileUploadOut)  # fmt: skip
def profile_upload(upload_id: int) -> Any:
    return respond(ProfileUploadOut, _upload_answer(upload_id))
