"""API of review: queue, blind evidence, four-eyes steps with refusals as JSON errors."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlmodel import Session

from labtrack.services import accounts
from tests import factories
from tests.factories import PASSWORD
from tests.review_factories import make_candidate


def _token(db: Session, user: factories.UserWithPassword) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts.issue_token(session=db, user=user.user, name='t', by='test')}"}


def test_review_through_the_api(client: FlaskClient, db: Session, users: dict) -> None:
    first, second = users["analyst"], factories.make_user(db, "analyst", "analyst2")
    c = make_candidate(db, first.user)
    h1, h2 = _token(db, first), _token(db, second)
    rows = client.get("/api/v1/review/matches", headers=h1).get_json()
    assert [r["match_id"] for r in rows] == [c.match.id] and rows[0]["status"] == "open"
    evidence = client.get(f"/api/v1/review/matches/{c.match.id}", headers=h1).get_json()
    assert evidence["loci"][2]["inconsistent"] is True and evidence["contradictions"] == []
    assert "name" not in str(evidence).lower()
    url = f"/api/v1/review/matches/{c.match.id}"
    bad = client.post(f"{url}/propose", json={"decision": "maybe", "reason": "", "password": ""}, headers=h1)
    assert bad.status_code == 422 and {p["field"] for p in bad.get_json()["problems"]} >= {"decision", "reason"}
    wrong = client.post(f"{url}/propose", json={"decision": "confirm", "reason": "ok", "password": "x"}, headers=h1)
    assert wrong.status_code == 401 and "password is not correct" in wrong.get_json()["message"]
    ok = client.post(f"{url}/propose", json={"decision": "confirm", "reason": "ok", "password": PASSWORD}, headers=h1)
    assert ok.status_code == 201 and ok.get_json()["step"] == "propose_confirm"
    own = client.post(f"{url}/approve", json={"password": PASSWORD}, headers=h1)
    assert own.status_code == 403 and own.get_json()["error"] == "PermissionDenied"
    approved = client.post(f"{url}/approve", json={"password": PASSWORD}, headers=h2)
    assert approved.status_code == 201 and approved.get_json()["identification_id"] is not None
    assert client.get(url, headers=_token(db, users["technician"])).status_code == 403


def test_csrf_applies_to_browser_sessions_not_tokens(app, client: FlaskClient, db: Session, users: dict) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    c = make_candidate(db, users["analyst"].user)
    url = f"/api/v1/review/matches/{c.match.id}/send-back"
    by_token = client.post(url, json={"reason": "x"}, headers=_token(db, users["analyst"]))
    assert by_token.status_code == 409  # reached the service: nothing to send back
    app.config["WTF_CSRF_ENABLED"] = False
    from tests.conftest import login

    login(client, users["analyst"])
    app.config["WTF_CSRF_ENABLED"] = True
    by_session = client.post(url, json={"reason": "x"})
    assert by_session.status_code == 400 and "X-CSRFToken" in by_session.get_json()["message"]


def test_retraction_through_the_api(client: FlaskClient, db: Session, users: dict) -> None:
    from labtrack.models import Identification, MissingPerson
    from labtrack.services import review

    first, second = users["analyst"], factories.make_user(db, "analyst", "analyst2")
    c = make_candidate(db, first.user)
    review.propose(session=db, match_id=c.match.id, by=first.user, decision="confirm", reason="ok",
                   password=PASSWORD)
    ident = review.approve(session=db, match_id=c.match.id, by=second.user, password=PASSWORD).identification
    url = f"/api/v1/identifications/{ident.id}/retraction"
    h1 = _token(db, first)
    assert client.post(url, json={"reason": "mix-up", "password": PASSWORD},
                       headers=_token(db, users["coordinator"])).status_code == 403
    empty = client.post(url, json={"reason": "", "password": PASSWORD}, headers=h1)
    assert empty.status_code == 422 and [p["field"] for p in empty.get_json()["problems"]] == ["reason"]
    unproposed = client.post(url, json={"reason": "mix-up", "password": PASSWORD}, headers=h1)
    assert unproposed.status_code == 409 and "needs two analysts" in unproposed.get_json()["message"]
    h2 = _token(db, second)
    wrong = client.post(f"{url}-proposal", json={"reason": "mix-up", "password": "x"}, headers=h2)
    assert wrong.status_code == 401
    proposed = client.post(f"{url}-proposal", json={"reason": "mix-up", "password": PASSWORD}, headers=h2)
    assert proposed.status_code == 201 and proposed.get_json()["by_user_id"] == second.id
    own = client.post(url, json={"reason": "mine", "password": PASSWORD}, headers=h2)
    assert own.status_code == 409 and "a second analyst must approve it" in own.get_json()["message"]
    done = client.post(url, json={"reason": "mix-up at the bench", "password": PASSWORD}, headers=h1)
    assert done.status_code == 201, done.get_json()
    body = done.get_json()
    assert body["retraction"] is True and body["retracts_id"] == ident.id and body["reason"] == "mix-up at the bench"
    again = client.post(url, json={"reason": "twice", "password": PASSWORD}, headers=h1)
    assert again.status_code == 409 and "retracted already" in again.get_json()["message"]
    missing = client.post("/api/v1/identifications/9999/retraction", json={"reason": "x", "password": PASSWORD},
                          headers=h1)
    assert missing.status_code == 404
    db.rollback()
    db.expire_all()
    assert db.get(MissingPerson, c.family.missing_person.id).status == "missing"
    assert len(db.exec(Identification.__table__.select()).all()) == 2  # type: ignore[attr-defined]
