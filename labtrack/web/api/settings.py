"""The lab's default kinship models for match runs (read: analysts and administrators; change:
administrators, with a reason)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask import current_app
from flask_login import current_user
from pydantic import BaseModel, Field

from labtrack.db import get_session
from labtrack.services import lab_settings
from labtrack.web.access import ADMIN, ANALYST
from labtrack.web.api import bp
from labtrack.web.api.openapi import operation, parse_body, respond
from labtrack.web.messages import text

Model = Literal["none", "equal", "proportional", "stepwise"]


class KinshipDefaults(BaseModel):
    mutation_model: Model
    mutation_rate: float | None  # None when the rates are given per sex
    mutation_rate_female: float | None
    mutation_rate_male: float | None
    mutation_rate2: float
    mutation_range: float
    mutation_rate_table: str = Field(description="per-marker rates: a table shipped in fixtures/mutation_rates "
                                     "(its maternal and paternal rates at its markers), or none")
    dropout: float
    dropin: float
    near_k: int
    source: Literal["settings", "environment"] = Field(
        description="settings: chosen on the settings page; environment: LABTRACK_* variables and built-in defaults")
    described: str
    set_at: datetime | None = None
    set_by_id: int | None = None
    reason: str | None = None
    setting_id: int | None = None


class KinshipDefaultsChange(BaseModel):
    reason: str = Field(min_length=1, description="why the lab's defaults change (kept in the audit log)")
    mutation_model: Model | None = None
    mutation_rate: float | None = Field(None, ge=0, lt=1)
    mutation_rate_female: float | None = Field(None, ge=0, lt=1)
    mutation_rate_male: float | None = Field(None, ge=0, lt=1)
    mutation_rate2: float | None = Field(None, ge=0, lt=1)
    mutation_range: float | None = Field(None, gt=0, lt=1)
    mutation_rate_table: str | None = Field(None, max_length=100, description="the name of a table shipped in "
                                            "fixtures/mutation_rates (e.g. aabb2003_strbase), or none")
    dropout: float | None = Field(None, ge=0, lt=1)
    dropin: float | None = Field(None, ge=0, lt=1)
    near_k: int | None = Field(None, ge=0, le=20)


def _public() -> dict[str, Any]:
    defaults = lab_settings.current(get_session(), current_app.config)
    setting = defaults.setting
    return defaults.values | {
        "source": defaults.source, "described": text(lab_settings.describe(defaults.values)),
        "set_at": setting.set_at if setting else None, "set_by_id": setting.set_by_id if setting else None,
        "reason": setting.reason if setting else None, "setting_id": setting.id if setting else None,
    }


@operation(bp, "/settings/kinship", summary="The lab's default kinship models for match runs", tag="matching",
           roles=(ANALYST, ADMIN), response=KinshipDefaults)
def get_kinship_defaults() -> Any:
    return respond(KinshipDefaults, _public())


@operation(bp, "/settings/kinship", method="PUT", summary="Change the lab's default kinship models (fields "
           "left out keep their value); audited", tag="matching", roles=(ADMIN,), body=KinshipDefaultsChange,
           response=KinshipDefaults, endpoint="put_kinship_defaults")
def put_kinship_defaults() -> Any:
    body = parse_body(KinshipDefaultsChange)
    values = body.model_dump(exclude_unset=True, exclude_none=True, exclude={"reason"})  # null = left out
    lab_settings.change(get_session(), current_app.config, values=values, by=current_user, reason=body.reason)
    return respond(KinshipDefaults, _public())
