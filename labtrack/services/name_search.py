"""Candidates from the name index for a list of word keys (``core.names.keys``), through the
database's text index (``models.search``): FTS5 trigram on SQLite, ``pg_trgm`` GIN on PostgreSQL.

A key is looked for at the start of a word of the stored key (`` mhmd msr ``), i.e. as the
substring ``" " + key``: an FTS5 phrase of its trigrams, a ``LIKE '% key%'`` that the trigram
index serves on PostgreSQL. Keys shorter than a trigram, and databases without the index, use a
plain substring scan (``listing.contains_text``) with the same meaning, so the answers never
depend on which path ran (tested on both databases).

    candidates(session, keys, years, every=True) -> list[Row]   # at most CANDIDATES
    search(session, keys, years) -> list[Row]

A candidate is a row (``kind``, ``person_id``, ``search_key``, ``birth_year``), not an ORM entity.

``search`` asks for every key; when no one has them all, for the keys that someone has (a word
misspelt beyond its variants, or unknown, is dropped); and last for any key. Ranking is the
caller's (rapidfuzz on this short list).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, and_, column, or_, select, table, text
from sqlmodel import Session, col

from labtrack.models import NameIndex
from labtrack.models.search import FTS_TABLE, TRGM_INDEX
from labtrack.services.listing import contains_text

CANDIDATES = 500
YEAR_SLACK = 2
TRIGRAM = 3
_FTS = table(FTS_TABLE, column("rowid"))
#: what a candidate is (plain rows, not ORM entities: a search reads up to 500 of them, and 500
#: entities per request made the garbage collector run a full collection every tenth search)
_COLUMNS = (col(NameIndex.kind), col(NameIndex.person_id), col(NameIndex.search_key), col(NameIndex.birth_year))


def text_index(session: Session) -> str:
    """``fts5``, ``trgm`` or ``""`` (no text index: the keys are scanned)."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        found = session.execute(text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
                                {"name": FTS_TABLE}).first()
        return "fts5" if found else ""
    if dialect == "postgresql":
        found = session.execute(text("SELECT 1 FROM pg_indexes WHERE indexname = :name "
                                     "AND schemaname = current_schema()"), {"name": TRGM_INDEX}).first()
        return "trgm" if found else ""
    return ""


def _word(key: str) -> str:
    return " " + key


def _scan(key: str) -> Any:
    return contains_text(col(NameIndex.search_key), _word(key))


def _like(key: str) -> Any:
    escaped = _word(key).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return col(NameIndex.search_key).like(f"%{escaped}%", escape="\\")


def _fts_query(keys: list[str], every: bool) -> str:
    phrases = ['"' + _word(k).replace('"', '""') + '"' for k in keys]
    return (" AND " if every else " OR ").join(phrases)


def candidates(session: Session, keys: list[str], years: list[int], *, every: bool,
               limit: int = CANDIDATES, index: str | None = None) -> list[Row[Any]]:
    """Rows of the name index with every key (``every``) or any key, born within
    ``YEAR_SLACK`` years of one of ``years`` (when given); at most ``limit``."""
    index = text_index(session) if index is None else index
    statement = select(*_COLUMNS).select_from(NameIndex)
    long_keys = [k for k in keys if len(_word(k)) >= TRIGRAM]
    short_keys = [k for k in keys if len(_word(k)) < TRIGRAM]
    conditions: list[Any] = []
    if index == "fts5" and long_keys and (every or not short_keys):
        statement = statement.join(_FTS, _FTS.c.rowid == NameIndex.id)
        statement = statement.where(text(f"{FTS_TABLE} MATCH :fts").bindparams(fts=_fts_query(long_keys, every)))
        conditions = [_scan(k) for k in short_keys]
    elif index == "trgm":
        conditions = [_like(k) for k in long_keys] + [_scan(k) for k in short_keys]
    else:
        conditions = [_scan(k) for k in keys]
    if conditions:
        statement = statement.where(and_(*conditions) if every else or_(*conditions))
    if years:
        statement = statement.where(or_(*(col(NameIndex.birth_year).between(y - YEAR_SLACK, y + YEAR_SLACK)
                                          for y in years)))
    return list(session.execute(statement.limit(limit)))


def search(session: Session, keys: list[str], years: list[int]) -> list[Row[Any]]:
    """Every key; else the keys that someone has, together; else any key (see the module docstring)."""
    index = text_index(session)
    rows = candidates(session, keys, years, every=True, index=index)
    if rows or len(keys) < 2:
        return rows
    known = [k for k in dict.fromkeys(keys) if candidates(session, [k], years, every=True, limit=1, index=index)]
    if len(known) > 1 and len(known) < len(set(keys)):
        rows = candidates(session, known, years, every=True, index=index)
    if not rows and known:
        rows = candidates(session, known, years, every=False, index=index)
    return rows
