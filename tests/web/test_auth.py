"""Login, logout, throttling, CSRF, cookies, language switch."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from labtrack import create_app
from labtrack.db import create_schema, get_engine
from labtrack.models import AuditEntry, User
from tests.factories import PASSWORD, make_user


def test_login_with_right_password_then_logout(client: FlaskClient, users: dict) -> None:
    response = client.post("/login", data={"username": "analyst1", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and "Test Analyst" in home.get_data(as_text=True)
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_with_a_clear_message(client: FlaskClient, users: dict, db: Session) -> None:
    response = client.post("/login", data={"username": "analyst1", "password": "nope-nope-nope"})
    assert response.status_code == 401
    assert "Wrong username or password" in response.get_data(as_text=True)
    user = db.exec(select(User).where(User.username == "analyst1")).one()
    db.refresh(user)
    assert user.failed_logins == 1


def test_unknown_user_gets_the_same_message(client: FlaskClient, users: dict) -> None:
    response = client.post("/login", data={"username": "ghost", "password": "whatever-123"})
    assert response.status_code == 401
    assert "Wrong username or password" in response.get_data(as_text=True)


def test_missing_fields_show_field_errors_not_500(client: FlaskClient) -> None:
    response = client.post("/login", data={})
    assert response.status_code == 200
    assert "This field is required" in response.get_data(as_text=True)


def test_account_locks_after_repeated_failures(client: FlaskClient, users: dict) -> None:
    for _ in range(5):
        client.post("/login", data={"username": "technician1", "password": "wrong-password"})
    response = client.post("/login", data={"username": "technician1", "password": PASSWORD})
    assert response.status_code == 401
    assert "locked" in response.get_data(as_text=True)


def test_login_rate_limit_per_address(app_config: dict) -> None:
    app = create_app({**app_config, "RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"})
    create_schema(get_engine(app))
    client = app.test_client()
    codes = [client.post("/login", data={"username": "x", "password": "y"}).status_code for _ in range(4)]
    assert codes[-1] == 429
    get_engine(app).dispose()


def test_csrf_is_required_on_forms(app_config: dict, db: Session) -> None:
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    make_user(db, "admin")
    response = client.post("/login", data={"username": "admin1", "password": PASSWORD})
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    ok = client.post("/login", data={"username": "admin1", "password": PASSWORD, "csrf_token": token})
    assert ok.status_code == 302


def test_session_cookie_is_httponly_and_secure_by_default(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("LABTRACK_ENV", raising=False)
    monkeypatch.setenv("LABTRACK_INSTANCE_PATH", str(tmp_path))
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/c.sqlite"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert len(app.config["SECRET_KEY"]) >= 40
    # the generated secret is kept, not regenerated
    again = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/c.sqlite"})
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_arabic_switch_renders_right_to_left(client: FlaskClient, users: dict) -> None:
    client.post("/login", data={"username": "coordinator1", "password": PASSWORD})
    client.get("/language/ar")
    page = client.get("/").get_data(as_text=True)
    assert 'dir="rtl"' in page and 'lang="ar"' in page
    assert "المواقع" in page or "الرئيسية" in page
    client.get("/language/en")
    assert 'dir="ltr"' in client.get("/").get_data(as_text=True)


def test_unmigrated_database_gets_a_clear_503(app_config: dict, tmp_path) -> None:
    app = create_app({**app_config, "DATABASE_URL": f"sqlite:///{tmp_path}/empty.sqlite"})
    response = app.test_client().get("/login")
    assert response.status_code == 503
    assert "labtrack db upgrade" in response.get_data(as_text=True)


def test_user_creation_is_audited(app: Flask, db: Session) -> None:
    make_user(db, "coordinator")
    entry = db.exec(select(AuditEntry).where(AuditEntry.entity_type == "user_account")).one()
    assert entry.action == "create" and entry.actor == "test-setup"
    assert '"username":"coordinator1"' in entry.after_json
    assert "scrypt" not in entry.after_json
