"""The state of a worker job as the API shows it (stage and error in the reader's language)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from labtrack.models import Job
from labtrack.web.messages import text


class JobOut(BaseModel):
    id: int
    kind: str
    status: str
    progress: float
    stage: str = Field(description="what the job is doing, in the reader's language (Accept-Language)")
    error: str = Field(description="why it failed or was cancelled, in the reader's language")


def job_state(job: Job | None) -> dict[str, Any] | None:
    if job is None:
        return None
    return {"id": job.id, "kind": job.kind, "status": job.status, "progress": job.progress,
            "stage": text(job.stage_message), "error": text(job.error_message)}
