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
