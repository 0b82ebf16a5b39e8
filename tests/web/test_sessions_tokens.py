"""Sessions end at logout and after idle time; every password check counts toward the lockout;
signature endpoints are rate-limited; tokens act with their own role, expire and can be revoked;
an unknown username costs the same one password check as a known one."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from labtrack import create_app
from labtrack.core.errors import AuthenticationFailed
from labtrack.db import create_schema, get_engine
from labtrack.models import ApiToken, User, utcnow
from labtrack.services import accounts, review
from labtrack.services.transaction import write
from tests import factories
from tests.conftest import login
from tests.factories import PASSWORD
from tests.review_factories import make_candidate


def test_a_session_cookie_copied_before_logout_no_longer_works(app: Flask, client: FlaskClient, users: dict) -> None:
    login(client, users["analyst"])
    stolen = client.get_cookie("session")
    assert stolen is not None and client.get("/").status_code == 200
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", stolen.value)
    answer = thief.get("/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_an_idle_session_is_logged_out(client: FlaskClient, users: dict) -> None:
    login(client, users["analyst"])
    with client.session_transaction() as session:
        session["seen"] -= 31 * 60
    answer = client.get("/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert "without activity" in client.get("/login").get_data(as_text=True)


def test_wrong_signature_passwords_lock_the_account(db: Session, client: FlaskClient) -> None:
    first = factories.make_user(db, "analyst", "sig1")
    candidate = make_candidate(db, first.user)
    for _ in range(accounts.MAX_FAILURES):
        with pytest.raises(AuthenticationFailed, match="not correct"):
            review.propose(session=db, match_id=candidate.match.id, by=first.user, decision="confirm",
                           reason="consistent", password="not the password")
    db.expire_all()
    assert accounts.is_locked(db.get(User, first.id))
    with pytest.raises(AuthenticationFailed, match="locked"):  # even the right password now
        review.propose(session=db, match_id=candidate.match.id, by=first.user, decision="confirm",
                       reason="consistent", password=PASSWORD)
    refused = client.post("/login", data={"username": "sig1", "password": PASSWORD})
    assert refused.status_code == 401 and "locked" in refused.get_data(as_text=True)


def test_signature_endpoints_are_rate_limited(app_config: dict) -> None:
    app = create_app({**app_config, "RATELIMIT_ENABLED": True, "SIGNATURE_RATE_LIMIT": "2 per minute",
                      "LOGIN_RATE_LIMIT": "100 per minute"})
    create_schema(get_engine(app))
    with Session(get_engine(app), expire_on_commit=False) as db:
        analyst = factories.make_user(db, "analyst", "rate1")
        match_id = make_candidate(db, analyst.user).match.id
    client = app.test_client()
    assert client.post("/login", data={"username": "rate1", "password": PASSWORD}).status_code == 302
    codes = [client.post(f"/review/matches/{match_id}/propose",
                         data={"decision": "confirm", "reason": "x", "password": "wrong"}).status_code
             for _ in range(3)]
    assert codes[-1] == 429 and 429 not in codes[:2]
    get_engine(app).dispose()


def _me(client: FlaskClient, token: str) -> tuple[int, dict]:
    answer = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    return answer.status_code, answer.get_json() or {}


def test_a_station_token_made_by_an_admin_acts_as_a_technician(app: Flask, client: FlaskClient, login_as,
                                                               db: Session, users: dict) -> None:
    login_as("admin")
    answer = client.post("/admin/tokens", data={"name": "bench 2", "role": "technician", "days": "30"})
    assert answer.status_code == 302
    page = client.get("/admin/users").get_data(as_text=True)
    match = re.search(r"lt_[\w-]+", page)
    assert match is not None and "bench 2" in page
    assert "lt_" not in client.get("/admin/users").get_data(as_text=True)  # shown once
    row = db.exec(ApiToken.__table__.select()).mappings().all()  # type: ignore[attr-defined]
    assert [r["role"] for r in row] == ["technician"]
    station, machine = match.group(0), app.test_client()  # the station sends no cookie, only the token
    status, me = _me(machine, station)
    assert status == 200 and me["role"] == "technician" and me["username"] == users["admin"].username
    admin_page = machine.get("/admin/users", headers={"Authorization": f"Bearer {station}"})
    assert admin_page.status_code == 403
    with pytest.raises(Exception, match="cannot act as admin"):
        accounts.issue_token(session=db, user=users["technician"].user, name="x", by="test", role="admin")


def test_tokens_expire_and_can_be_revoked(app: Flask, client: FlaskClient, login_as, db: Session, users: dict) -> None:
    token = accounts.issue_token(session=db, user=users["technician"].user, name="bench 4", by="test", days=1)
    assert _me(client, token)[0] == 200
    row = db.exec(ApiToken.__table__.select()).mappings().first()  # type: ignore[attr-defined]
    stored = db.get(ApiToken, row["id"])
    with write(db, actor="test"):
        stored.expires_at = utcnow() - timedelta(minutes=1)
        db.add(stored)
    assert _me(client, token)[0] == 401
    fresh = accounts.issue_token(session=db, user=users["technician"].user, name="bench 5", by="test")
    assert _me(client, fresh)[0] == 200
    fresh_id = max(t.id for t, _owner in accounts.list_tokens(db))
    login_as("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "bench 4" in page and "expired" in page
    assert client.post(f"/admin/tokens/{fresh_id}/revoke").status_code == 302
    assert _me(app.test_client(), fresh)[0] == 401
    db.rollback()  # end the test session's read snapshot
    assert accounts.list_tokens(db)[-1][0].revoked_at is not None


def test_an_unknown_username_costs_one_password_check_like_a_known_one(db: Session, users: dict,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_check, real_hash = accounts.check_password_hash, accounts.generate_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: calls.append("check") or real_check(h, p))
    monkeypatch.setattr(accounts, "generate_password_hash", lambda p: calls.append("hash") or real_hash(p))
    accounts._dummy_hash()
    calls.clear()
    for username in ("nobody-at-all", users["analyst"].username):
        with pytest.raises(AuthenticationFailed, match="Wrong username or password"):
            accounts.authenticate(session=db, username=username, password="not the password")
    assert calls == ["check", "check"]


def test_tokens_from_the_command_line(runner, users: dict) -> None:
    made = runner.invoke(args=["users", "token", users["admin"].username, "--name", "bench 9",
                               "--role", "technician", "--days", "7"])
    assert made.exit_code == 0 and made.output.startswith("lt_")
    listed = runner.invoke(args=["users", "tokens"]).output
    assert "bench 9" in listed and "technician" in listed and "active" in listed
    token_id = listed.split("\t")[0]
    assert "revoked" in runner.invoke(args=["users", "revoke-token", token_id]).output
    assert "revoked" in runner.invoke(args=["users", "tokens"]).output
    refused = runner.invoke(args=["users", "token", users["technician"].username, "--name", "x", "--role", "admin"])
    assert refused.exit_code != 0 and "cannot act as admin" in refused.output


def test_the_lab_lockout_policy_applies_to_signatures_on_the_web(app_config: dict) -> None:
    app = create_app({**app_config, "LOGIN_MAX_FAILURES": 2})
    create_schema(get_engine(app))
    with Session(get_engine(app), expire_on_commit=False) as db:
        analyst = factories.make_user(db, "analyst", "policy1")
        match_id = make_candidate(db, analyst.user).match.id
        user_id = analyst.id
    client = app.test_client()
    assert client.post("/login", data={"username": "policy1", "password": PASSWORD}).status_code == 302
    for _ in range(2):
        client.post(f"/review/matches/{match_id}/propose", data={"decision": "confirm", "reason": "x",
                                                                 "password": "wrong"})
    with Session(get_engine(app)) as db:
        assert accounts.is_locked(db.get(User, user_id))  # after 2 (the lab's setting), not the default 5
    get_engine(app).dispose()
