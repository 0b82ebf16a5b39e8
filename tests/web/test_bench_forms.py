"""The bench forms (sites, remains, samples, storage, custody corrections, labels) on Flask-WTF:
a refused form comes back with what was typed and every error beside its field, in the page's
language; a decimal comma and Arabic-Indic digits are read; dates that have not happened yet are
refused; nothing is saved half-way (issue #12 items 3 and "Bad input")."""

from __future__ import annotations

import re
from datetime import date, timedelta

from flask.testing import FlaskClient
from sqlmodel import Session, select

from labtrack.models import AuditEntry, Remains, Sample, Site
from tests import factories


def fresh(db: Session) -> Session:
    db.rollback()
    return db


def errors_by_field(page: str) -> dict[str, str]:
    """Each field's error text, from the ``<p class="field-error" id="<field>-error">`` beside it."""
    return {name: text.strip() for name, text in
            re.findall(r'<p class="field-error" role="alert" id="(\w+)-error">([^<]*)</p>', page)}


def value_of(page: str, name: str) -> str | None:
    """The value of the form's input ``name`` (found by its id, which wtforms sets to the field name)."""
    tag = re.search(rf'<input\b[^>]*\bid="{name}"[^>]*>', page)
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0)) if tag else None
    return value.group(1) if value else None


