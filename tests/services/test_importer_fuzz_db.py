"""Property-based fuzzing of the database importers (hypothesis): a profile, pedigree or
frequency-table file is stored whole or not at all. Whatever the bytes, the import raises nothing
but a domain error (ValidationFailed, Conflict: a 4xx with the problems), and a refused import
leaves every table as it was: no half-written rows, no audit entries. Deterministic and bounded."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

from labtrack.core.errors import DomainError
from labtrack.services import frequencies, pedigree_exchange, profile_import
from tests.core.test_importer_fuzz import HEADERS, XML, table

DB_FUZZ = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                          HealthCheck.data_too_large])


def _counts(db: Session) -> dict[str, int]:
    return {name: db.execute(select(func.count()).select_from(t)).scalar_one()
            for name, t in SQLModel.metadata.tables.items()}


def _stored_whole_or_not_at_all(db: Session, store: Callable[[], object]) -> None:
    before = _counts(db)
    try:
        store()
    except DomainError as error:
        assert error.message
        db.rollback()
        assert _counts(db) == before  # nothing half-written, not even an audit entry
    else:
        db.commit()


@DB_FUZZ
@given(raw=st.one_of(table(HEADERS["profiles"]), table(HEADERS["genemapper"]), XML))
def test_profile_import_is_all_or_nothing(db: Session, users: dict, raw: bytes) -> None:
    _stored_whole_or_not_at_all(db, lambda: profile_import.import_profiles(
        session=db, raw=raw, filename="fuzz.csv", by=users["analyst"].user))


@DB_FUZZ
@given(raw=table(HEADERS["pedigrees"]))
def test_pedigree_import_is_all_or_nothing(db: Session, users: dict, raw: bytes) -> None:
    _stored_whole_or_not_at_all(db, lambda: pedigree_exchange.import_pedigrees(
        session=db, raw=raw, filename="fuzz.csv", by=users["coordinator"].user))


@DB_FUZZ
@given(raw=table(HEADERS["freqs"]), name=st.sampled_from(["t1", "t2"]))
def test_frequency_table_import_is_all_or_nothing(db: Session, users: dict, raw: bytes, name: str) -> None:
    _stored_whole_or_not_at_all(db, lambda: frequencies.import_table(
        session=db, raw=raw, filename="fuzz.csv", name=name, by=users["analyst"].user))
