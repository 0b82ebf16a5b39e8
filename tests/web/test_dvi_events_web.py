"""Closed events on the web: a coordinator defines the event, an analyst runs the joint DVI
(JOBS_INLINE runs the worker job in the request), the page shows the joint assignments,
pairing probabilities, pairwise LRs and conclusions with their thresholds, and an
identification proposed there needs a second analyst (four eyes)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from labtrack.models import DviEvent, DviEventRemains, DviProposal, DviReview, Identification, MissingPerson, Remains
from labtrack.services import demo
from tests import factories
from tests.conftest import login


@pytest.fixture
def demo_db(db: Session) -> Session:
    demo.load_demo(db)
    return db


def _acc(db: Session, prefix: str) -> str:
    return db.exec(select(Remains.accession).where(col(Remains.accession).startswith(prefix + "-"))).one()


def _define(client: FlaskClient, db: Session, login_as) -> int:  # noqa: ANN001
    login_as("coordinator")
    response = client.post("/events/", data={"code": "GRAVE-QTF", "name": "Qutayfah grave", "kind": "grave",
                                              "description": "test"})
    assert response.status_code == 302
    db.rollback()  # end the test session's read snapshot
    event = db.exec(select(DviEvent).where(DviEvent.code == "GRAVE-QTF")).one()
    response = client.post(f"/events/{event.id}/members", data={
        "site_code": "QTF", "remains": _acc(db, "NJH-00001"),
        "case_numbers": "MP-2025-0001, MP-2025-0002 MP-2025-0003\nMP-2025-0004"})
    assert response.status_code == 302
    db.rollback()
    assert len(db.exec(select(DviEventRemains).where(DviEventRemains.event_id == event.id)).all()) == 5
    return event.id or 0


def test_define_analyse_and_read_an_event(client: FlaskClient, demo_db: Session, login_as) -> None:  # noqa: ANN001
    event_id = _define(client, demo_db, login_as)
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "GRAVE-QTF" in page and _acc(demo_db, "QTF-00002") in page and "MP-2025-0004" in page
    assert "not been analysed yet" in page
    assert client.post(f"/events/{event_id}/analyse").status_code == 403  # coordinators do not analyse
    login_as("analyst")
    response = client.post(f"/events/{event_id}/analyse")
    assert response.status_code == 302
    html = client.get(f"/events/{event_id}").get_data(as_text=True)
    for section in ('id="pairing"', 'id="joint"', 'id="conclusions"', 'id="pairwise"', 'id="thresholds"'):
        assert section in html
    assert "exact enumeration" in html
    assert "a likelihood ratio above 10,000 is a match" in html and "above 1,000" in html
    assert "Undisputed" in html or "Probable" in html
    assert f"{_acc(demo_db, 'QTF-00001')} = MP-2025-0001" in html  # offered for a proposal
    queue = client.get("/review/").get_data(as_text=True)  # and listed on the review queue
    ready = queue[queue.index('id="ready"'):]
    assert f'GRAVE-QTF</span>: <span class="mono">{_acc(demo_db, "QTF-00001")}</span> = ' \
           '<span class="mono">MP-2025-0001</span>' in ready
    arabic = client.get(f"/events/{event_id}", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "التحليل المشترك" in arabic
    listing = client.get("/events/").get_data(as_text=True)
    assert "GRAVE-QTF" in listing


def test_roles(client: FlaskClient, demo_db: Session, login_as) -> None:  # noqa: ANN001
    event_id = _define(client, demo_db, login_as)
    login_as("technician")
    assert client.get("/events/").status_code == 403
    assert client.get(f"/events/{event_id}").status_code == 403
    login_as("analyst")
    assert client.post("/events/", data={"code": "X", "kind": "grave"}).status_code == 403
    assert client.post(f"/events/{event_id}/members", data={"site_code": "NJH"}).status_code == 403
    login_as("coordinator")
    assert client.post("/events/proposals/1/approve", data={"password": "x"}).status_code == 403
    assert client.get("/events/999999").status_code == 404


def test_bad_input_is_named_and_changes_nothing(client: FlaskClient, demo_db: Session, login_as) -> None:  # noqa: ANN001
    event_id = _define(client, demo_db, login_as)
    response = client.post(f"/events/{event_id}/members",
                           data={"remains": "NOPE-00001-XX", "case_numbers": "MP-2025-0001"},
                           headers={"Referer": f"http://localhost/events/{event_id}"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "no remains NOPE-00001-XX" in page
    response = client.post(f"/events/{event_id}/members", data={"remains": "NOPE-00001-XX"})
    assert response.status_code == 422 and "no remains NOPE-00001-XX" in response.get_data(as_text=True)
    demo_db.rollback()
    assert len(demo_db.exec(select(DviEventRemains).where(DviEventRemains.event_id == event_id)).all()) == 5
    response = client.post("/events/", data={"code": "", "kind": "grave"}, follow_redirects=True)
    assert response.status_code == 200 and "This field is required" in response.get_data(as_text=True)
    response = client.post("/events/", data={"code": "GRAVE-QTF", "kind": "grave"})
    assert response.status_code == 409
    response = client.post("/events/", data={"code": "E2", "kind": "volcano"}, follow_redirects=True)
    assert "Not a valid choice" in response.get_data(as_text=True)
    empty = client.post("/events/", data={"code": "EMPTY", "kind": "other"})
    demo_db.rollback()
    empty_id = demo_db.exec(select(DviEvent.id).where(DviEvent.code == "EMPTY")).one()
    assert empty.status_code == 302
    login_as("analyst")
    response = client.post(f"/events/{empty_id}/analyse")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "the event has no remains yet" in text and "the event has no missing persons yet" in text


def test_four_eyes_on_the_web(client: FlaskClient, demo_db: Session, login_as, users) -> None:  # noqa: ANN001
    event_id = _define(client, demo_db, login_as)
    second = factories.make_user(demo_db, "analyst", "analyst-two")
    first = login_as("analyst")
    client.post(f"/events/{event_id}/analyse")
    demo_db.rollback()
    from labtrack.services import dvi_events

    analysis = dvi_events.latest_analysis(demo_db, event_id)
    remains = demo_db.exec(select(Remains).where(Remains.accession == _acc(demo_db, "QTF-00001"))).one()
    person = demo_db.exec(select(MissingPerson).where(MissingPerson.case_number == "MP-2025-0001")).one()
    wrong = demo_db.exec(select(MissingPerson).where(MissingPerson.case_number == "MP-2025-0002")).one()
    # a pairing that is not offered (below the threshold) is refused by the form
    response = client.post(f"/events/analyses/{analysis.id}/propose", follow_redirects=True, data={
        "pairing": f"{remains.id}:{wrong.id}", "reason": "r", "password": first.password})
    assert "Not a valid choice" in response.get_data(as_text=True)
    response = client.post(f"/events/analyses/{analysis.id}/propose", follow_redirects=True, data={
        "pairing": f"{remains.id}:{person.id}", "reason": "r", "password": "wrong password"})
    assert "password is not correct" in response.get_data(as_text=True)
    demo_db.rollback()
    assert demo_db.exec(select(DviProposal)).first() is None
    response = client.post(f"/events/analyses/{analysis.id}/propose", data={
        "pairing": f"{remains.id}:{person.id}", "reason": "undisputed in the joint analysis",
        "password": first.password})
    assert response.status_code == 302
    demo_db.rollback()
    proposal = demo_db.exec(select(DviProposal)).one()
    assert proposal.by_user_id == first.id
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "a second, different analyst must approve it" in page
    queue = client.get("/review/").get_data(as_text=True)  # the review queue lists it too
    waiting = queue[queue.index('id="waiting"'):]
    assert f"{remains.accession}</span> = <span class=\"mono\">MP-2025-0001" in waiting
    ready = queue[queue.index('id="ready"'):] if 'id="ready"' in queue else ""
    assert f"{remains.accession}</span> = " not in ready  # proposed: no longer waiting for a proposal
    # the proposer cannot approve: four eyes
    response = client.post(f"/events/proposals/{proposal.id}/approve", data={"password": first.password})
    assert response.status_code == 403
    demo_db.rollback()
    assert demo_db.exec(select(DviReview)).first() is None
    assert demo_db.exec(select(Identification)).first() is None
    client.post("/logout")
    login(client, second)
    response = client.post(f"/events/proposals/{proposal.id}/approve", data={"password": second.password,
                                                                            "reason": "agree"})
    assert response.status_code == 302
    demo_db.rollback()
    ident = demo_db.exec(select(Identification)).one()
    assert (ident.remains_id, ident.missing_person_id, ident.approved_by_id) == (remains.id, person.id, second.id)
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert f"identification #{ident.id}" in page
    record = client.get(f"/review/identifications/{ident.id}")
    assert record.status_code == 200
    waiting = client.get("/events/").get_data(as_text=True)
    assert "None waiting." in waiting


def test_a_large_event_page_lists_the_best_candidates(client: FlaskClient, demo_db: Session, login_as,
                                                      monkeypatch) -> None:  # noqa: ANN001
    """Beyond PAGE_FULL_TABLE missing persons the page lists each remains' most probable missing
    persons and only the pairwise LRs above 1 (the API keeps the full tables)."""
    from labtrack.services import dvi_events

    monkeypatch.setattr(dvi_events, "PAGE_FULL_TABLE", 2)
    event_id = _define(client, demo_db, login_as)
    login_as("analyst")
    client.post(f"/events/{event_id}/analyse")
    html = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Most probable" in html
    qtf1 = _acc(demo_db, "QTF-00001")
    row = html[html.index(f'<td class="mono">{qtf1}</td>', html.index('id="pairing"')):]
    row = row[:row.index("</tr>")]
    assert "MP-2025-0001" in row and "strong" in row
    demo_db.rollback()
    result = dvi_events.result_of(dvi_events.latest_analysis(demo_db, event_id))
    pairwise = html[html.index('id="pairwise"'):]
    shown = pairwise.count("<tr>") - 1
    above_one = sum(1 for r in result["pairwise"] if not r["excluded"] and r["log10_lr"] > 0)
    assert shown == above_one < len(result["pairwise"])
    assert "excluded (LR 0)" not in pairwise
