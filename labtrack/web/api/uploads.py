"""API: a file imported by the worker (``services.uploads``): its status, progress, outcome and
every problem (file, row, field), the texts in the reader's language. The import operations
answer 202 with this; their poll operation (``.../uploads/<id>``) answers it again until
``ended``."""

from __future__ import annotations

from typing import Any

from flask import url_for
from pydantic import BaseModel, Field

from labtrack.db import get_session
from labtrack.services import uploads
from labtrack.web.messages import problem_dict, text


class UploadProblem(BaseModel):
    file: str | None
    row: int | None
    field: str | None
    message: str


class ImportJobOut(BaseModel):
    upload_id: int
    job_id: int | None
    url: str = Field(description="where to poll this import's status (GET)")
    filename: str
    sha256: str
    status: str = Field(description="queued | running | imported | checked (a profile file only checked) | refused "
                        "| failed | cancelled")
    ended: bool
    progress: float = Field(description="0 to 1, stored by the worker as it goes")
    stage: str = Field(description="what the worker is doing, in the reader's language")
    message: str = Field(description="why the file was refused (nothing was stored), in the reader's language")
    error: str = Field(description="why the job failed or was cancelled, in the reader's language")
    n_problems: int = Field(description="every problem found (the first 5,000 are listed)")
    problems: list[UploadProblem]
    result: dict[str, Any] = Field(description="what the import stored (ids, counts), once imported")


def import_job(upload_id: int, kind: str, endpoint: str) -> dict[str, Any]:
    """The upload of ``kind`` as the API shows it; ``endpoint`` is its poll operation."""
    view = uploads.get_upload(get_session(), upload_id, kind=kind)
    job = view.job
    result = {k: v for k, v in view.result.items() if k not in ("outcome", "message", "problems", "n_problems")}
    return {"upload_id": view.upload.id, "job_id": job.id if job else None,
            "url": url_for(endpoint, upload_id=view.upload.id), "filename": view.upload.filename,
            "sha256": view.upload.sha256, "status": view.status, "ended": view.ended,
            "progress": 1.0 if view.status == "imported" else (job.progress if job else 0.0),
            "stage": text(job.stage_message) if job and not view.ended else "",
            "message": text(view.message) if view.status == "refused" else "",
            "error": text(job.error_message) if job and job.status in ("failed", "cancelled") else "",
            "n_problems": int(view.result.get("n_problems", len(view.problems))),
            "problems": [problem_dict(p) for p in view.problems], "result": result}
