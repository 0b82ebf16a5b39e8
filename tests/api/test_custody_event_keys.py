"""An event key reused for a different event is refused (409) naming the stored event, never
answered "replayed" with the new event dropped."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlmodel import Session, select

from labtrack.models import CustodyEvent
from labtrack.services import accounts
from tests import factories


def test_an_event_key_reused_for_another_item_is_refused_with_the_stored_event(
        client: FlaskClient, db: Session, users: dict) -> None:
    tech = users["technician"].user
    factories.make_site(db, tech)
    first_remains, second_remains = factories.make_remains(db, tech), factories.make_remains(db, tech)
    box = factories.make_box(db, tech, 1)
    token = accounts.issue_token(session=db, user=tech, name="bench 1", by="test")
    auth = {"Authorization": f"Bearer {token}"}
    body = {"item": first_remains.accession, "action": "store", "to_location": box.accession, "event_key": "k-1"}
    first = client.post("/api/v1/custody-events", json=body, headers=auth)
    assert first.status_code == 201
    stored_id = first.get_json()["events"][0]["id"]
    reused = client.post("/api/v1/custody-events", json={**body, "item": second_remains.accession}, headers=auth)
    answer = reused.get_json()
    assert reused.status_code == 409, answer
    assert f"event key 'k-1' was used already for event #{stored_id} (store of {first_remains.accession}" \
        in answer["message"]
    assert answer["problems"][0]["field"] == "event_key"
    db.rollback()
    events = db.exec(select(CustodyEvent).where(CustodyEvent.action == "store")).all()
    assert [e.id for e in events] == [stored_id]  # the second item was not moved, nor silently dropped


def test_api_times_carry_their_zone(client: FlaskClient, db: Session, users: dict) -> None:
    tech = users["technician"].user
    factories.make_site(db, tech)
    remains, box = factories.make_remains(db, tech), factories.make_box(db, tech, 1)
    token = accounts.issue_token(session=db, user=tech, name="bench 1", by="test")
    answer = client.post("/api/v1/custody-events", headers={"Authorization": f"Bearer {token}"},
                         json={"item": remains.accession, "action": "store", "to_location": box.accession})
    at = answer.get_json()["events"][0]["at"]
    assert at.endswith("Z") or at.endswith("+00:00"), at
