"""The family inquiry page over HTTP: Arabic first, light and self-contained, the same answer to
every wrong code, rate limits, only the family's own milestones; the coordinators' side: codes
issued at registration, the receipt, confirming the family's changes, revocation."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from labtrack import create_app
from labtrack.core import inquiry_codes as core
from labtrack.db import create_schema, get_engine
from labtrack.models import AuditEntry, InquiryAccess, InquiryChangeRequest, InquiryCode, MissingPerson
from labtrack.services import inquiry_codes
from tests.conftest import login
from tests.inquiry_factories import ALLELES, HASHER, make_case
from tests.pdf_text import pdf_text, render_png
from tests.tools import require

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _issue(db: Session, users: dict, case) -> core.InquiryCode:
    return inquiry_codes.issue(session=db, by=users["coordinator"].user, hasher=HASHER,
                               missing_person_id=case.person.id)[1]


def _open(client: FlaskClient, code: str):  # noqa: ANN202
    return client.post("/inquiry/", data={"code": code})


def _without_tokens(html: str) -> str:
    """The page without its CSRF tokens (random text, different on every answer)."""
    html = re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', "", html)
    return re.sub(r'type="hidden" name="csrf_token" value="[^"]*"', "", html)


def test_the_entry_page_speaks_arabic_first_and_is_self_contained(client: FlaskClient) -> None:
    response = client.get("/inquiry/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'lang="ar"' in page and 'dir="rtl"' in page
    assert "رمز الاستعلام" in page and ">English</a>" in page
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Referrer-Policy"] == "no-referrer"
    for forbidden in ("<script", "<style", "style=", "http://", "https://", "<img", "<iframe", "@import"):
        assert forbidden not in page.lower(), forbidden
    assert not re.search(r"\son\w+=", page)
    css = client.get("/static/css/inquiry.css").get_data()
    assert len(page.encode()) + len(css) < 12_000  # a cheap phone on a slow line: one small page, one small sheet
    assert b"url(" not in css and b"@import" not in css  # no fonts or images fetched
    client.get("/language/en")
    english = client.get("/inquiry/").get_data(as_text=True)
    assert 'lang="en"' in english and "Inquiry code" in english and "العربية" in english


def test_family_templates_have_no_inline_code() -> None:
    for path in [*TEMPLATES.glob("inquiry/*.html"), *TEMPLATES.glob("inquiry_admin/*.html")]:
        text = path.read_text(encoding="utf-8").lower()
        assert "<script" not in text and "<style" not in text and "style=" not in text, path
        assert not re.search(r"\son[a-z]+=", text), path


def test_every_wrong_code_gets_the_same_answer(client: FlaskClient, db: Session, users: dict) -> None:
    case = make_case(db, users["coordinator"].user, 1)
    code = _issue(db, users, case)
    other = make_case(db, users["coordinator"].user, 2)
    revoked_row, revoked = inquiry_codes.issue(session=db, by=users["coordinator"].user, hasher=HASHER,
                                               missing_person_id=other.person.id)
    inquiry_codes.revoke(session=db, code_id=revoked_row.id, by=users["coordinator"].user, reason="test")
    answers = [_open(client, typed) for typed in (
        core.new_code().display,  # a reference that does not exist
        core.InquiryCode(code.reference, core.new_code().secret).display,  # a real reference, wrong secret
        revoked.display)]  # a revoked code
    assert {a.status_code for a in answers} == {200}
    bodies = {_without_tokens(a.get_data(as_text=True)) for a in answers}
    assert len(bodies) == 1
    body = bodies.pop()
    assert "لم نتمكن من فتح صفحة بهذا الرمز" in body
    assert all("Set-Cookie" not in a.headers or "inquiry" not in a.headers["Set-Cookie"] for a in answers)
    mistyped = _open(client, code.display[:-1] + ("A" if code.display[-1] != "A" else "C"))
    assert "خطأ في كتابة الرمز" in mistyped.get_data(as_text=True)
    arabic = _open(client, "محمد").get_data(as_text=True)
    assert "أحرفًا أو رموزًا" in arabic
    huge = _open(client, "X" * 50_000)
    assert huge.status_code == 200 and "أطول من أن يكون رمز استعلام" in huge.get_data(as_text=True)
    db.rollback()
    outcomes = [a.outcome for a in db.exec(select(InquiryAccess).order_by(col(InquiryAccess.id)))]
    assert outcomes == ["wrong", "wrong", "wrong", "malformed", "malformed", "malformed"]


def test_failed_guesses_are_rate_limited_and_audited(app_config: dict) -> None:
    app = create_app({**app_config, "RATELIMIT_ENABLED": True, "INQUIRY_RATE_LIMIT": "3 per minute"})
    create_schema(get_engine(app))
    client = app.test_client()
    statuses = [_open(client, core.new_code().display).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    refused = _open(client, core.new_code().display).get_data(as_text=True)
    assert "محاولات كثيرة" in refused and 'dir="rtl"' in refused
    with Session(get_engine(app)) as db:
        assert [a.outcome for a in db.exec(select(InquiryAccess))] == ["wrong"] * 3
        audited = db.exec(select(AuditEntry).where(AuditEntry.entity_type == "inquiry_access")).all()
        assert len(audited) == 3 and all('"outcome":"wrong"' in a.after_json for a in audited)
    get_engine(app).dispose()


def test_lockout_after_repeated_failures(app: Flask, client: FlaskClient, db: Session, users: dict) -> None:
    app.config["INQUIRY_MAX_FAILURES"] = 3
    case = make_case(db, users["coordinator"].user, 1)
    code = _issue(db, users, case)
    for _ in range(3):
        _open(client, core.InquiryCode(code.reference, core.new_code().secret).display)
    locked = _open(client, code.display)
    assert locked.status_code == 429 and "15" in locked.get_data(as_text=True)
    assert client.get("/inquiry/case").status_code == 302  # the right code did not open the page


def test_the_family_sees_only_its_own_milestones(client: FlaskClient, db: Session, users: dict) -> None:
    coordinator = users["coordinator"].user
    mine = make_case(db, coordinator, 1)
    theirs = make_case(db, coordinator, 2)
    code = _issue(db, users, mine)
    _issue(db, users, theirs)
    opened = _open(client, code.display.lower().replace("-", " "))
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/inquiry/case")
    page = _without_tokens(client.get("/inquiry/case").get_data(as_text=True))
    assert "MP-INQ-001" in page and "سجّلنا بلاغ فقدان قريبكم" in page
    assert "عينات مرجعية استلمناها من عائلتكم: 1" in page
    assert "نقارن الحمض النووي لعائلتكم" in page and coordinator.full_name in page
    for secret in mine.secrets + theirs.secrets + ["MP-INQ-002", "FAM-INQ"]:
        assert secret not in page, secret
    for locus, first, second in ALLELES:
        assert locus not in page and first not in page and second not in page
    assert "<script" not in page.lower() and "style=" not in page
    db.rollback()
    assert [a.outcome for a in db.exec(select(InquiryAccess).order_by(col(InquiryAccess.id)))] == ["accepted",
                                                                                                 "viewed"]


def test_family_asks_for_a_change_and_the_coordinator_confirms(client: FlaskClient, db: Session, users: dict) -> None:
    case = make_case(db, users["coordinator"].user, 1)
    code = _issue(db, users, case)
    _open(client, code.display)
    bad = client.post("/inquiry/case/changes", data={"contact_phone": "call me", "notify_preference": ""})
    assert bad.status_code == 422 and "اكتبوا رقم الهاتف بأرقامه" in bad.get_data(as_text=True)
    sent = client.post("/inquiry/case/changes", data={"contact_phone": "٠٩٣٣ ٤٤٤ ٥٥٥",
                                                      "notify_preference": "once_at_end"}, follow_redirects=True)
    page = sent.get_data(as_text=True)
    assert "شكرًا لكم" in page and "0933 444 555" in page and "عند العثور على كل الأجزاء" in page
    db.rollback()
    requests = db.exec(select(InquiryChangeRequest).order_by(col(InquiryChangeRequest.id))).all()
    assert [(r.detail, r.new_value, r.status) for r in requests] == [
        ("contact_phone", "0933 444 555", "pending"), ("notify_preference", "once_at_end", "pending")]
    assert db.get(MissingPerson, case.person.id).contact_phone == "+963 944 001 111"

    staff = client.application.test_client()
    login(staff, users["coordinator"])
    panel = staff.get(f"/missing-persons/{case.person.id}").get_data(as_text=True)
    assert "0933 444 555" in panel and 'id="inquiry-accesses"' in panel
    pending = staff.get("/inquiry-requests/").get_data(as_text=True)
    assert "MP-INQ-001" in pending and "0933 444 555" in pending
    assert staff.post(f"/inquiry-requests/{requests[0].id}/confirm").status_code == 302
    declined = staff.post(f"/inquiry-requests/{requests[1].id}/reject", data={"reason": "called: keep each time"})
    assert declined.status_code == 302
    db.rollback()
    person = db.get(MissingPerson, case.person.id)
    assert (person.contact_phone, person.notify_preference) == ("0933 444 555", "each_time")
    after = client.get("/inquiry/case").get_data(as_text=True)
    assert 'id="pending"' not in after


def test_a_revoked_code_closes_an_open_page(client: FlaskClient, db: Session, users: dict) -> None:
    case = make_case(db, users["coordinator"].user, 1)
    code = _issue(db, users, case)
    _open(client, code.display)
    assert client.get("/inquiry/case").status_code == 200
    row = db.exec(select(InquiryCode)).one()
    inquiry_codes.revoke(session=db, code_id=row.id, by=users["coordinator"].user, reason="receipt stolen")
    closed = client.get("/inquiry/case")
    assert closed.status_code == 302 and closed.headers["Location"].endswith("/inquiry/")
    assert client.post("/inquiry/case/changes", data={"contact_name": "x"}).status_code == 302
    assert _open(client, code.display).status_code == 200  # refused like any wrong code
    ended = client.post("/inquiry/end", follow_redirects=True)
    assert ended.status_code == 200


def test_registration_issues_a_code_shown_once_and_printed_on_a_receipt(
        app: Flask, client: FlaskClient, db: Session, login_as, tmp_path: Path) -> None:
    app.config["PUBLIC_BASE_URL"] = "https://families.example.org"
    login_as("coordinator")
    registered = client.post("/missing-persons/", data={"case_number": "MP-2026-0042", "sex": "M",
                                                        "name_ar": "عمر الخطيب", "name_latin": "Omar al-Khatib"})
    assert registered.status_code == 302
    shown_page = client.get(registered.headers["Location"])
    assert shown_page.headers["Cache-Control"] == "no-store"
    page = shown_page.get_data(as_text=True)
    shown = re.search(r'id="new-code-text">([^<]+)<', page).group(1)
    code = core.read_code(shown)
    assert client.get(registered.headers["Location"]).get_data(as_text=True).count(shown) == 0  # only once
    db.rollback()
    row = db.exec(select(InquiryCode)).one()
    assert row.reference == code.reference and HASHER.verify(code.reference, code.secret, row.secret_hash)
    receipt = client.post(f"/inquiry-codes/{row.id}/receipt", data={"code": shown})
    assert receipt.status_code == 200 and receipt.mimetype == "application/pdf"
    assert receipt.headers["Cache-Control"] == "no-store"
    require("pdftotext", "pdftoppm", "zbarimg")
    text = pdf_text(receipt.data)
    assert shown in text and "MP-2026-0042" in text and "Omar al-Khatib" in text
    assert "إيصال الاستعلام" in text and "https://families.example.org/inquiry/" in text
    png = render_png(receipt.data, "inquiry-receipt")
    decoded = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True).stdout
    assert decoded.strip() == "https://families.example.org/inquiry/"
    refused = client.post(f"/inquiry-codes/{row.id}/receipt", data={"code": core.new_code().display})
    assert refused.status_code == 409
    db.rollback()
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "print_receipt")).one().entity_id == str(row.id)


def test_only_coordinators_see_and_manage_codes(client: FlaskClient, db: Session, users: dict, login_as) -> None:
    case = make_case(db, users["coordinator"].user, 1)
    _issue(db, users, case)
    row = db.exec(select(InquiryCode)).one()
    login_as("analyst")
    page = client.get(f"/missing-persons/{case.person.id}").get_data(as_text=True)
    assert 'id="inquiry"' not in page
    for url in (f"/missing-persons/{case.person.id}/inquiry-code", f"/inquiry-codes/{row.id}/revoke",
                f"/inquiry-codes/{row.id}/receipt"):
        assert client.post(url, data={"reason": "x"}).status_code == 403
    assert client.get("/inquiry-requests/").status_code == 403
    login_as("coordinator")
    assert client.post(f"/missing-persons/{case.person.id}/inquiry-code", data={}).status_code == 422  # why?
    reissued = client.post(f"/missing-persons/{case.person.id}/inquiry-code", data={"reason": "receipt lost"},
                           follow_redirects=True)
    assert 'id="new-code-text"' in reissued.get_data(as_text=True)
    db.rollback()
    assert [c.status for c in db.exec(select(InquiryCode).order_by(col(InquiryCode.id)))] == ["replaced", "active"]


def test_donor_registration_issues_a_donor_code(client: FlaskClient, db: Session, login_as) -> None:
    login_as("coordinator")
    answer = client.post("/donors/", data={"code": "D-0100", "sex": "F", "phone": "+000 1"})
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    shown = re.search(r'id="new-code-text">([^<]+)<', page).group(1)
    family = client.application.test_client()
    opened = family.post("/inquiry/", data={"code": shown})
    assert opened.status_code == 302
    donor_page = family.get("/inquiry/case").get_data(as_text=True)
    assert "عيناتكم المرجعية" in donor_page and "D-0100" not in donor_page and "+000 1" not in donor_page


def test_a_code_typed_on_the_arabic_keyboard_layout_opens_the_page(client: FlaskClient, db: Session,
                                                                  users: dict) -> None:
    from labtrack.core.scanning import LAYOUT_TO_LATIN

    case = make_case(db, users["coordinator"].user, 1)
    code = _issue(db, users, case)
    key = {latin: arabic for arabic, latin in LAYOUT_TO_LATIN.items() if not arabic.isdigit()}
    typed = "".join(key.get(char.lower(), char) for char in code.display)  # the keys pressed, layout left on Arabic
    typed = "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in typed)  # and Arabic-Indic digits
    assert not any("A" <= c <= "Z" for c in typed)
    opened = _open(client, typed)
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/inquiry/case")
