"""Deactivating, reactivating, resetting a password and changing a role: reasons, the audit log, the
last administrator, sessions and tokens."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from labtrack.core.errors import AuthenticationFailed, Conflict, NotFound, ValidationFailed
from labtrack.models import ApiToken, User
from labtrack.services import accounts, audit
from tests.factories import PASSWORD, make_user


def _fresh(db: Session, user_id: int) -> User:
    db.expire_all()
    return db.get(User, user_id)


def test_deactivation_ends_sessions_revokes_tokens_and_is_audited(db: Session, users: dict) -> None:
    tech = users["technician"]
    token = accounts.issue_token(session=db, user=tech.user, name="bench", by="test")
    cookie_id = _fresh(db, tech.id).get_id()
    assert accounts.user_for_session(db, cookie_id) is not None
    accounts.deactivate(session=db, user_id=tech.id, by=users["admin"].user, reason="left the lab")
    stored = _fresh(db, tech.id)
    assert stored.active is False
    assert accounts.user_for_session(db, cookie_id) is None
    assert accounts.user_for_token(db, token) is None
    assert all(t.revoked_at is not None for t in db.exec(select(ApiToken).where(ApiToken.user_id == tech.id)))
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(session=db, username=tech.username, password=PASSWORD)
    entry = [e for e in audit.history(db, "user_account", str(tech.id)) if "deactivated" in e.reason][-1]
    assert "left the lab" in entry.reason and entry.actor_id == users["admin"].id
    assert (json.loads(entry.before_json)["active"], json.loads(entry.after_json)["active"]) == (True, False)
    # reactivated: logs in again, old token stays revoked
    accounts.reactivate(session=db, user_id=tech.id, by=users["admin"].user, reason="back from leave")
    assert accounts.authenticate(session=db, username=tech.username, password=PASSWORD).id == tech.id
    assert accounts.user_for_token(db, token) is None
    assert audit.verify_chain(db).ok


def test_reason_is_required_and_nothing_changes_without_it(db: Session, users: dict) -> None:
    tech = users["technician"]
    before = len(audit.history(db, "user_account", str(tech.id)))
    for call in (lambda: accounts.deactivate(session=db, user_id=tech.id, by="t", reason="  "),
                 lambda: accounts.reset_password(session=db, user_id=tech.id, by="t", reason=""),
                 lambda: accounts.change_role(session=db, user_id=tech.id, role="analyst", by="t", reason=" ")):
        with pytest.raises(ValidationFailed) as error:
            call()
        assert "reason" in {p.field for p in error.value.problems}
    stored = _fresh(db, tech.id)
    assert (stored.active, stored.role, stored.must_change_password) == (True, "technician", False)
    assert len(audit.history(db, "user_account", str(tech.id))) == before


def test_unknown_user_and_invalid_role(db: Session, users: dict) -> None:
    with pytest.raises(NotFound):
        accounts.deactivate(session=db, user_id=999, by="t", reason="r")
    with pytest.raises(ValidationFailed) as error:
        accounts.change_role(session=db, user_id=users["analyst"].id, role="superuser", by="t", reason="r")
    assert error.value.problems[0].field == "role"
    assert _fresh(db, users["analyst"].id).role == "analyst"


def test_the_last_active_admin_cannot_be_deactivated_or_demoted(db: Session, users: dict) -> None:
    admin = users["admin"]
    with pytest.raises(Conflict, match="last active administrator"):
        accounts.deactivate(session=db, user_id=admin.id, by=admin.user, reason="r")
    with pytest.raises(Conflict, match="last active administrator"):
        accounts.change_role(session=db, user_id=admin.id, role="analyst", by=admin.user, reason="r")
    assert (_fresh(db, admin.id).active, _fresh(db, admin.id).role) == (True, "admin")
    # a deactivated second admin does not count
    second = make_user(db, "admin", "admin2")
    accounts.deactivate(session=db, user_id=second.id, by=admin.user, reason="r")
    with pytest.raises(Conflict):
        accounts.change_role(session=db, user_id=admin.id, role="analyst", by=admin.user, reason="r")
    accounts.reactivate(session=db, user_id=second.id, by=admin.user, reason="r")
    accounts.change_role(session=db, user_id=admin.id, role="analyst", by=admin.user, reason="handover")
    assert _fresh(db, admin.id).role == "analyst"


def test_a_demoted_admins_tokens_of_other_roles_are_revoked(db: Session, users: dict) -> None:
    make_user(db, "admin", "admin2")
    admin = users["admin"]
    as_admin = accounts.issue_token(session=db, user=admin.user, name="admin token", by="t")
    as_tech = accounts.issue_token(session=db, user=admin.user, name="station", by="t", role="technician")
    accounts.change_role(session=db, user_id=admin.id, role="technician", by="t", reason="moved to the bench")
    assert accounts.user_for_token(db, as_admin) is None
    acting = accounts.user_for_token(db, as_tech)
    assert acting is not None and acting.role == "technician"


def test_reset_password_gives_a_temporary_password_to_change(db: Session, users: dict) -> None:
    analyst = users["analyst"]
    old_cookie = _fresh(db, analyst.id).get_id()
    temporary = accounts.reset_password(session=db, user_id=analyst.id, by=users["admin"].user, reason="forgot it")
    assert len(temporary) >= accounts.MIN_PASSWORD_LENGTH
    assert accounts.user_for_session(db, old_cookie) is None
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(session=db, username=analyst.username, password=PASSWORD)
    user = accounts.authenticate(session=db, username=analyst.username, password=temporary)
    assert user.must_change_password
    entry = [e for e in audit.history(db, "user_account", str(analyst.id)) if "password of" in e.reason][-1]
    assert "forgot it" in entry.reason and temporary not in entry.after_json
    assert json.loads(entry.after_json)["password_hash"].startswith("***")
    with pytest.raises(ValidationFailed) as error:
        accounts.change_own_password(session=db, user=user, current=temporary, new="short")
    assert error.value.problems[0].field == "new_password"
    with pytest.raises(ValidationFailed) as error:
        accounts.change_own_password(session=db, user=user, current="wrong one!!", new="a brand new password")
    assert error.value.problems[0].field == "current_password"
    accounts.change_own_password(session=db, user=user, current=temporary, new="a brand new password")
    assert not _fresh(db, analyst.id).must_change_password
    assert accounts.authenticate(session=db, username=analyst.username, password="a brand new password")
