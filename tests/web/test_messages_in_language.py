"""Errors from the services reach people in their page's language: the scanning station, the API's
problem details and the pages in Arabic or English; the CLI in English."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import render_template
from flask.testing import FlaskClient
from sqlmodel import Session, select

from labtrack.core import ids
from labtrack.core.errors import PermissionDenied
from labtrack.core.messages import msg
from labtrack.models import CustodyEvent, Profile, Sample, Site
from labtrack.services import accounts, custody_transfers, samples
from labtrack.web.messages import text
from tests import factories, review_factories

ARABIC = {"Accept-Language": "ar"}
ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def auth(db: Session, users: dict) -> dict[str, str]:
    token = accounts.issue_token(session=db, user=users["technician"].user, name="bench 1", by="test")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def items(db: Session, users: dict):
    tech = users["technician"].user
    factories.make_site(db, tech)
    return [factories.make_remains(db, tech) for _ in range(2)], factories.make_box(db, tech, 1)


def _mistyped(accession: str) -> tuple[str, str]:
    wrong = "00" if accession[-2:] != "00" else "11"
    return accession[:-2] + wrong, wrong


def _moves(db: Session) -> list[CustodyEvent]:
    db.rollback()
    return list(db.exec(select(CustodyEvent).where(CustodyEvent.action != "register")))


def _scan(client: FlaskClient, headers: dict[str, str], **body: object) -> dict:
    answer = client.post("/api/v1/scans/validate", headers=headers, json=body)
    assert answer.status_code == 200
    return answer.get_json()


def test_scanning_station_answers_in_arabic_and_english(client: FlaskClient, auth, items) -> None:
    remains, _box = items
    code, wrong = _mistyped(remains[0].accession)
    arabic = _scan(client, auth | ARABIC, code=code, action="receive")
    assert arabic["ok"] is False
    assert arabic["message"] == f"'{code}': حرفا التحقق '{wrong}' غير مطابقين؛ كُتب المعرّف أو قُرئ خطأً"
    english = _scan(client, auth | ENGLISH, code=code, action="receive")
    assert english["message"] == f"'{code}': check characters '{wrong}' do not match; the ID was mistyped or misread"

    accession = remains[0].accession
    twice = _scan(client, auth | ARABIC, code=accession, action="receive", batch=[accession])
    assert twice["ok"] is False and twice["message"] == f"{accession} موجود مسبقاً في هذه الدفعة (مُسح مرتين)"
    twice = _scan(client, auth | ENGLISH, code=accession, action="receive", batch=[accession])
    assert twice["message"] == f"{accession} is already in this batch (scanned twice)"

    good = _scan(client, auth | ARABIC, code=accession, action="receive")
    assert good["ok"] is True  # registered remains are with the recovery team
    assert (good["message"], good["where"]) == (f"{accession}: رفات، بحوزة Field team 1", "بحوزة Field team 1")


def test_refused_move_and_batch_problems_in_the_api_readers_language(client: FlaskClient, db: Session, auth,
                                                                       items) -> None:
    remains, box = items
    stored = client.post("/api/v1/custody-events", headers=auth,
                         json={"item": remains[0].accession, "action": "store", "to_location": box.accession})
    assert stored.status_code == 201
    receive = {"item": remains[0].accession, "action": "receive"}
    arabic = client.post("/api/v1/custody-events", headers=auth | ARABIC, json=receive)
    assert arabic.status_code == 409
    where = f"في {box.accession} ({box.name})"
    assert arabic.get_json()["message"] == (f"{remains[0].accession} موجود في المختبر مسبقاً ({where})؛ "
                                            "استخدم النقل أو التسليم بدلاً من ذلك")
    english = client.post("/api/v1/custody-events", headers=auth | ENGLISH, json=receive)
    assert english.get_json()["message"] == (f"{remains[0].accession} is already in the lab (at {box.accession} "
                                             f"({box.name})); use move or hand-over instead")

    code, wrong = _mistyped(remains[1].accession)
    bad = {"events": [{"item": remains[1].accession, "action": "fly"},
                      {"item": code, "action": "store", "to_location": box.accession}]}
    answer = client.post("/api/v1/custody-events", headers=auth | ARABIC, json=bad)
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["message"] == "لم يُسجَّل شيء: توجد مشكلتان"
    assert [(p["row"], p["field"]) for p in body["problems"]] == [(1, "action"), (2, "item")]
    assert body["problems"][0]["message"].startswith("إجراء غير معروف 'fly'؛ الإجراءات المتاحة: register, receive")
    assert body["problems"][1]["message"] == f"'{code}': حرفا التحقق '{wrong}' غير مطابقين؛ كُتب المعرّف أو قُرئ خطأً"
    english = client.post("/api/v1/custody-events", headers=auth | ENGLISH, json=bad).get_json()
    assert english["message"] == "Nothing was recorded: 2 problems"
    assert english["problems"][0]["message"].startswith("unknown action 'fly'; one of register, receive")
    assert len(_moves(db)) == 1  # only the first store


def test_pages_show_service_errors_in_arabic(client: FlaskClient, db: Session, login_as, items) -> None:
    remains, _box = items
    login_as("technician")
    code, wrong = _mistyped(remains[0].accession)
    page = client.get(f"/custody/items/{code}", headers=ARABIC)
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert f"&#39;{code}&#39;: حرفا التحقق &#39;{wrong}&#39; غير مطابقين" in text
    assert "check characters" not in text

    # a refused form: the page again, the error beside the field in Arabic, and nothing is recorded
    item_page = f"/custody/items/{remains[0].accession}"
    answer = client.post(f"{item_page}/corrections", headers=ARABIC | {"Referer": item_page},
                         data={"event_id": "999999", "to_party": "ICMP", "reason": "typed the wrong box"})
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert 'id="event_id-error">اختر أحد أحداث هذا العنصر.</p>' in text and "this item&#39;s events" not in text
    assert 'value="typed the wrong box"' in text
    assert _moves(db) == []
    english = client.get(f"/custody/items/{code}", headers=ENGLISH).get_data(as_text=True)
    assert "check characters &#39;" in english and "حرفا التحقق" not in english


def test_a_station_state_is_described_in_arabic_on_the_item_page(client: FlaskClient, db: Session, login_as,
                                                                  users: dict, items) -> None:
    remains, box = items
    custody_transfers.record_event(session=db, item_accession=remains[0].accession, action="store",
                                   to_location=box.accession, by=users["technician"].user)
    login_as("technician")
    text = client.get(f"/custody/items/{remains[0].accession}", headers=ARABIC).get_data(as_text=True)
    assert f"في {box.accession} ({box.name})" in text


def test_the_cli_speaks_english(runner, users: dict, tmp_path: Path, items) -> None:
    remains, _box = items
    code, wrong = _mistyped(remains[0].accession)
    result = runner.invoke(args=["labels", code, "--out", str(tmp_path / "x.pdf"),
                                 "--by", users["technician"].username],
                           env={"LANG": "ar_SY.UTF-8", "LC_ALL": "ar_SY.UTF-8"})
    assert result.exit_code != 0
    assert f"check characters '{wrong}' do not match; the ID was mistyped or misread" in result.output
    assert "حرفا" not in result.output


def test_a_refused_sample_state_names_the_states_in_arabic(client: FlaskClient, db: Session, login_as,
                                                           users: dict, items) -> None:
    remains, _box = items
    sample = samples.take_sample(session=db, remains_accession=remains[0].accession, sample_type="petrous",
                                 by=users["technician"].user)
    login_as("technician")
    detail = f"/samples/{sample.accession}"
    answer = client.post(f"{detail}/state", data={"to_state": "profiled"}, headers=ARABIC | {"Referer": detail})
    assert answer.status_code == 422  # the sample page again, the refusal on its form
    text = answer.get_data(as_text=True)
    assert (f"{sample.accession}: لا يمكن الانتقال من «مجموعة» إلى «لها ملف وراثي»؛ "
            "المسموح: مختومة، فشلت، مُستهلَكة") in text
    answer = client.post(f"{detail}/state", data={"to_state": "profiled"}, headers=ENGLISH | {"Referer": detail})
    text = answer.get_data(as_text=True)
    assert (f"{sample.accession}: cannot go from collected to profiled; allowed: sealed, failed, consumed") in text
    db.rollback()
    assert db.get(Sample, sample.id).state == "collected"


def test_site_form_problems_in_arabic_next_to_nothing_saved(client: FlaskClient, db: Session, login_as) -> None:
    login_as("technician")
    answer = client.post("/sites/", data={"code": "Q1", "name_en": "", "latitude": "95"},
                         headers=ARABIC | {"Referer": "/sites/"})
    assert answer.status_code == 422  # the form again, each problem beside its field, in Arabic
    text = answer.get_data(as_text=True)
    assert 'id="code-error">رمز الموقع ثلاثة أحرف لاتينية من A إلى Z، مثل QTF.</p>' in text
    assert 'id="name_en-error">أدخل الاسم بالإنجليزية.</p>' in text
    assert 'id="latitude-error">خط العرض بين ‎-90‎ و 90.</p>' in text
    assert "لم يُحفظ شيء" in text and 'value="Q1"' in text
    db.rollback()
    assert db.exec(select(Site)).all() == []


def test_a_bad_import_row_is_named_in_arabic_with_its_file_row_and_field(client: FlaskClient, db: Session,
                                                                          users: dict) -> None:
    token = accounts.issue_token(session=db, user=users["analyst"].user, name="lab", by="test")
    headers = {"Authorization": f"Bearer {token}"}
    unknown = ids.with_check("QTF-00099-S01")
    content = f"sample_id,marker,allele1,allele2\n{unknown},TH01,6,9.3\nQTF-00001-S01-SX,TH01,7,8\n"
    answer = client.post("/api/v1/profiles/import", json={"filename": "run-7.csv", "content": content},
                         headers=headers | ARABIC)
    assert answer.status_code == 202  # queued; the worker (inline in tests) refused the file
    body = answer.get_json()
    assert body["status"] == "refused" and body["message"] == "run-7.csv: لم يُستورد شيء (مشكلتان)"
    by_row = {p["row"]: p for p in body["problems"]}
    assert by_row[2]["file"] == "run-7.csv" and by_row[2]["field"] == "sample"
    assert by_row[2]["message"] == f"رمز عيّنة غير معروف {unknown}: لا توجد عيّنة مسجَّلة به"
    assert by_row[3]["message"].startswith("'QTF-00001-S01-SX' ليس رمز عيّنة شريطياً: ")
    english = client.get(body["url"], headers=headers | ENGLISH).get_json()  # the same stored problems
    assert english["message"] == "run-7.csv: nothing was imported (2 problems)"
    assert {p["row"]: p["message"] for p in english["problems"]}[2] == (
        f"unknown sample barcode {unknown}: no such sample is registered")
    db.rollback()
    assert db.exec(select(Profile)).all() == []


def test_review_refusals_in_arabic(client: FlaskClient, db: Session, users: dict) -> None:
    token = accounts.issue_token(session=db, user=users["analyst"].user, name="lab", by="test")
    headers = {"Authorization": f"Bearer {token}"}
    blank = client.post("/api/v1/review/matches/999/send-back", json={"reason": "  "}, headers=headers | ARABIC)
    assert blank.status_code == 422
    assert blank.get_json()["message"] == "تعذّر: إعادة الاقتراح (مشكلة واحدة)"
    assert blank.get_json()["problems"] == [{"field": "reason", "row": None, "file": None,
                                             "message": "يجب ذكر سبب من أجل: إعادة الاقتراح"}]
    english = client.post("/api/v1/review/matches/999/send-back", json={"reason": "  "}, headers=headers | ENGLISH)
    assert english.get_json()["message"] == "Cannot send the proposal back (one problem)"
    missing = client.post("/api/v1/review/matches/999/send-back", json={"reason": "typing error"},
                          headers=headers | ARABIC)
    assert missing.status_code == 404 and missing.get_json()["message"] == "المطابقة رقم 999 غير موجودة"



def test_a_refused_login_and_a_role_in_arabic(client: FlaskClient, db: Session, users: dict) -> None:
    answer = client.post("/login", data={"username": "analyst1", "password": "nope-nope-nope"}, headers=ARABIC)
    assert answer.status_code == 401
    assert "اسم المستخدم أو كلمة المرور غير صحيحة." in answer.get_data(as_text=True)
    # a stored code inside a message (here a role) is shown as its label in the reader's language
    analyst = users["analyst"].user
    with pytest.raises(PermissionDenied) as caught:
        accounts.issue_token(session=db, user=analyst, name="x", by="test", role="coordinator")
    assert str(caught.value) == f"a token of {analyst.username} (analyst) cannot act as coordinator"
    with client.application.test_request_context(headers=ARABIC):
        assert text(caught.value.message) == (f"لا يمكن لرمز {analyst.username} (محلل حمض نووي) "
                                              "أن يعمل بصفة منسق العائلات")


def test_a_file_checked_in_arabic_names_each_bad_value(client: FlaskClient, db: Session, users: dict) -> None:
    token = accounts.issue_token(session=db, user=users["analyst"].user, name="lab", by="test")
    content = "sample_id,marker,allele1,allele2\nQTF-00001-S01-X,TH01,abc,8\nQTF-00001-S01-X,D99S999,7,8\n"
    checked = client.post("/api/v1/profiles/check", json={"filename": "run-8.csv", "content": content},
                          headers={"Authorization": f"Bearer {token}"} | ARABIC)
    assert checked.status_code == 202 and checked.get_json()["status"] == "checked"
    problems = {p["row"]: p for p in checked.get_json()["result"]["problems"]}
    assert problems[2]["message"] == "الأليل 'abc' ليس عدد تكرارات (مثل 12 أو 9.3) ولا OL"
    assert problems[2]["file"] == "run-8.csv" and problems[2]["field"] == "TH01 alleles"
    assert problems[3]["message"] == "موقع جيني غير معروف 'D99S999'"


def test_review_contradictions_in_arabic(client: FlaskClient, db: Session, users: dict) -> None:
    site = review_factories.make_site(db)
    remains = review_factories.make_remains(db, site, est_sex="F")
    family = review_factories.make_family(db)  # a missing son
    run = review_factories.make_run(db, users["analyst"].user)
    match = review_factories.make_match(db, run=run, remains=remains, family=family)
    token = accounts.issue_token(session=db, user=users["analyst"].user, name="lab", by="test")
    headers = {"Authorization": f"Bearer {token}"}
    arabic = client.get(f"/api/v1/review/matches/{match.id}", headers=headers | ARABIC).get_json()
    assert arabic["contradictions"] == ["تعارض في الجنس: الرفات مقدَّرة «أنثى»، والشخص المفقود «ذكر»"]
    english = client.get(f"/api/v1/review/matches/{match.id}", headers=headers | ENGLISH).get_json()
    assert english["contradictions"] == ["sex mismatch: remains estimated female, missing person male"]


def test_dashboard_work_and_the_not_migrated_page_in_arabic(app, client: FlaskClient, login_as) -> None:
    login_as("analyst")
    page = client.get("/dashboard/", headers=ARABIC).get_data(as_text=True)
    assert "مطابقات بانتظار المراجعة" in page and "matches to review" not in page
    with app.test_request_context(headers=ARABIC):
        text = render_template("errors/not_migrated.html")
    assert "قاعدة البيانات غير جاهزة" in text and 'dir="rtl"' in text


def test_a_message_through_the_direction_filters_is_still_translated(app) -> None:
    from labtrack.web.bidi import isolate, ltr

    where = msg("with %(person)s", person="Lina Haddad")
    with app.test_request_context(headers=ARABIC):
        assert isolate(where) == "<bdi>بحوزة Lina Haddad</bdi>"
        assert ltr(msg("no custody event %(event)s", event=7)) == '<bdi dir="ltr">لا يوجد حدث حيازة رقم 7</bdi>'
    with app.test_request_context(headers=ENGLISH):
        assert isolate(where) == "<bdi>with Lina Haddad</bdi>"
