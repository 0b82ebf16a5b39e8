"""A profile's quality remarks are kept as message ids with parameters and said in the reader's
language on the profile pages and in the API; older profiles (English text only) read as written."""

from __future__ import annotations

import json

from flask.testing import FlaskClient
from sqlmodel import Session, select

from labtrack.models import Profile, Sample
from labtrack.services import demo
from labtrack.services.transaction import write

ARABIC = {"Accept-Language": "ar"}


def _profile(db: Session, accession: str) -> Profile:
    db.rollback()
    return db.exec(select(Profile).join(Sample, Sample.id == Profile.sample_id)  # type: ignore[arg-type]
                   .where(Sample.accession == accession, Profile.superseded == False)).one()  # noqa: E712


def test_staff_match_and_partial_profile_remarks_in_arabic(client: FlaskClient, db: Session, login_as) -> None:  # noqa: ANN001
    demo.load_demo(db)
    contaminated, partial = _profile(db, "QTF-00004-S01-LU"), _profile(db, "NJH-00001-S02-MU")
    [staff] = json.loads(contaminated.qc_notes_json)
    assert staff["msg"] == "STAFF MATCH: matches staff member %(staff)s at %(loci)s loci (contamination?)"
    assert staff["params"]["staff"] == "STAFF-02" and "STAFF MATCH" in contaminated.qc_notes  # English kept
    assert json.loads(partial.qc_notes_json)[0]["msg"] == \
        "%(count)s typed autosomal loci, fewer than %(least)s: not searched"
    login_as("analyst")
    page = client.get(f"/profiles/{contaminated.id}", headers=ARABIC).get_data(as_text=True)
    assert "تطابق مع موظف: يطابق الموظف STAFF-02 في" in page and "STAFF MATCH" not in page
    listed = client.get("/profiles/?per_page=200", headers=ARABIC).get_data(as_text=True)
    assert "عدد المواقع الجسدية المنمّطة 8، أقل من" in listed and "typed autosomal loci" not in listed
    quality = client.get("/profiles/quality", headers=ARABIC).get_data(as_text=True)
    assert "تطابق مع موظف" in quality
    api = {p["owner"]: p for p in client.get("/api/v1/profiles", headers=ARABIC).get_json()}
    assert api["QTF-00004-S01-LU"]["qc_notes"].startswith("تطابق مع موظف: يطابق الموظف STAFF-02 في")
    english = {p["owner"]: p for p in client.get("/api/v1/profiles", headers={"Accept-Language": "en"}).get_json()}
    assert english["QTF-00004-S01-LU"]["qc_notes"] == contaminated.qc_notes


def test_a_profile_imported_before_shows_its_english_remarks(client: FlaskClient, db: Session, login_as) -> None:  # noqa: ANN001
    demo.load_demo(db)
    profile = _profile(db, "QTF-00004-S01-LU")
    with write(db, actor="test-setup"):
        stored = db.get(Profile, profile.id)
        assert stored is not None
        stored.qc_notes, stored.qc_notes_json = "an old remark in English", ""
        db.add(stored)
    login_as("analyst")
    page = client.get(f"/profiles/{profile.id}", headers=ARABIC).get_data(as_text=True)
    assert "an old remark in English" in page
