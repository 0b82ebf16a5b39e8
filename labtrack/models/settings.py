"""The lab's settings, kept as a history: each change is a new row (append-only) that names the
row it replaces; the newest row is in force."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from labtrack.models.base import created_at_field


class LabMatchSetting(SQLModel, table=True):
    """The lab's default kinship models for match runs (mutation model and rates, drop-out and
    drop-in of the remains, near misses kept), as chosen by an administrator with a reason.

    values_json : the chosen `MatchParameters` fields (see `services.lab_settings.SETTING_FIELDS`)
    supersedes_id : the setting this one replaced (None for the first)
    """

    __tablename__ = "lab_match_setting"

    id: int | None = Field(default=None, primary_key=True)
    values_json: str = Field(default="{}")
    reason: str = Field(default="")
    set_by_id: int = Field(foreign_key="user_account.id")
    supersedes_id: int | None = Field(default=None, foreign_key="lab_match_setting.id")
    set_at: datetime = created_at_field()
