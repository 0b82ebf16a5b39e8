"""Small typed builders for tests."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from labtrack.models import ROLES, User
from labtrack.services import accounts

PASSWORD = "correct horse battery"


@dataclass
class UserWithPassword:
    user: User
    password: str

    @property
    def username(self) -> str:
        return self.user.username

    @property
    def id(self) -> int:
        assert self.user.id is not None
        return self.user.id


def make_user(db: Session, role: str, username: str | None = None) -> UserWithPassword:
    user = accounts.create_user(session=db, username=username or f"{role}1",
                                full_name=f"Test {role.title()}", role=role, password=PASSWORD,
                                by="test-setup")
    return UserWithPassword(user, PASSWORD)


def users_of_every_role(db: Session) -> dict[str, UserWithPassword]:
    return {role: make_user(db, role) for role in ROLES}
