"""The user administration pages: deactivate/reactivate, password reset (then a forced change at
login), role change; reasons required, errors next to the field, the database and the log checked."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from labtrack.models import User
from labtrack.services import accounts, audit
from tests.conftest import login
from tests.factories import PASSWORD


def _user(db: Session, user_id: int) -> User:
    db.rollback()
    db.expire_all()
    return db.get(User, user_id)


def test_only_admins_open_user_administration_and_see_its_links(client: FlaskClient, users: dict) -> None:
    target = users["technician"].id
    for role in ("technician", "analyst", "coordinator"):
        login(client, users[role])
        assert client.get(f"/admin/users/{target}").status_code == 403
        assert client.post(f"/admin/users/{target}/status", data={"reason": "x"}).status_code == 403
        assert f"/admin/users/{target}" not in client.get("/").get_data(as_text=True)
        client.post("/logout")
    login(client, users["admin"])
    listing = client.get("/admin/users").get_data(as_text=True)
    assert f'href="/admin/users/{target}"' in listing
    page = client.get(f"/admin/users/{target}")
    assert page.status_code == 200 and "Deactivate" in page.get_data(as_text=True)
    assert client.get("/admin/users/999").status_code == 404


def test_admin_deactivates_and_reactivates_a_user(app: Flask, client: FlaskClient, db: Session, users: dict) -> None:
    tech = users["technician"]
    tech_client = app.test_client()
    login(tech_client, tech)
    login(client, users["admin"])
    refused = client.post(f"/admin/users/{tech.id}/status", data={"reason": " "})
    assert refused.status_code == 422 and "This field is required" in refused.get_data(as_text=True)
    assert _user(db, tech.id).active
    done = client.post(f"/admin/users/{tech.id}/status", data={"reason": "left the lab"}, follow_redirects=True)
    assert done.status_code == 200 and "is deactivated" in done.get_data(as_text=True)
    assert _user(db, tech.id).active is False
    assert "left the lab" in audit.history(db, "user_account", str(tech.id))[-1].reason
    assert "left the lab" in done.get_data(as_text=True)  # the history on the page
    # the technician's open session stops working, and a new login is refused
    answer = tech_client.get("/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert tech_client.post("/login", data={"username": tech.username, "password": PASSWORD}).status_code == 401
    client.post(f"/admin/users/{tech.id}/status", data={"reason": "came back"})
    assert _user(db, tech.id).active
    login(tech_client, tech)


def test_the_last_admin_cannot_deactivate_or_demote_themselves(client: FlaskClient, db: Session, users: dict) -> None:
    admin = users["admin"]
    login(client, admin)
    for url, data in ((f"/admin/users/{admin.id}/status", {"reason": "test"}),
                      (f"/admin/users/{admin.id}/role", {"role": "analyst", "reason": "test"})):
        answer = client.post(url, data=data)
        assert answer.status_code == 409
        assert "last active administrator" in answer.get_data(as_text=True)
    stored = _user(db, admin.id)
    assert (stored.active, stored.role) == (True, "admin")


def test_admin_changes_a_role(client: FlaskClient, db: Session, users: dict) -> None:
    analyst = users["analyst"]
    login(client, users["admin"])
    bad = client.post(f"/admin/users/{analyst.id}/role", data={"role": "superuser", "reason": "x"})
    assert bad.status_code == 422 and "Not a valid choice" in bad.get_data(as_text=True)
    empty = client.post(f"/admin/users/{analyst.id}/role", data={"role": "coordinator", "reason": ""})
    assert empty.status_code == 422
    same = client.post(f"/admin/users/{analyst.id}/role", data={"role": "analyst", "reason": "x"})
    assert same.status_code == 409 and "has this role already" in same.get_data(as_text=True)
    assert _user(db, analyst.id).role == "analyst"
    client.post(f"/admin/users/{analyst.id}/role", data={"role": "coordinator", "reason": "new post"})
    assert _user(db, analyst.id).role == "coordinator"
    entry = audit.history(db, "user_account", str(analyst.id))[-1]
    assert "analyst -> coordinator: new post" in entry.reason and entry.actor_id == users["admin"].id


def test_reset_password_then_the_user_must_change_it_at_login(app: Flask, client: FlaskClient, db: Session,
                                                               users: dict) -> None:
    analyst = users["analyst"]
    login(client, users["admin"])
    assert client.post(f"/admin/users/{analyst.id}/password", data={"reason": ""}).status_code == 422
    assert not _user(db, analyst.id).must_change_password
    page = client.post(f"/admin/users/{analyst.id}/password", data={"reason": "forgot it"},
                       follow_redirects=True).get_data(as_text=True)
    temporary = re.search(r"at their next login\): (\S+?)<", page).group(1)
    assert _user(db, analyst.id).must_change_password

    user_client = app.test_client()
    answer = user_client.post("/login?next=/profiles/", data={"username": analyst.username, "password": temporary})
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/password")
    blocked = user_client.get("/matching/")
    assert blocked.status_code == 302 and "/password" in blocked.headers["Location"]
    wrong = user_client.post("/password", data={"current_password": temporary, "new_password": "short",
                                                "confirm": "short"})
    assert wrong.status_code == 422 and "at least 10" in wrong.get_data(as_text=True)
    differ = user_client.post("/password", data={"current_password": temporary, "new_password": "new password 1",
                                                 "confirm": "new password 2"})
    assert differ.status_code == 422 and "The two new passwords differ." in differ.get_data(as_text=True)
    bad_current = user_client.post("/password", data={"current_password": "not it at all", "new_password":
                                                      "new password 1", "confirm": "new password 1"})
    assert bad_current.status_code == 422 and "current password is wrong" in bad_current.get_data(as_text=True)
    assert _user(db, analyst.id).must_change_password
    done = user_client.post("/password?next=/profiles/", data={"current_password": temporary,
                                                               "new_password": "new password 1",
                                                               "confirm": "new password 1"})
    assert done.status_code == 302 and done.headers["Location"] == "/profiles/"
    assert user_client.get("/matching/").status_code == 200  # still logged in, no longer redirected
    assert not _user(db, analyst.id).must_change_password
    assert accounts.authenticate(session=db, username=analyst.username, password="new password 1")


def test_user_pages_in_arabic(client: FlaskClient, users: dict) -> None:
    login(client, users["admin"])
    client.get("/language/ar")
    page = client.get(f"/admin/users/{users['analyst'].id}").get_data(as_text=True)
    assert "إعادة تعيين كلمة المرور" in page
    refused = client.post(f"/admin/users/{users['admin'].id}/status", data={"reason": "x"}).get_data(as_text=True)
    assert "آخر مدير" in refused
