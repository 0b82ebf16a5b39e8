"""The profiles list filters by the kind of quality remark (issue #12): a select of the kinds in the
reader's language; the filter matches the remark's message id as the import keeps it (so it finds
the same profiles whatever the language), and the English text of profiles imported before the
remarks were kept as messages; through a partial index of the profiles with a remark."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from sqlmodel import Session

from labtrack.core.qc_remarks import QC_REMARK_KINDS
from labtrack.models import Profile
from labtrack.services import demo, listing
from labtrack.services import lists as list_specs
from labtrack.services.transaction import write

ROOT = Path(__file__).resolve().parents[2]
LISTED = re.compile(r'<a href="/profiles/(\d+)">')


def _listed(client: FlaskClient, language: str, **params: str) -> tuple[set[int], str]:
    page = client.get("/profiles/", query_string={"per": "200", **params}, headers={"Accept-Language": language})
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    return {int(found) for found in LISTED.findall(body)}, body


def _with_remark(db: Session, kind: str) -> set[int]:
    """Current profiles whose kept remarks include ``kind``'s message id, read in Python."""
    found = set()
    for profile in db.exec(select(Profile).where(Profile.superseded == False)).scalars():  # noqa: E712
        kept = json.loads(profile.qc_notes_json) if profile.qc_notes_json else []
        if any(note["msg"] == QC_REMARK_KINDS[kind] for note in kept):
            found.add(profile.id)
    return found


@pytest.fixture
def demo_profiles(db: Session, login_as) -> Session:  # noqa: ANN001
    demo.load_demo(db)
    login_as("analyst")
    return db


def test_the_filter_lists_exactly_the_profiles_with_a_remark_of_that_kind(client: FlaskClient,
                                                                            demo_profiles: Session) -> None:
    every, _ = _listed(client, "en")
    current = demo_profiles.execute(select(Profile.id).where(Profile.superseded == False)).scalars()  # noqa: E712
    assert every == set(current) and len(every) > 10
    staff = _with_remark(demo_profiles, "qc_staff_match")
    few = _with_remark(demo_profiles, "qc_few_loci")
    assert staff and few  # the demo data holds both kinds
    for kind in QC_REMARK_KINDS:
        expected = _with_remark(demo_profiles, kind)
        for language in ("en", "ar"):
            listed, body = _listed(client, language, qc_remark=kind)
            assert listed == expected, (kind, language)
            assert f'<option value="{kind}" selected>' in body
    # together with another filter
    listed, _ = _listed(client, "ar", qc_remark="qc_staff_match", origin="remains")
    assert listed == staff


def test_the_kinds_are_named_in_the_readers_language(client: FlaskClient, demo_profiles: Session) -> None:
    _, arabic = _listed(client, "ar")
    assert "ملاحظة ضبط الجودة" in arabic
    assert '<option value="qc_staff_match" >تطابق مع موظف (تلوّث؟)</option>' in arabic
    assert '<option value="qc_few_loci" >مواقع منمّطة أقل من اللازم</option>' in arabic
    _, english = _listed(client, "en")
    assert "QC remark" in english and '<option value="qc_staff_match" >staff match (contamination?)</option>' in english


def test_a_profile_imported_before_0028_is_found_by_its_english_text(client: FlaskClient,
                                                                      demo_profiles: Session) -> None:
    staff = _with_remark(demo_profiles, "qc_staff_match")
    old = min(staff)
    with write(demo_profiles, actor="test-setup"):
        stored = demo_profiles.get(Profile, old)
        assert stored is not None
        stored.qc_notes_json = ""  # English text only, as before the remarks were kept as messages
        demo_profiles.add(stored)
    listed, _ = _listed(client, "ar", qc_remark="qc_staff_match")
    assert listed == staff
    # a profile without any remark is never read as having one
    listed, _ = _listed(client, "ar", qc_remark="qc_replicate")
    assert listed == _with_remark(demo_profiles, "qc_replicate")


def test_an_unknown_kind_is_left_out_with_a_notice(client: FlaskClient, demo_profiles: Session) -> None:
    every, _ = _listed(client, "en")
    listed, body = _listed(client, "en", qc_remark="qc_nonsense")
    assert listed == every and "qc_nonsense" in body and "is not one of the choices" in body


def test_the_filter_reads_only_the_profiles_with_a_remark(demo_profiles: Session) -> None:
    """SQLite's plan of the count and of the page goes through ix_profile_qc_remarked (the few
    profiles with a remark), not through every profile."""
    request = listing.parse(list_specs.PROFILES, {"qc_remark": "qc_staff_match"}, identities=True)
    statement, _columns = listing._filtered(list_specs.PROFILES, request, True)
    connection = demo_profiles.connection()
    if connection.dialect.name != "sqlite":
        pytest.skip("the plan is checked on SQLite")
    for query in (select(func.count()).select_from(statement.subquery()), statement.limit(50)):
        compiled = query.compile(connection, compile_kwargs={"literal_binds": True})
        plan = " | ".join(str(row[-1]) for row in connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        assert "ix_profile_qc_remarked" in plan, plan


def test_every_kind_is_a_remark_the_import_writes() -> None:
    """Each kind's message id is written by the profile import (a msg() literal there) and is in the
    Arabic catalogue; every remark of the demo data has its kind (checked above through the lists)."""
    sources = (ROOT / "labtrack" / "imports" / "profiles.py").read_text() + \
        (ROOT / "labtrack" / "services" / "profile_import.py").read_text()
    written = set(re.findall(r'msg\("((?:[^"\\]|\\.)*)"', sources))
    with (ROOT / "labtrack" / "translations" / "ar" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    for kind, message_id in QC_REMARK_KINDS.items():
        assert message_id in written, kind
        assert catalogue[message_id] is not None and catalogue[message_id].string, kind
    remarks = {m for m in written if m in set(QC_REMARK_KINDS.values())}
    assert remarks == set(QC_REMARK_KINDS.values())


def test_an_arabic_word_of_a_remark_finds_its_profiles(client: FlaskClient, demo_profiles: Session) -> None:
    """The text search finds a remark by a word of its wording in the reader's language (without
    the short-vowel marks): "تلوث" (contamination) the staff matches, "منمطة" (typed) the partial
    profiles; in English the English text finds them as before."""
    staff = _with_remark(demo_profiles, "qc_staff_match")
    few = _with_remark(demo_profiles, "qc_few_loci")
    assert _listed(client, "ar", q="تلوث")[0] == staff
    assert _listed(client, "ar", q="المنمطة")[0] == few
    assert _listed(client, "en", q="contamination")[0] == staff
    assert _listed(client, "en", q="تلوث")[0] == set()  # an Arabic word on an English page is no remark
    # the same rows in the export of that search
    export = client.get("/profiles/", query_string={"q": "تلوث", "export": "csv"}, headers={"Accept-Language": "ar"})
    lines = export.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert {int(line.split(",")[0]) for line in lines[1:]} == staff
