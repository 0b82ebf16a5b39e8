"""Allele-frequency tables: import (validated), the default table, the rows of one table."""

from __future__ import annotations

import hashlib

import pandas as pd
from sqlalchemy import insert
from sqlmodel import Session, select

from labtrack.core.errors import Conflict, NotFound, ProblemList
from labtrack.core.messages import msg
from labtrack.imports.frequencies import read_frequencies
from labtrack.kinship.freqs import FrequencyTable as EngineTable
from labtrack.models import FrequencyEntry, FrequencyTable, User
from labtrack.services import audit, audit_deep
from labtrack.services.transaction import write

_ENTRY = FrequencyEntry.__table__  # type: ignore[attr-defined]
FREQ_COLUMNS = ["marker", "allele", "frequency", "count", "n_alleles"]


def import_table(*, session: Session, raw: bytes, filename: str, name: str, source: str = "",
                 make_default: bool = False, by: User | str) -> FrequencyTable:
    """Store a validated ``freqs.csv`` as a new table (all or nothing).

    Entries are bulk-inserted (core ``executemany``): the audit log gets the table row (ORM) and
    one ``bulk_import`` summary entry with the file hash and the number of entries."""
    rows, problems = read_frequencies(raw, filename=filename)
    found = ProblemList(problems)
    if not rows and not problems:
        found.add(msg("the table has no rows"), file=filename)
    found.raise_if_any(msg("%(file)s: the frequency table was not imported", file=filename))
    if session.exec(select(FrequencyTable).where(FrequencyTable.name == name)).first():
        raise Conflict(msg("A frequency table named %(name)s exists already.", name=repr(name)))
    digest = hashlib.sha256(raw).hexdigest()
    with write(session, actor=by, reason=f"frequency table {name} imported from {filename}"):
        if make_default:
            for table in session.exec(select(FrequencyTable).where(FrequencyTable.is_default == True)):  # noqa: E712
                table.is_default = False
                session.add(table)
        table = FrequencyTable(name=name, source=source, file_sha256=digest, is_default=make_default)
        session.add(table)
        session.flush()
        session.execute(insert(FrequencyEntry.__table__), [  # type: ignore[attr-defined]
            {"table_id": table.id, "marker": r.marker, "allele": r.allele, "frequency": r.frequency,
             "count": r.count, "n_alleles": r.n_alleles} for r in rows])
        audit.record_event(session, action="bulk_import", entity_type="frequency_table",
                           entity_id=str(table.id), details={
                               "file": filename, "file_sha256": digest, "entries": len(rows),
                               "group_digests": {_ENTRY.name: {str(table.id): audit_deep.group_digest(
                                   _ENTRY, audit_deep.rows_of(session, _ENTRY, _ENTRY.c.table_id == table.id))}}})
    return table


def default_table(session: Session) -> FrequencyTable | None:
    return session.exec(select(FrequencyTable).where(FrequencyTable.is_default == True)).first()  # noqa: E712


def get_table(session: Session, table_id: int | None = None) -> FrequencyTable:
    """The table ``table_id``, or the default table."""
    table = session.get(FrequencyTable, table_id) if table_id else default_table(session)
    if table is None:
        raise NotFound(msg("No frequency table: import one (labtrack freqs import) or choose one."))
    return table


def table_frame(session: Session, table: FrequencyTable) -> pd.DataFrame:
    """The table's rows in the exchange columns ``marker,allele,frequency,count,n_alleles``."""
    rows = session.exec(
        select(FrequencyEntry.marker, FrequencyEntry.allele, FrequencyEntry.frequency,
               FrequencyEntry.count, FrequencyEntry.n_alleles)
        .where(FrequencyEntry.table_id == table.id).order_by(FrequencyEntry.id)  # type: ignore[arg-type]
    ).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=FREQ_COLUMNS)
    for column in ("count", "n_alleles"):
        frame[column] = frame[column].astype("Int64")
    return frame


def engine_table(session: Session, table: FrequencyTable) -> EngineTable:
    """The table as the kinship engine reads it (the same rows a match run searches with)."""
    frame = table_frame(session, table)
    return EngineTable.from_rows(
        ((m, a, float(f), None if n is pd.NA or n is None else int(n))
         for m, a, f, n in zip(frame["marker"], frame["allele"], frame["frequency"], frame["n_alleles"],
                               strict=True)),
        source=f"frequency table {table.name}")


def list_tables(session: Session) -> list[FrequencyTable]:
    return list(session.exec(select(FrequencyTable).order_by(FrequencyTable.name)))
