"""Stored codes (states, kinds, actions, sexes) are shown as words in the page's language."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlmodel import Session

from labtrack.core import lifecycle, review_rules
from labtrack.models import custody, families, identification, inquiry, matching, profiles, samples, sites
from labtrack.services import samples as sample_service
from labtrack.web.terms import TERMS, term
from tests.conftest import login
from tests.factories import make_remains, make_site

VOCABULARIES = {
    "site status": sites.SITE_STATUSES, "remains type": sites.REMAINS_TYPES, "sex": sites.SEXES,
    "person sex": families.PERSON_SEXES, "missing status": families.MISSING_STATUSES,
    "notify preference": families.NOTIFY_PREFERENCES, "consent": families.CONSENT_KINDS,
    "sample type": samples.SAMPLE_TYPES, "location level": samples.LOCATION_LEVELS,
    "sample state": lifecycle.SAMPLE_STATES, "custody action": custody.CUSTODY_ACTIONS,
    "capture method": custody.CAPTURE_METHODS, "item kind": custody.ITEM_KINDS,
    "run status": matching.RUN_STATUSES, "review step": matching.REVIEW_STEPS,
    "profile origin": profiles.PROFILE_ORIGINS, "document kind": identification.DOCUMENT_KINDS,
    "signature": identification.SIGNATURE_MEANINGS, "notification method": identification.NOTIFICATION_METHODS,
    "review status": review_rules.STATUSES, "strength": review_rules.STRENGTHS,
    "inquiry code status": inquiry.INQUIRY_CODE_STATUSES, "inquiry access": inquiry.INQUIRY_OUTCOMES,
    "family request status": inquiry.CHANGE_STATUSES,
}


def test_every_stored_code_has_a_label() -> None:
    missing = [f"{name}: {code}" for name, codes in VOCABULARIES.items() for code in codes if code not in TERMS]
    assert missing == []


def test_unknown_codes_fall_back_to_words(app) -> None:
    with app.test_request_context():
        assert term("some_future_state") == "some future state"
        assert term(None) == ""
        assert term("in_transit") == "in transit"


def test_sample_page_speaks_arabic(client: FlaskClient, db: Session, users: dict) -> None:
    tech = users["technician"].user
    make_site(db, tech)
    remains = make_remains(db, tech)
    sample = sample_service.take_sample(session=db, remains_accession=remains.accession, sample_type="femur", by=tech)
    login(client, users["technician"])
    english = client.get(f"/samples/{sample.accession}").get_data(as_text=True)
    assert ">femur" in english and "collected" in english
    client.get("/language/ar")
    arabic = client.get(f"/samples/{sample.accession}").get_data(as_text=True)
    assert "عظم الفخذ" in arabic and "مجموعة" in arabic
    assert "collected" not in arabic and ">femur" not in arabic
