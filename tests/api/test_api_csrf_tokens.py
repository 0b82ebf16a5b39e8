"""With CSRF protection on (production), token-authenticated POSTs are accepted; browser sessions
without the header are not."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session

from labtrack.services import accounts

BODY = {"filename": "a.csv", "content": "sample_id,marker,allele1,allele2\nX1,TH01,6,9.3\n"}


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    return {**app_config, "WTF_CSRF_ENABLED": True}


def test_token_post_needs_no_csrf_header(client: FlaskClient, db: Session, users: dict) -> None:
    token = accounts.issue_token(session=db, user=users["analyst"].user, name="t", by="test")
    answer = client.post("/api/v1/profiles/check", json=BODY, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 202, answer.get_json()  # checked by the worker (inline in tests)
    assert answer.get_json()["result"]["profiles"] == [{"sample_id": "X1", "loci": 1, "mixture": False}]
    assert client.post("/api/v1/profiles/check", json=BODY).status_code == 401
