"""Review, documents, notifications and dashboard through the web views, per role."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlmodel import Session, select

from labtrack.models import CustodyEvent, FamilyNotification, Identification, IssuedDocument, MatchReview, Signature
from labtrack.services import review
from tests import factories
from tests.conftest import login
from tests.factories import PASSWORD
from tests.pdf_text import pdf_text
from tests.review_factories import make_candidate, make_family, make_match


@pytest.fixture
def second(db: Session) -> factories.UserWithPassword:
    return factories.make_user(db, "analyst", "analyst2")


def _fresh(db: Session) -> Session:
    """End the test session's read transaction so that it sees what the requests committed."""
    db.rollback()
    return db


def _as(client: FlaskClient, user: factories.UserWithPassword) -> None:
    client.post("/logout")
    login(client, user)


def _page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _propose(client: FlaskClient, match_id: int, **data: str) -> str:
    form = {"decision": "confirm", "reason": "all loci consistent", "password": PASSWORD} | data
    return client.post(f"/review/matches/{match_id}/propose", data=form, follow_redirects=True).get_data(as_text=True)


def _approve(client: FlaskClient, match_id: int, password: str = PASSWORD) -> str:
    return client.post(f"/review/matches/{match_id}/approve", data={"password": password},
                       follow_redirects=True).get_data(as_text=True)


def test_queue_and_match_page_are_blind_until_approved(client, db, users, second) -> None:
    c = make_candidate(db, users["analyst"].user)
    _as(client, users["analyst"])
    queue = _page(client, "/review/")
    assert c.remains.accession in queue and c.family.missing_person.case_number in queue
    page = _page(client, f"/review/matches/{c.match.id}")
    for expected in ("D3S1358", "9.3/9.3", "mutation", "labtrack-kinship 0.1.0", "theta=0.01", "<svg",
                     'class="inconsistent"', "No contradiction"):
        assert expected in page, expected
    assert c.family.missing_person.name_latin not in page and "Detained" not in page
    assert "Ahmad" not in _page(client, "/review/?status=open")
    _propose(client, c.match.id)
    _as(client, second)
    assert "Sign and approve" in _page(client, f"/review/matches/{c.match.id}")
    page = _approve(client, c.match.id)
    assert "the remains are identified" in page
    assert c.family.missing_person.name_latin in page  # names after an approved identification


def test_refusals_through_the_views(client, db, users, second) -> None:
    c = make_candidate(db, users["analyst"].user)
    rival = make_match(db, run=c.run, remains=c.remains, family=make_family(db), log10_lr=4.0, posterior=0.9)
    _as(client, users["analyst"])
    page = _propose(client, c.match.id, password="wrong")
    assert "password is not correct" in page
    assert _fresh(db).exec(select(MatchReview)).all() == []
    page = _propose(client, c.match.id, reason="")
    assert "Reasons" in page and _fresh(db).exec(select(MatchReview)).all() == []
    _propose(client, c.match.id)
    page = _approve(client, c.match.id)  # own proposal
    assert "second, different analyst" in page
    _as(client, second)
    page = _approve(client, c.match.id)
    assert "competing candidates are still open" in page and f"match {rival.id}" in page
    assert _fresh(db).exec(select(Identification)).all() == []
    assert [s.meaning for s in _fresh(db).exec(select(Signature))] == ["reviewed"]
    assert review.load(_fresh(db), c.match.id).status == "proposed_confirm"
    _as(client, users["analyst"])
    _propose(client, rival.id, decision="reject", reason="TH01 excludes")
    _as(client, second)
    _approve(client, rival.id)
    page = _approve(client, c.match.id, password="wrong")
    assert "password is not correct" in page
    assert _fresh(db).exec(select(Identification)).all() == []
    assert "the remains are identified" in _approve(client, c.match.id)
    # empty posts are clear 4xx/flash, never 500
    for url in (f"/review/matches/{c.match.id}/approve", f"/review/matches/{c.match.id}/send-back",
                f"/review/matches/{c.match.id}/propose"):
        assert client.post(url, data={}).status_code == 302