def test_a_refused_remains_form_keeps_every_value_and_shows_all_errors_at_once(
        client: FlaskClient, db: Session, users: dict, login_as) -> None:  # noqa: ANN001
    factories.make_site(db, users["technician"].user)
    audit_before = len(db.exec(select(AuditEntry)).all())
    login_as("technician")
    future = (date.today() + timedelta(days=400)).isoformat()
    answer = client.post("/sites/QTF/remains", data={
        "remains_type": "partial", "trench": "T3", "grid": "B7", "depth_m": "deep", "recovered_on": future,
        "recovery_team": "Team A", "est_sex": "M", "est_age_min": "40", "est_age_max": "130",
        "est_stature_cm": "20", "notes": "left femur"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    errors = errors_by_field(page)
    assert errors == {
        "depth_m": "Enter a number, e.g. 1.5 or 1,5.",
        "recovered_on": "This date is in the future; enter the day it happened.",
        "est_age_max": "Age is between 0 and 120 years.",
        "est_stature_cm": "Stature is between 50 and 250 cm.",
    }
    for name, typed in {"trench": "T3", "grid": "B7", "depth_m": "deep", "recovered_on": future,
                        "recovery_team": "Team A", "est_age_min": "40", "est_age_max": "130"}.items():
        assert value_of(page, name) == typed, name
    assert re.search(r'<option selected value="M">', page) and "left femur</textarea>" in page
    assert 'aria-invalid="true"' in page and "Nothing was saved" in page
    assert fresh(db).exec(select(Remains)).all() == []
    assert len(db.exec(select(AuditEntry)).all()) == audit_before


def test_decimal_comma_and_arabic_digits_are_read(client: FlaskClient, db: Session, users: dict,
                                                  login_as) -> None:  # noqa: ANN001
    factories.make_site(db, users["technician"].user)
    login_as("technician")
    answer = client.post("/sites/QTF/remains", data={
        "remains_type": "complete_body", "depth_m": "1,5", "est_stature_cm": "١٧٢٫٥", "est_age_min": "٣٥",
        "recovered_on": "٢٠٢٤-٠٣-١٧", "est_sex": "U"})
    assert answer.status_code == 302
    remains = fresh(db).exec(select(Remains)).one()
    assert (remains.depth_m, remains.est_stature_cm, remains.est_age_min, remains.recovered_on) == \
        (1.5, 172.5, 35, date(2024, 3, 17))


def test_the_age_range_and_the_service_rules_come_back_beside_the_fields(
        client: FlaskClient, db: Session, users: dict, login_as) -> None:  # noqa: ANN001
    login_as("technician")
    answer = client.post("/sites/", data={"code": "Q1", "name_en": "", "name_ar": "al-Qutayfah",
                                          "latitude": "95", "status": "active"})
    assert answer.status_code == 422
    errors = errors_by_field(answer.get_data(as_text=True))
    assert errors == {"code": "A site code is three letters A-Z, e.g. QTF.", "name_en": "Enter the English name.",
                      "name_ar": "Write this in Arabic script.", "latitude": "Latitude is between -90 and 90."}
    assert client.post("/sites/", data={"code": "qtf", "name_en": "al-Qutayfah", "name_ar": "القطيفة",
                                        "latitude": "33,7", "status": "active"}).status_code == 302
    assert fresh(db).exec(select(Site)).one().latitude == 33.7
    again = client.post("/sites/", data={"code": "QTF", "name_en": "Another", "status": "active"})
    page = again.get_data(as_text=True)
    assert again.status_code == 422 and "a site with code QTF exists already" in page
    assert value_of(page, "name_en") == "Another"
    answer = client.post("/sites/QTF/remains", data={"remains_type": "partial", "est_age_min": "50",
                                                     "est_age_max": "30"})
    assert errors_by_field(answer.get_data(as_text=True)) == {"est_age_max": "The upper age is below the lower age."}
    assert fresh(db).exec(select(Remains)).all() == []


def test_a_closed_site_refuses_remains_with_its_reason(client: FlaskClient, db: Session, users: dict,
                                                           login_as) -> None:  # noqa: ANN001
    from labtrack.services.transaction import write

    site = factories.make_site(db, users["technician"].user)
    with write(db, actor=users["admin"].user, reason="exhumation finished"):
        site.status = "closed"
        db.add(site)
    login_as("technician")
    answer = client.post("/sites/QTF/remains", data={"remains_type": "partial", "trench": "T9"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "site QTF is closed: no new remains can be registered there" in page
    assert 'id="remains-form"' not in page  # a closed site shows no register form, only the refusal
    assert fresh(db).exec(select(Remains)).all() == []


def test_errors_read_in_arabic_on_an_arabic_page(client: FlaskClient, db: Session, users: dict,
                                                  login_as) -> None:  # noqa: ANN001
    factories.make_site(db, users["technician"].user)
    login_as("technician")
    client.get("/language/ar")
    future = (date.today() + timedelta(days=3)).isoformat()
    answer = client.post("/sites/QTF/remains", data={"remains_type": "partial", "depth_m": "عميق",
                                                     "recovered_on": future})
    errors = errors_by_field(answer.get_data(as_text=True))
    assert errors["depth_m"] == "أدخل رقمًا، مثل 1.5 أو 1,5."
    assert errors["recovered_on"] == "هذا التاريخ في المستقبل؛ أدخل اليوم الذي حدث فيه."
    assert value_of(answer.get_data(as_text=True), "depth_m") == "عميق"


def test_a_sample_cannot_be_collected_tomorrow(client: FlaskClient, db: Session, users: dict,
                                               login_as) -> None:  # noqa: ANN001
    tech = users["technician"].user
    factories.make_site(db, tech)
    remains = factories.make_remains(db, tech)
    login_as("technician")
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    answer = client.post(f"/samples/from/{remains.accession}", data={"sample_type": "tooth",
                                                                     "collected_on": tomorrow, "notes": "molar"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and remains.accession in page
    assert errors_by_field(page) == {"collected_on": "This date is in the future; enter the day it happened."}
    assert value_of(page, "notes") == "molar" and re.search(r'<option selected value="tooth">', page)
    assert fresh(db).exec(select(Sample)).all() == []
    answer = client.post(f"/samples/from/{remains.accession}", data={"sample_type": "tooth",
                                                                     "collected_on": date.today().isoformat()})
    assert answer.status_code == 302 and fresh(db).exec(select(Sample)).one().collected_on == date.today()


def test_a_custody_correction_names_an_unknown_badge_beside_its_field(
        client: FlaskClient, db: Session, users: dict, login_as) -> None:  # noqa: ANN001
    from labtrack.models import CustodyEvent

    tech = users["technician"].user
    factories.make_site(db, tech)
    remains = factories.make_remains(db, tech)
    events_before = len(db.exec(select(CustodyEvent)).all())
    event_id = db.exec(select(CustodyEvent)).first().id
    login_as("technician")
    answer = client.post(f"/custody/items/{remains.accession}/corrections", data={
        "event_id": str(event_id), "to_badge": "NO-SUCH-BADGE", "reason": "scanned the wrong shelf"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert errors_by_field(page) == {"to_badge": "No person has this badge."}
    assert value_of(page, "reason") == "scanned the wrong shelf"
    answer = client.post(f"/custody/items/{remains.accession}/corrections", data={"event_id": str(event_id)})
    assert errors_by_field(answer.get_data(as_text=True)) == {"reason": "Give the reason for the correction."}
    assert len(fresh(db).exec(select(CustodyEvent)).all()) == events_before


def test_labels_form_names_the_line_of_an_unknown_id(client: FlaskClient, db: Session, users: dict,
                                                      login_as) -> None:  # noqa: ANN001
    tech = users["technician"].user
    factories.make_site(db, tech)
    remains = factories.make_remains(db, tech)
    login_as("technician")
    page = client.get(f"/labels/?items={remains.accession}").get_data(as_text=True)
    assert f"{remains.accession}</textarea>" in page
    answer = client.post("/labels/", data={"items": f"{remains.accession}\nQTF-99999-XX", "layout": "sheet"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert errors_by_field(page)["items"].startswith("Line 2: ")
    assert f"{remains.accession}\nQTF-99999-XX</textarea>" in page


def test_missing_person_dates_that_have_not_happened_are_refused(client: FlaskClient, db: Session,
                                                                 login_as) -> None:  # noqa: ANN001
    from labtrack.models import MissingPerson

    login_as("coordinator")
    next_year = date.today().year + 1
    answer = client.post("/missing-persons/", data={
        "case_number": "MP-2026-0101", "name_latin": "Omar (fictional)", "sex": "M",
        "birth_year": str(next_year), "disappeared_on": f"{next_year}-01-05", "height_cm": "171,5",
        "different_person": "y"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert errors_by_field(page) == {"birth_year": "This year is in the future.",
                                     "disappeared_on": "This date is in the future; enter the day it happened."}
    assert value_of(page, "height_cm") == "171,5" and value_of(page, "name_latin") == "Omar (fictional)"
    assert fresh(db).exec(select(MissingPerson)).all() == []
    answer = client.post("/missing-persons/", data={
        "case_number": "MP-2026-0101", "name_latin": "Omar (fictional)", "sex": "M", "birth_year": "1990",
        "disappeared_on": "2014-02-02", "height_cm": "171,5", "different_person": "y"})
    assert answer.status_code == 302
    assert fresh(db).exec(select(MissingPerson)).one().height_cm == 171.5


def test_a_refused_consent_comes_back_on_the_donor_page(client: FlaskClient, db: Session,
                                                         login_as) -> None:  # noqa: ANN001
    from labtrack.models import ConsentRecord

    login_as("coordinator")
    donor = client.post("/donors/", data={"code": "D-0101", "sex": "F"})
    assert donor.status_code == 302
    detail = donor.headers["Location"]
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    answer = client.post(f"{detail}/consent", data={"identification_only": "y", "retention_years": "١٠",
                                                    "given_on": tomorrow, "collected_by": "Field team 2"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "D-0101" in page
    assert errors_by_field(page) == {"given_on": "This date is in the future; enter the day it happened."}
    assert value_of(page, "collected_by") == "Field team 2"
    assert fresh(db).exec(select(ConsentRecord)).all() == []
