"""Users, roles and machine tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from labtrack.models.base import created_at_field, in_list, timestamp_field

ROLES: tuple[str, ...] = ("technician", "analyst", "coordinator", "admin")


class User(SQLModel, table=True):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(in_list("role", ROLES), name="role"),
        CheckConstraint("failed_logins >= 0", name="failed_logins"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    full_name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    password_hash: str = Field(max_length=255)
    active: bool = Field(default=True)
    badge: str | None = Field(default=None, max_length=32, unique=True)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
    # part of the session's user id: raised at logout, so every session cookie issued before stops working
    session_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # set when an administrator resets the password: the user chooses a new one at the next login
    must_change_password: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"


class ApiToken(SQLModel, table=True):
    """A token for a machine (scanning station, integration). Only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_at_field()
    revoked_at: datetime | None = timestamp_field()
    # the role the token acts with (a scanning station's token made by an admin is a technician's);
    # None: tokens issued before roles were scoped act with their user's role
    role: str | None = Field(default=None, max_length=20)
    expires_at: datetime | None = timestamp_field()