def test_documents_notification_and_handover(client, db, users, second) -> None:
    c = make_candidate(db, users["analyst"].user)
    _as(client, users["analyst"])
    _propose(client, c.match.id)
    _as(client, second)
    _approve(client, c.match.id)
    ident = _fresh(db).exec(select(Identification)).one()
    client.post(f"/documents/matches/{c.match.id}/report")
    client.post(f"/documents/identifications/{ident.id}/certificate")
    # analysts may not issue the family's notification report
    assert client.post(f"/documents/identifications/{ident.id}/notification").status_code == 403
    report, certificate = _fresh(db).exec(select(IssuedDocument).order_by(IssuedDocument.id)).all()
    assert (report.kind, certificate.kind) == ("match_report", "certificate")
    pdf = client.get(f"/documents/{certificate.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert certificate.number in pdf_text(pdf.data) and "أحمد خليل المصري" in pdf_text(pdf.data)

    _as(client, users["coordinator"])
    work = _page(client, "/notifications/")
    assert c.family.missing_person.case_number in work and "tell the family" in work
    client.post(f"/documents/identifications/{ident.id}/notification")
    notification = _fresh(db).exec(select(IssuedDocument).where(IssuedDocument.kind == "notification")).one()
    text = pdf_text(client.get(f"/documents/{notification.id}.pdf").data)
    assert "أحمد خليل المصري" in text and notification.number in text
    client.post(f"/documents/{notification.id}/reissue", data={"reason": "lost"})
    copy = _fresh(db).exec(select(IssuedDocument).where(IssuedDocument.reissue_of_id == notification.id)).one()
    reissued = pdf_text(client.get(f"/documents/{copy.id}.pdf").data)  # the letter's frame is Arabic
    assert "إعادة إصدار للوثيقة" in reissued and notification.number in reissued

    person_id = c.family.missing_person.id
    client.post(f"/notifications/persons/{person_id}/notified", data={"method": "in_person", "note": "home visit"})
    assert _fresh(db).exec(select(FamilyNotification)).one().method == "in_person"
    assert "Nobody is waiting to be told" in _page(client, "/notifications/")
    assert client.post(f"/notifications/remains/{c.remains.id}/handover", data={}).status_code == 302
    assert _fresh(db).exec(select(CustodyEvent)).all() == []
    client.post(f"/notifications/remains/{c.remains.id}/handover", data={"to_party": "Mariam al-Masri, mother"})
    event = _fresh(db).exec(select(CustodyEvent)).one()
    assert (event.action, event.to_party) == ("release", "Mariam al-Masri, mother")
    assert "No remains waiting for handover" in _page(client, "/notifications/")
    page = client.post(f"/notifications/remains/{c.remains.id}/handover", data={"to_party": "again"},
                       follow_redirects=True).get_data(as_text=True)
    assert "already handed over" in page


def test_certificate_refused_for_unapproved_identification_via_web(client, db, users) -> None:
    c = make_candidate(db, users["analyst"].user)
    _as(client, users["analyst"])
    _propose(client, c.match.id)
    from labtrack.services.transaction import write

    with write(db, actor="script"):
        rogue = Identification(match_id=c.match.id, remains_id=c.remains.id,
                               missing_person_id=c.family.missing_person.id, approved_by_id=users["analyst"].id)
        db.add(rogue)
    response = client.post(f"/documents/identifications/{rogue.id}/certificate",
                           headers={"Referer": f"/review/identifications/{rogue.id}"}, follow_redirects=True)
    assert "has not been approved by a second analyst" in response.get_data(as_text=True)
    assert _fresh(db).exec(select(IssuedDocument)).all() == []


def test_dashboard_and_safe_exports(client, db, users) -> None:
    c = make_candidate(db, users["analyst"].user)
    with __import__("labtrack.services.transaction", fromlist=["write"]).write(db, actor="t"):
        c.site.name_en = "=HYPERLINK(\"http://evil\")"
        db.add(c.site)
    _as(client, users["technician"])
    page = _page(client, "/dashboard/")
    assert 'data-site="QTF"' in page and "<svg" in page
    csv_text = client.get("/dashboard/export?table=funnel&format=csv").data.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("site,name,recovered")
    assert "'=HYPERLINK" in csv_text and ",=HYPERLINK" not in csv_text
    book = load_workbook(io.BytesIO(client.get("/dashboard/export?table=funnel&format=xlsx").data))
    sheet = book.active
    assert sheet["B2"].value.startswith("'=") and sheet["C2"].value == 1
    assert client.get("/dashboard/export?table=nope").status_code == 404
    assert client.get("/dashboard/export?format=exe").status_code == 404


def test_record_pages_for_the_qr_codes(client, db, users, second) -> None:
    c = make_candidate(db, users["analyst"].user)
    _as(client, users["analyst"])
    _propose(client, c.match.id)
    _as(client, second)
    _approve(client, c.match.id)
    ident = _fresh(db).exec(select(Identification)).one()
    page = _page(client, f"/review/identifications/{ident.id}")
    assert c.remains.accession in page and "Issue family notification report" not in page
    _as(client, users["coordinator"])
    page = _page(client, f"/review/identifications/{ident.id}")
    assert "Issue family notification report" in page and "أحمد خليل المصري" in page
    page = _page(client, f"/notifications/persons/{c.family.missing_person.id}")
    assert c.remains.accession in page and "Record handover" in page
    client.post(f"/notifications/persons/{c.family.missing_person.id}/preferences",
                data={"notify_preference": "once_at_end", "wait_for_more_parts": "y"})
    person = _fresh(db).get(type(c.family.missing_person), c.family.missing_person.id)
    assert (person.notify_preference, person.wait_for_more_parts) == ("once_at_end", True)
    assert client.get(f"/review/matches/{c.match.id}").status_code == 403  # coordinators do not review


def test_my_routes_by_role_with_real_records(app, db, users, second) -> None:
    """The shared role matrix runs on demo data without matches; this walks the same rules with a
    match, an identification and issued documents present, so the pages really render."""
    from labtrack.services import identification_documents as docs

    c = make_candidate(db, users["analyst"].user)
    review.propose(session=db, match_id=c.match.id, by=users["analyst"].user, decision="confirm", reason="ok",
                   password=PASSWORD)
    ident = review.approve(session=db, match_id=c.match.id, by=second.user, password=PASSWORD).identification
    report, _ = docs.issue_match_report(session=db, match_id=c.match.id, by=second.user)
    note, _ = docs.issue_notification(session=db, identification_id=ident.id, by=users["coordinator"].user)
    pages = {
        "/review/": {"analyst", "admin"}, f"/review/matches/{c.match.id}": {"analyst", "admin"},
        f"/review/identifications/{ident.id}": {"analyst", "coordinator", "admin"},
        f"/documents/{report.id}.pdf": {"analyst", "coordinator", "admin"},
        f"/documents/{note.id}.pdf": {"coordinator", "admin"},
        "/notifications/": {"coordinator", "admin"},
        f"/notifications/persons/{c.family.missing_person.id}": {"coordinator", "admin"},
        "/dashboard/": {"technician", "analyst", "coordinator", "admin"},
        "/api/v1/review/matches": {"analyst", "admin"},
    }
    failures = []
    for role, user in users.items():
        client = app.test_client()
        login(client, user)
        for url, allowed in pages.items():
            status = client.get(url).status_code
            if status != (200 if role in allowed else 403):
                failures.append(f"{role} {url}: {status}")
        names_shown = "Ahmad Khalil al-Masri" in client.get(f"/review/matches/{c.match.id}").get_data(as_text=True)
        if role in ("analyst", "admin") and not names_shown:
            failures.append(f"{role}: name hidden after the approved identification")
    assert failures == []


def test_match_page_with_unreadable_evidence_says_so(client, db, users) -> None:
    from labtrack.services.transaction import write

    c = make_candidate(db, users["analyst"].user)
    with write(db, actor="t"):
        c.match.per_locus_json = "not json"
        db.add(c.match)
    _as(client, users["analyst"])
    page = _page(client, f"/review/matches/{c.match.id}")
    assert "The per-locus evidence is unreadable" in page and "not valid JSON" in page


def test_retraction_through_the_page(client, db, users, second) -> None:
    c = make_candidate(db, users["analyst"].user)
    review.propose(session=db, match_id=c.match.id, by=users["analyst"].user, decision="confirm", reason="ok",
                   password=PASSWORD)
    ident = review.approve(session=db, match_id=c.match.id, by=second.user, password=PASSWORD).identification
    url = f"/review/identifications/{ident.id}"
    _as(client, users["coordinator"])
    assert "Retract this identification" not in _page(client, url)
    assert client.post(f"{url}/retract", data={"reason": "x", "password": PASSWORD}).status_code == 403
    _as(client, users["analyst"])
    assert "Retract this identification" in _page(client, url)
    page = client.post(f"{url}/propose-retraction", data={"reason": "", "password": PASSWORD},
                       follow_redirects=True).get_data(as_text=True)
    assert "This field is required" in page and "Retracted" not in page
    page = client.post(f"{url}/propose-retraction", data={"reason": "bone belongs to grave 7", "password": "wrong"},
                       follow_redirects=True).get_data(as_text=True)
    assert "password is not correct" in page
    page = client.post(f"{url}/propose-retraction", data={"reason": "bone belongs to grave 7", "password": PASSWORD},
                       follow_redirects=True).get_data(as_text=True)
    assert 'id="retraction-proposal"' in page and "bone belongs to grave 7" in page
    assert "A second analyst approves it." in page and 'id="retracted"' not in page
    page = client.post(f"{url}/retract", data={"reason": "agreed", "password": PASSWORD},
                       follow_redirects=True).get_data(as_text=True)
    assert "a second analyst must approve it" in page  # the proposer cannot approve
    assert _fresh(db).exec(select(Identification).where(Identification.retraction == True)).all() == []  # noqa: E712
    _as(client, second)
    assert "Approve the retraction (signed)" in _page(client, url)
    page = client.post(f"{url}/retract", data={"reason": "agreed: grave 7", "password": PASSWORD},
                       follow_redirects=True).get_data(as_text=True)
    assert 'id="retracted"' in page and "agreed: grave 7" in page
    assert "Issue identification certificate" not in page and "Retract this identification" not in page
    row = _fresh(db).exec(select(Identification).where(Identification.retraction == True)).one()  # noqa: E712
    assert row.retracts_id == ident.id and row.approved_by_id == second.id
    assert "already identified" not in _page(client, f"/review/matches/{c.match.id}")


def test_queue_flags_candidates_for_remains_identified_meanwhile(client, db, users, second) -> None:
    from tests.review_factories import make_run

    c = make_candidate(db, users["analyst"].user)
    review.propose(session=db, match_id=c.match.id, by=users["analyst"].user, decision="confirm", reason="ok",
                   password=PASSWORD)
    ident = review.approve(session=db, match_id=c.match.id, by=second.user, password=PASSWORD).identification
    from tests.review_factories import make_family

    # another family's candidate for the same remains (one open candidate per remains sample and family)
    later = make_match(db, run=make_run(db, users["analyst"].user), remains=c.remains, family=make_family(db))
    _as(client, users["analyst"])
    page = _page(client, "/review/")
    row = page[page.index(f'data-match="{later.id}"'):]
    row = row[: row.index("</tr>")]
    assert f"remains already identified (#{ident.id})" in row
    assert f"/review/identifications/{ident.id}" in row
    api = client.get("/api/v1/review/matches").get_json()["items"]
    assert {r["match_id"]: r["identified_by"] for r in api} == {c.match.id: None, later.id: ident.id}


def test_coordinator_sees_retraction_to_tell(client, db, users, second) -> None:
    from labtrack.services import identification, notifications

    c = make_candidate(db, users["analyst"].user)
    review.propose(session=db, match_id=c.match.id, by=users["analyst"].user, decision="confirm", reason="ok",
                   password=PASSWORD)
    ident = review.approve(session=db, match_id=c.match.id, by=second.user, password=PASSWORD).identification
    notifications.record_notification(session=db, missing_person_id=c.family.missing_person.id,
                                      by=users["coordinator"].user, method="in_person")
    identification.propose_retraction(session=db, identification_id=ident.id, by=users["analyst"].user,
                                      reason="mix-up", password=PASSWORD)
    identification.retract(session=db, identification_id=ident.id, by=second.user, reason="mix-up",
                           password=PASSWORD)
    _as(client, users["coordinator"])
    work = _page(client, "/notifications/")
    assert "identification retracted: tell the family" in work and c.family.missing_person.case_number in work
    page = _page(client, f"/notifications/persons/{c.family.missing_person.id}")
    assert 'id="retraction-notice"' in page and f"Identification #{ident.id} was retracted" in page
    client.post(f"/notifications/persons/{c.family.missing_person.id}/notified",
                data={"method": "phone", "note": "told of the retraction"})
    assert "identification retracted" not in _page(client, "/notifications/")
