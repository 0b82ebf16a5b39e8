"""API: start a match run and follow its progress."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask import current_app
from flask_login import current_user
from pydantic import BaseModel, Field

from labtrack.core.errors import NotFound
from labtrack.core.messages import msg
from labtrack.db import get_session
from labtrack.services import jobs, lab_settings, match_runs
from labtrack.web.access import ADMIN, ANALYST
from labtrack.web.api import bp
from labtrack.web.api.openapi import operation, parse_body, respond
from labtrack.web.messages import text


class MatchRunCreate(BaseModel):
    frequency_table_id: int | None = None
    theta: float = Field(0.0, ge=0, lt=0.5)
    top_k: int = Field(5, ge=1, le=100)
    report_log10_lr: float = Field(3.0, ge=0)
    prior: float | None = Field(None, gt=0, lt=1, description="prior probability of identity; "
                                "default 1 / number of families searched")
    mutation_model: Literal["none", "equal", "proportional", "stepwise"] | None = Field(
        None, description="mutation model of every transmission; default: the lab's (stepwise)")
    mutation_rate: float | None = Field(None, ge=0, lt=1, description="per meiosis; default: the lab's")
    mutation_rate_female: float | None = Field(None, ge=0, lt=1)
    mutation_rate_male: float | None = Field(None, ge=0, lt=1)
    mutation_rate_table: str | None = Field(None, max_length=100, description="per-marker rates: the name of a "
                                            "table shipped in fixtures/mutation_rates (e.g. aabb2003_strbase) or "
                                            "none; default: the lab's")
    dropout: float | None = Field(None, ge=0, lt=1, description="drop-out probability of the remains; "
                                  "default: the lab's")
    dropin: float | None = Field(None, ge=0, lt=1, description="drop-in probability of the remains")


class MatchRunPublic(BaseModel):
    id: int
    status: str
    progress: float
    frequency_table_id: int
    params_json: str
    engine_version: str
    n_remains: int
    n_families: int
    n_matches: int
    error: str = Field(description="why the run failed, in the reader's language (Accept-Language)")
    scope_json: str = "{}"
    input_sha256: str = ""
    outcome_json: str = "{}"
    problems: list[str] = Field(default_factory=list, description="what the run skipped, to fix (families the "
                                "engine refused, candidates whose input changed), in the reader's language")
    created_at: datetime
    finished_at: datetime | None


@operation(bp, "/match-runs", method="POST", summary="Queue a blind kinship search (a worker runs it)",
           tag="matching", roles=(ANALYST, ADMIN), body=MatchRunCreate, response=MatchRunPublic, status=202)
def create_match_run() -> Any:
    body = parse_body(MatchRunCreate)
    params = lab_settings.run_parameters(
        get_session(), current_app.config, theta=body.theta, top_k=body.top_k, report_log10_lr=body.report_log10_lr,
        prior=body.prior, mutation_model=body.mutation_model, mutation_rate=body.mutation_rate,
        mutation_rate_female=body.mutation_rate_female, mutation_rate_male=body.mutation_rate_male,
        mutation_rate_table=body.mutation_rate_table, dropout=body.dropout, dropin=body.dropin)
    run = match_runs.start_run(session=get_session(), by=current_user, params=params,
                               frequency_table_id=body.frequency_table_id,
                               app=current_app._get_current_object())  # type: ignore[attr-defined]
    return respond(MatchRunPublic, _run(run.id or 0), status=202)


def _run(run_id: int) -> dict[str, Any]:
    """The run as the API shows it: its error in the reader's language."""
    run = match_runs.get_run(get_session(), run_id)
    return run.model_dump() | {"error": text(run.error_message),
                               "problems": [text(problem) for problem in match_runs.problems(run)]}


@operation(bp, "/match-runs/<int:run_id>", summary="A match run's status and progress", tag="matching",
           roles=(ANALYST, ADMIN), response=MatchRunPublic)
def get_match_run(run_id: int) -> Any:
    return respond(MatchRunPublic, _run(run_id))


@operation(bp, "/match-runs/<int:run_id>/cancel", method="POST", summary="Cancel a queued or running match run "
           "(a running one stops at its next progress step)", tag="matching", roles=(ANALYST, ADMIN),
           response=MatchRunPublic, status=202)
def cancel_match_run(run_id: int) -> Any:
    db = get_session()
    job = jobs.job_for(db, "match_run", match_runs.get_run(db, run_id).id or 0)
    if job is None:
        raise NotFound(msg("match run %(id)s has no job", id=run_id))
    jobs.request_cancel(db, job.id or 0, by=current_user)
    return respond(MatchRunPublic, _run(run_id), status=202)
