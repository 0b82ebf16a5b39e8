"""`labtrack users deactivate|reactivate|reset-password|set-role`: the same rules as the pages."""

from __future__ import annotations

from flask.testing import FlaskCliRunner
from sqlmodel import Session

from labtrack.models import User
from labtrack.services import accounts, audit


def _user(db: Session, user_id: int) -> User:
    db.rollback()  # end the read transaction: see what the command committed
    db.expire_all()
    return db.get(User, user_id)


def test_users_admin_commands(runner: FlaskCliRunner, db: Session, users: dict) -> None:
    tech = users["technician"]
    refused = runner.invoke(args=["users", "deactivate", "technician1", "--reason", " "])
    assert refused.exit_code != 0 and "a reason is required" in refused.output
    assert _user(db, tech.id).active
    done = runner.invoke(args=["users", "deactivate", "technician1", "--reason", "left the lab"])
    assert done.exit_code == 0, done.output
    assert _user(db, tech.id).active is False
    entry = audit.history(db, "user_account", str(tech.id))[-1]
    assert entry.actor == "cli" and "left the lab" in entry.reason
    listed = runner.invoke(args=["users", "list"]).output
    assert "technician1\ttechnician\tTest Technician\tdeactivated" in listed
    assert runner.invoke(args=["users", "reactivate", "technician1", "--reason", "back"]).exit_code == 0
    assert _user(db, tech.id).active

    reset = runner.invoke(args=["users", "reset-password", "technician1", "--reason", "forgot it"])
    assert reset.exit_code == 0
    temporary = reset.output.strip()
    db.rollback()
    assert accounts.authenticate(session=db, username="technician1", password=temporary).must_change_password

    assert runner.invoke(args=["users", "set-role", "technician1", "analyst", "--reason", "promoted"]).exit_code == 0
    assert _user(db, tech.id).role == "analyst"
    bad_role = runner.invoke(args=["users", "set-role", "technician1", "superuser", "--reason", "x"])
    assert bad_role.exit_code != 0 and _user(db, tech.id).role == "analyst"
    unknown = runner.invoke(args=["users", "deactivate", "nobody", "--reason", "x"])
    assert unknown.exit_code != 0 and "no user named nobody" in unknown.output
    last = runner.invoke(args=["users", "set-role", "admin1", "analyst", "--reason", "x"])
    assert last.exit_code != 0 and "last active administrator" in last.output
    assert _user(db, users["admin"].id).role == "admin"
