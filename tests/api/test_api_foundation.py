"""API skeleton: OpenAPI document, token auth, role checks, JSON errors."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlmodel import Session

from labtrack.services import accounts


def test_openapi_document_lists_operations_with_roles(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    me = document["paths"]["/api/v1/me"]["get"]
    assert set(me["x-roles"]) == {"technician", "analyst", "coordinator", "admin"}
    assert me["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Me"
    assert "Error" in document["components"]["schemas"]


def test_token_authentication(client: FlaskClient, db: Session, users: dict) -> None:
    token = accounts.issue_token(session=db, user=users["technician"].user, name="bench 1", by="test")
    answer = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert answer.get_json()["username"] == "technician1"
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_unauthenticated_api_call_gets_json_error(client: FlaskClient) -> None:
    answer = client.get("/api/v1/overview")
    assert answer.status_code == 401
    body = answer.get_json()
    assert set(body) == {"error", "message", "problems"}


def test_unknown_api_path_is_json_404(client: FlaskClient) -> None:
    answer = client.get("/api/v1/nothing-here")
    assert answer.status_code == 404 and answer.get_json()["error"] == "not_found"


def test_overview_counts(client: FlaskClient, db: Session, users: dict) -> None:
    token = accounts.issue_token(session=db, user=users["analyst"].user, name="t", by="test")
    body = client.get("/api/v1/overview", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["sites"] == 0 and "identifications" in body


def test_browser_session_needs_csrf_header_for_unsafe_api_calls(app_config: dict, db: Session) -> None:
    from labtrack import create_app
    from tests.factories import PASSWORD, make_user

    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    make_user(db, "analyst")
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post("/login", data={"username": "analyst1", "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    token = client.get("/").get_data(as_text=True).split('name="csrf-token" content="')[1].split('"')[0]
    refused = client.post("/api/v1/match-runs", json={})
    assert refused.status_code == 400 and "X-CSRFToken" in refused.get_json()["message"]
    accepted = client.post("/api/v1/match-runs", json={"top_k": 0}, headers={"X-CSRFToken": token})
    assert accepted.status_code == 422  # past the CSRF check, refused by validation
    assert accepted.get_json()["problems"][0]["field"] == "top_k"
