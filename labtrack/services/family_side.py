"""The family side of a search, kept in a worker between runs of a few new remains.

A run of one new remains (continuous matching) searches it against every family. Reading every
reference profile and pedigree from the database and building the engine's input from them takes
minutes at 100,000 families, while only the remains is new. ``FamilySideCache`` keeps what a run
builds from the families (the exchange rows of the pedigrees, of the references they use and of
the frequency table, their bytes and the engine's objects) and reuses it while the database's
family-side version (``models.family_side``: advanced by triggers, in the writing transaction, on
every change of families, pedigrees, reference samples and profiles, consents and frequency
tables) is the one it was built at. The version is read before the data, in the same transaction:
a change that commits in between makes the next run rebuild (a false miss), never search stale
families. A database whose counter or triggers are missing is read afresh on every run.

A run built this way stores the same input SHA-256 as a run built from scratch
(``search_input.build_search_input``): the files are composed from the kept bytes and the remains'
rows (merged in the order the full read gives) and hashed as ``SearchInput.sha256`` hashes them.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import text
from sqlmodel import Session, select

from labtrack.models import Sample
from labtrack.models.family_side import expected_triggers, version_sql
from labtrack.services.search_input import (
    EngineInput,
    build_search_input,
    dropout_csv,
    engine_genotypes,
    files_sha256,
    own_dropout,
    searchable_genotypes,
)


@dataclass(frozen=True)
class FamilySide:
    """What a search reads about the families, built at family-side ``version`` (None: a database
    that cannot say, never reused)."""

    version: int | None
    frequency_table_id: int
    #: the engine's input of a search of no remains: every pedigree, the references they use, the table
    engine: EngineInput
    #: the sorted accessions of those references, and where each one's rows start in ``rows_csv``
    references: list[str]
    offsets: list[int]
    header: bytes
    rows_csv: bytes
    files: dict[str, bytes]
    #: SHA-256 of the family side's files: the engine's family key (``TableCache``)
    digest: str


@dataclass(frozen=True)
class RemainsSearch:
    """The input of a run of some remains against every family, and what it searched."""

    engine: EngineInput
    sha256: str
    family_key: str


def current_version(session: Session) -> int | None:
    """The family-side version, or None when the counter or any of its triggers is missing."""
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        return None
    version, triggers = session.exec(text(version_sql(dialect))).one()  # type: ignore[call-overload]
    if version is None or int(triggers) != expected_triggers(dialect):
        return None
    return int(version)


def build_family_side(session: Session, frequency_table_id: int, version: int | None) -> FamilySide:
    """Read the family side (call it after reading ``version``, in the same transaction)."""
    search_input = build_search_input(session=session, frequency_table_id=frequency_table_id, remains=[])
    files = search_input.files()
    genotypes_csv = files["genotypes.csv"]
    header_end = genotypes_csv.index(b"\n") + 1
    header, rows_csv = genotypes_csv[:header_end], genotypes_csv[header_end:]
    samples = search_input.genotypes["sample_id"].tolist()
    references, offsets, position = [], [], 0
    lines = rows_csv.split(b"\n")[:-1] if rows_csv else []
    if len(lines) != len(samples):
        raise ValueError("a genotype row of the family side spans several lines")  # a value with a newline
    for sample, line in zip(samples, lines, strict=True):
        if not references or references[-1] != sample:
            references.append(sample)
            offsets.append(position)
        position += len(line) + 1
    offsets.append(position)
    return FamilySide(version, frequency_table_id, search_input.engine_input(), references, offsets,
                      header, rows_csv, files, files_sha256(files))


class FamilySideCache:
    """One family side, kept while the database's family-side version is unchanged (see the
    module docstring)."""

    def __init__(self) -> None:
        self.side: FamilySide | None = None
        self.hits = 0
        self.builds = 0

    def get(self, session: Session, frequency_table_id: int) -> FamilySide:
        version = current_version(session)  # first: a change committed after it is a miss next time
        side = self.side
        if side is not None and version is not None and side.version == version \
                and side.frequency_table_id == frequency_table_id:
            self.hits += 1
            return side
        self.side = None  # never two family sides at once
        side = build_family_side(session, frequency_table_id, version)
        self.builds += 1
        if version is not None:
            self.side = side
        return side

    def clear(self) -> None:
        self.side = None


def remains_search(session: Session, cache: FamilySideCache, frequency_table_id: int,
                   remains: list[str]) -> RemainsSearch | None:
    """The input of a run of ``remains`` (sample accessions of remains) against every family, its
    family side from ``cache``; None when a listed sample is not a remains sample (the run then
    reads everything: ``build_search_input``)."""
    kinds = session.exec(select(Sample.accession, Sample.remains_id).where(
        Sample.accession.in_(sorted(set(remains))))).all()  # type: ignore[attr-defined]
    if any(remains_id is None for _, remains_id in kinds):
        return None
    side = cache.get(session, frequency_table_id)
    rows, searchable = searchable_genotypes(session, remains, references=False)
    chosen = set(remains)
    searchable = [accession for accession in searchable if accession in chosen]
    rows = rows[rows["sample_id"].isin(set(searchable))].reset_index(drop=True)
    dropout = own_dropout(session, set(searchable))
    files = dict(side.files)
    files["genotypes.csv"] = _merged_genotypes(side, rows)
    files["remains.txt"] = "".join(f"{s}\n" for s in searchable).encode("utf-8")
    if dropout:
        files["remains_dropout.csv"] = dropout_csv(dropout)
    family = side.engine
    engine = EngineInput(table=family.table, pedigrees=family.pedigrees,
                         genotypes={**family.genotypes, **engine_genotypes(rows)}, remains=searchable,
                         problems=list(family.problems), remains_dropout=dropout)
    return RemainsSearch(engine, files_sha256(files), side.digest)


def _merged_genotypes(side: FamilySide, rows: pd.DataFrame) -> bytes:
    """``genotypes.csv`` of the family side's references and the remains' ``rows``, in the order
    of (sample, locus) as ``searchable_genotypes`` gives it."""
    if rows.empty:
        return side.header + side.rows_csv
    remains_csv = rows.to_csv(index=False, header=False, lineterminator="\n").encode("utf-8")
    lines = remains_csv.split(b"\n")[:-1]
    if len(lines) != len(rows):
        raise ValueError("a genotype row of the remains spans several lines")
    pieces, start = [side.header], 0
    by_sample: dict[str, list[bytes]] = {}
    for sample, line in zip(rows["sample_id"].tolist(), lines, strict=True):
        by_sample.setdefault(sample, []).append(line + b"\n")
    for sample in sorted(by_sample):
        at = bisect_left(side.references, sample)
        pieces.append(side.rows_csv[side.offsets[start]:side.offsets[at]])
        pieces += by_sample[sample]
        start = at
    pieces.append(side.rows_csv[side.offsets[start]:])
    return b"".join(pieces)
