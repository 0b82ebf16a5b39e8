"""Lengths on the remains page and in the site's list of remains carry their unit in the reader's
language (issue #12 item 2): 1.4 m and 172.5 cm in English, 1.4 م and 172.5 سم in Arabic, the number kept
left to right."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session

from labtrack.services import intake
from tests.conftest import login
from tests.factories import make_site


@pytest.mark.parametrize(("language", "metre", "centimetre"), [("en", "m", "cm"), ("ar", "م", "سم")])
def test_depth_and_stature_carry_their_unit_in_the_readers_language(
        client: FlaskClient, db: Session, users: dict, language: str, metre: str, centimetre: str) -> None:
    make_site(db, users["technician"].user)
    remains = intake.register_remains(
        session=db, site_code="QTF", by=users["technician"].user,
        data=intake.RemainsInput(remains_type="complete_body", recovery_team="Field team 1",
                                 depth_m=1.4, est_stature_cm=172.5))
    login(client, users["technician"])
    client.get(f"/language/{language}")
    depth = f'<bdi dir="ltr">1.4</bdi> {metre}'
    stature = f'<bdi dir="ltr">172.5</bdi> {centimetre}'
    for path in (f"/sites/remains/{remains.accession}", "/sites/QTF"):
        page = client.get(path).get_data(as_text=True)
        assert depth in page and stature in page, path
        if language == "ar":
            assert "1.4</bdi> m" not in page and "172.5</bdi> cm" not in page, path
