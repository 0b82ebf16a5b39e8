"""Counts per area for the home page."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from labtrack.models import (
    CustodyEvent,
    Family,
    Identification,
    Match,
    MissingPerson,
    Profile,
    Remains,
    Sample,
    Site,
)

AREAS = {
    "sites": Site,
    "remains": Remains,
    "samples": Sample,
    "custody_events": CustodyEvent,
    "profiles": Profile,
    "missing_persons": MissingPerson,
    "families": Family,
    "matches": Match,
    "identifications": Identification,
}


def area_counts(session: Session) -> dict[str, int]:
    """Number of records per area, e.g. ``{"sites": 2, "remains": 14, ...}``."""
    return {
        name: int(session.exec(select(func.count()).select_from(model)).one())
        for name, model in AREAS.items()
    }
