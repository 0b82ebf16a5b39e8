"""IDs with room to grow: numbers past the widths of the first labels, counters, and capacity refused."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from labtrack.core import ids
from labtrack.core.errors import Conflict
from labtrack.core.scanning import read_scan
from labtrack.models import AccessionCounter, IssuedDocument, Remains, Sample, Site, utcnow
from labtrack.services import donors, issued_documents, samples
from labtrack.services.transaction import write
from tests import factories


@pytest.fixture
def tech(users: dict):
    return users["technician"].user


@pytest.fixture
def coordinator(users: dict):
    return users["coordinator"].user


def _set_next_remains(db: Session, tech, number: int) -> None:
    with write(db, actor=tech):
        site = db.exec(select(Site).where(Site.code == "QTF")).one()
        site.next_remains_number = number
        db.add(site)


def test_remains_numbers_grow_past_99999_and_stop_at_capacity(db: Session, tech) -> None:
    factories.make_site(db, tech, "QTF")
    _set_next_remains(db, tech, 99_999)
    last_short, first_long = factories.make_remains(db, tech), factories.make_remains(db, tech)
    assert last_short.accession == ids.remains_id("QTF", 99_999) and last_short.accession.startswith("QTF-99999-")
    assert first_long.accession.startswith("QTF-100000-") and first_long.number == 100_000
    assert read_scan(first_long.accession.lower()).accession == first_long.accession
    sample = samples.take_sample(session=db, remains_accession=first_long.accession, sample_type="femur", by=tech)
    assert sample.accession.startswith("QTF-100000-S01-") and ids.parse(sample.accession).remains_number == 100_000
    _set_next_remains(db, tech, ids.CAPACITY["remains"])
    biggest = factories.make_remains(db, tech)
    assert biggest.accession == ids.remains_id("QTF", 9_999_999)
    with pytest.raises(Conflict, match="as many as its IDs can number"):
        factories.make_remains(db, tech)
    assert len(db.exec(select(Remains)).all()) == 3


def test_the_hundredth_sample_of_remains_is_refused_cleanly(db: Session, tech) -> None:
    factories.make_site(db, tech, "QTF")
    remains = factories.make_remains(db, tech)
    with write(db, actor=tech):
        remains.next_sample_number = 99
        db.add(remains)
    last = samples.take_sample(session=db, remains_accession=remains.accession, sample_type="tooth", by=tech)
    assert last.accession.startswith(f"{remains.accession[:-3]}-S99-")
    with pytest.raises(Conflict, match="99 samples"):
        samples.take_sample(session=db, remains_accession=remains.accession, sample_type="tooth", by=tech)
    assert [s.accession for s in db.exec(select(Sample))] == [last.accession]


def test_reference_kits_are_numbered_by_a_counter_past_10_million(db: Session, coordinator) -> None:
    _, first = donors.register_donor(session=db, by=coordinator, code="D-1")
    assert first.accession == ids.reference_id(1, "A")
    assert db.get(AccessionCounter, "reference").next_number == 2
    with write(db, actor=coordinator):
        counter = db.get(AccessionCounter, "reference")
        counter.next_number = 9_999_999
        db.add(counter)
    donor, short = donors.register_donor(session=db, by=coordinator, code="D-2")
    _, long = donors.register_donor(session=db, by=coordinator, code="D-3")
    assert short.accession.startswith("REF-9999999-A-") and long.accession.startswith("REF-10000000-A-")
    second_kit = donors.add_reference_sample(session=db, donor_id=donor.id, by=coordinator)
    assert second_kit.accession == ids.reference_id(9_999_999, "B")
    assert ids.reference_number(long.accession) == 10_000_000


def test_a_reference_series_without_a_counter_starts_after_the_highest_kit(db: Session, coordinator) -> None:
    donor, _ = donors.register_donor(session=db, by=coordinator, code="D-1")
    with write(db, actor=coordinator):  # as on a database from before the counters, with an imported kit
        db.delete(db.get(AccessionCounter, "reference"))
        db.add(Sample(accession=ids.reference_id(123_456, "A"), donor_id=donor.id, sample_type="blood"))
    _, next_kit = donors.register_donor(session=db, by=coordinator, code="D-2")
    assert next_kit.accession == ids.reference_id(123_457, "A")
    assert db.get(AccessionCounter, "reference").next_number == 123_458


def test_documents_are_numbered_per_year_by_a_counter(db: Session, coordinator) -> None:
    year = utcnow().year
    with write(db, actor=coordinator):  # a document issued before the counters existed
        db.add(IssuedDocument(number=f"DOC-{year}-000041-XX", kind="certificate", record_type="identification",
                              record_id=None, sha256="0" * 64, params_json="{}", issued_by_id=coordinator.id))
    with write(db, actor=coordinator):
        first = issued_documents.reserve_number(db)
    assert first == ids.document_number(year, 42)
    with write(db, actor=coordinator):
        db.get(AccessionCounter, f"document-{year}").next_number = 999_999
    with write(db, actor=coordinator):
        assert issued_documents.reserve_number(db) == ids.document_number(year, 999_999)
        assert issued_documents.reserve_number(db).startswith(f"DOC-{year}-1000000-")
    with write(db, actor=coordinator):
        db.get(AccessionCounter, f"document-{year}").next_number = ids.CAPACITY["document"] + 1
    with write(db, actor=coordinator), pytest.raises(Conflict, match="no document numbers are left"):
        issued_documents.reserve_number(db)
