"""Many scanning clients post custody events at once against a real server (SQLite or PostgreSQL).

Each request moves an item to a box, naming the event it saw last (``expected_previous_event_id``);
every request is sent twice (a retry with the same ``event_key``). At the end: exactly one event per
accepted request, no duplicates from retries, and every item's history is a single chain.
"""

from __future__ import annotations

import json
import random
import threading
import urllib.error
import urllib.request
from collections import Counter

from flask import Flask
from sqlmodel import Session, select

from labtrack.models import CustodyEvent, CustodyItem
from labtrack.services import accounts
from tests import factories
from tests.live_server import serve

CLIENTS = 12
REQUESTS_PER_CLIENT = 8


def _call(url: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if body is not None else "GET", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_concurrent_clients_never_duplicate_or_split_an_item(app: Flask, db: Session, users: dict) -> None:
    tech = users["technician"].user
    factories.make_site(db, tech)
    items = [factories.make_remains(db, tech).accession for _ in range(4)]
    boxes = [factories.make_box(db, tech, n).accession for n in (1, 2, 3)]
    token = accounts.issue_token(session=db, user=tech, name="stations", by="test")
    accepted: list[str] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def client(number: int, base: str) -> None:
        rng = random.Random(number)
        for n in range(REQUESTS_PER_CLIENT):
            item = rng.choice(items)
            _, state = _call(f"{base}/api/v1/custody-items/{item}", token)
            last = state["events"][-1]["id"]
            body = {"item": item, "action": "store", "to_location": rng.choice(boxes),
                    "expected_previous_event_id": last, "event_key": f"c{number}-r{n}"}
            status, answer = _call(f"{base}/api/v1/custody-events", token, body)
            retry_status, retry = _call(f"{base}/api/v1/custody-events", token, body)
            with lock:
                statuses[status] += 1
                if status == 201:
                    accepted.append(body["event_key"])
                    assert retry_status == 200 and retry["replayed"] is True
                    assert retry["events"][0]["id"] == answer["events"][0]["id"]
                else:
                    assert status == 409, answer
                    assert retry_status == 409, retry
                    assert "another station" in answer["message"] or "already at" in answer["message"]

    app.config["WTF_CSRF_ENABLED"] = True  # as in production: token clients need no CSRF token
    with serve(app) as base:
        threads = [threading.Thread(target=client, args=(n, base)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert all(not thread.is_alive() for thread in threads)
    assert sum(statuses.values()) == CLIENTS * REQUESTS_PER_CLIENT
    assert statuses[201] >= len(items)  # some requests won

    db.rollback()
    stored = db.exec(select(CustodyEvent).where(CustodyEvent.action == "store")).all()
    assert sorted(e.event_key for e in stored) == sorted(accepted)  # one event per accepted request
    for accession in items:
        item = db.exec(select(CustodyItem).where(CustodyItem.accession == accession)).one()
        chain = db.exec(select(CustodyEvent).where(CustodyEvent.item_id == item.id)
                        .order_by(CustodyEvent.id)).all()
        assert chain[0].previous_event_id is None
        assert [e.previous_event_id for e in chain[1:]] == [e.id for e in chain[:-1]]  # one line, no fork
