"""The users administration API: admins only, a reason each, the last admin kept, the database and
the audit log checked after each call."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlmodel import Session

from labtrack.models import User
from labtrack.services import accounts, audit


def _headers(db: Session, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts.issue_token(session=db, user=user, name='t', by='test')}"}


def _user(db: Session, user_id: int) -> User:
    db.rollback()
    db.expire_all()
    return db.get(User, user_id)


def test_users_api(client: FlaskClient, db: Session, users: dict) -> None:
    admin = _headers(db, users["admin"].user)
    tech_id, analyst_id, admin_id = users["technician"].id, users["analyst"].id, users["admin"].id
    analyst_token = _headers(db, users["analyst"].user)
    assert client.get("/api/v1/users", headers=analyst_token).status_code == 403
    listed = client.get("/api/v1/users", headers=admin).get_json()
    assert {u["username"] for u in listed} == {"technician1", "analyst1", "coordinator1", "admin1"}
    assert all(u["active"] and not u["must_change_password"] for u in listed)

    assert client.post(f"/api/v1/users/{tech_id}/deactivate", json={"reason": ""}, headers=admin).status_code == 422
    assert client.post(f"/api/v1/users/{tech_id}/deactivate", json={"reason": " "}, headers=admin).status_code == 422
    assert client.post("/api/v1/users/999/deactivate", json={"reason": "r"}, headers=admin).status_code == 404
    done = client.post(f"/api/v1/users/{tech_id}/deactivate", json={"reason": "left"}, headers=admin)
    assert done.status_code == 200 and done.get_json()["active"] is False
    assert _user(db, tech_id).active is False
    assert "left" in audit.history(db, "user_account", str(tech_id))[-1].reason
    again = client.post(f"/api/v1/users/{tech_id}/deactivate", json={"reason": "left"}, headers=admin)
    assert again.status_code == 409
    assert client.post(f"/api/v1/users/{tech_id}/reactivate", json={"reason": "back"}, headers=admin).status_code == 200
    assert _user(db, tech_id).active

    last = client.post(f"/api/v1/users/{admin_id}/role", json={"role": "analyst", "reason": "r"}, headers=admin)
    assert last.status_code == 409 and "last active administrator" in last.get_json()["message"]
    bad = client.post(f"/api/v1/users/{analyst_id}/role", json={"role": "boss", "reason": "r"}, headers=admin)
    assert bad.status_code == 422 and bad.get_json()["problems"][0]["field"] == "role"
    role = client.post(f"/api/v1/users/{analyst_id}/role", json={"role": "coordinator", "reason": "moved"},
                       headers=admin)
    assert role.status_code == 200 and _user(db, analyst_id).role == "coordinator"

    reset = client.post(f"/api/v1/users/{analyst_id}/password-reset", json={"reason": "forgot"}, headers=admin)
    body = reset.get_json()
    assert reset.status_code == 200 and body["user"]["must_change_password"] is True
    db.rollback()
    assert accounts.authenticate(session=db, username="analyst1", password=body["temporary_password"])
