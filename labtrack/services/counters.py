"""Numbers of the lab-wide series of accession IDs (reference kits, documents of a year).

A counter row per series replaces counting rows (``count(*)`` of 10⁷ reference samples on every
registration). The row is read with ``FOR UPDATE`` inside the caller's write transaction, so two
writers never take the same number. A series without a row (a database from before the counters, a
new year) starts after the highest number already used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlmodel import Session, select

from labtrack.models import AccessionCounter, IssuedDocument, Sample

_DOCUMENT = re.compile(r"^DOC-(\d{4})-(\d+)-")
_REFERENCE = re.compile(r"^REF-(\d+)-")


def take(session: Session, name: str, first: int) -> int:
    """The next number of series ``name`` (``first`` when the series has no row yet); advances it."""
    row = session.get(AccessionCounter, name, with_for_update=True)
    if row is None:
        row = AccessionCounter(name=name, next_number=first)
    number = row.next_number
    row.next_number = number + 1
    session.add(row)
    session.flush()
    return number


def _after_highest(pattern: re.Pattern[str], values: Iterable[str], group: int = 1) -> int:
    numbers = [int(found.group(group)) for value in values if (found := pattern.match(value))]
    return max(numbers, default=0) + 1


def next_reference_number(session: Session) -> int:
    """The number of the next reference kit (``REF-<number>-A``)."""
    if session.get(AccessionCounter, "reference") is not None:
        return take(session, "reference", 1)
    used = session.exec(select(Sample.accession).where(Sample.accession.startswith("REF-")))  # type: ignore[attr-defined]
    return take(session, "reference", _after_highest(_REFERENCE, used))


def next_document_number(session: Session, year: int) -> int:
    """The number of the next document issued in ``year`` (``DOC-<year>-<number>``)."""
    name = f"document-{year:04d}"
    if session.get(AccessionCounter, name) is not None:
        return take(session, name, 1)
    used = session.exec(select(IssuedDocument.number)
                        .where(IssuedDocument.number.startswith(f"DOC-{year:04d}-")))  # type: ignore[attr-defined]
    return take(session, name, _after_highest(_DOCUMENT, used, group=2))
