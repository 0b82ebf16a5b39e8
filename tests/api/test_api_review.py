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
    listed = client.get("/api/v1/review/matches", headers=h1).get_json()
    rows = listed["items"]
    assert [r["match_id"] for r in rows] == [c.match.id] and rows[0]["status"] == "open"
    assert listed["total"] == 1 and listed["next"] is None
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


def test_the_queue_api_pages_by_cursor_with_the_total(client: FlaskClient, db: Session, users: dict) -> None:
    """No cap: every candidate is reached by following the ``next`` links, strongest first, each
    page with the total of the filtered queue; bad parameters are refused with their name."""
    from tests.review_factories import make_family, make_match, make_remains, make_run, make_site

    first = users["analyst"]
    site, other_site = make_site(db, "QTF"), make_site(db, "NJH")
    run = make_run(db, first.user)
    lrs = [7.0, 5.0, 7.0, 9.5, 3.0, 7.0, 4.0]  # ties: the match id decides (the later first)
    made = [make_match(db, run=run, remains=make_remains(db, site if n < 5 else other_site), family=make_family(db),
                       log10_lr=lr) for n, lr in enumerate(lrs)]
    h = _token(db, first)
    expected = [m.id for m in sorted(made, key=lambda m: (m.log10_lr, m.id), reverse=True)]
    seen, url, pages = [], "/api/v1/review/matches?limit=3", 0
    while url:
        answer = client.get(url, headers=h)
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        assert body["total"] == len(made) and body["limit"] == 3 and len(body["items"]) <= 3
        seen += [r["match_id"] for r in body["items"]]
        url, pages = body["next"], pages + 1
    assert seen == expected and pages == 3
    one_site = client.get(f"/api/v1/review/matches?site={other_site.id}&limit=1", headers=h).get_json()
    assert one_site["total"] == 2 and [r["site_code"] for r in one_site["items"]] == ["NJH"]
    assert f"site={other_site.id}" in one_site["next"] and "cursor=" in one_site["next"]
    rest = client.get(one_site["next"], headers=h).get_json()
    assert [r["match_id"] for r in rest["items"]] == [m for m in expected if m in {made[5].id, made[6].id}][1:]
    assert rest["next"] is None
    strong = client.get("/api/v1/review/matches?strength=very_strong", headers=h).get_json()
    assert strong["total"] == 2 and {r["log10_lr"] for r in strong["items"]} == {5.0, 4.0}
    assert client.get("/api/v1/review/matches?site=99999", headers=h).get_json() == {
        "items": [], "total": 0, "limit": 100, "next": None}
    for bad, field in (("limit=0", "limit"), ("limit=501", "limit"), ("limit=x", "limit"), ("status=maybe", "status"),
                       ("cursor=not-a-cursor", "cursor"), ("cursor=WzEsMl0", None), ("site=-1", "site")):
        answer = client.get(f"/api/v1/review/matches?{bad}", headers=h)
        if field is None:  # a well-formed cursor of no row: the rows after it
            assert answer.status_code == 200
            continue
        assert answer.status_code == 422, (bad, answer.get_json())
        assert field in {p["field"] for p in answer.get_json()["problems"]}
    documented = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/review/matches"]["get"]
    assert {p["name"] for p in documented["parameters"]} >= {"limit", "cursor", "site", "status", "strength"}
    schema = documented["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/QueuePageOut"}
