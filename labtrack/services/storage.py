"""Storage locations: room → freezer → shelf → box → position, each a barcoded custody item."""

from __future__ import annotations

from sqlmodel import Session, select

from labtrack.core import ids
from labtrack.core.errors import Conflict, NotFound, ProblemList
from labtrack.core.messages import msg, term, terms
from labtrack.models import CustodyItem, StorageLocation, User
from labtrack.models.samples import LOCATION_LEVELS
from labtrack.services.transaction import write

# the letter of each level's ID part: LOC-R01-F02-S03-B07-P05
LEVEL_LETTERS = {"room": "R", "freezer": "F", "shelf": "S", "box": "B", "position": "P"}


def add_location(*, session: Session, name: str, level: str, number: int,
                 parent: StorageLocation | None) -> StorageLocation:
    """Create a location inside an open write (used by ``create_location`` and the demo data)."""
    problems = ProblemList()
    if level not in LOCATION_LEVELS:
        problems.add(msg("level must be one of %(levels)s", levels=terms(LOCATION_LEVELS)), field="level")
    if not name.strip():
        problems.add(msg("a name is required"), field="name")
    if not 1 <= number <= 99:
        problems.add(msg("the number must be between 1 and 99"), field="number")
    expected_depth = LOCATION_LEVELS.index(level) if level in LOCATION_LEVELS else -1
    parent_depth = LOCATION_LEVELS.index(parent.level) if parent else -1
    if level in LOCATION_LEVELS and parent_depth >= expected_depth:
        problems.add(msg("a %(level)s cannot be inside a %(parent)s", level=term(level), parent=term(parent.level))
                         if parent else msg("a %(level)s cannot be inside nothing", level=term(level)), field="parent")
    if level != "room" and parent is None:
        problems.add(msg("a %(level)s must be inside a larger location", level=term(level)), field="parent")
    problems.raise_if_any(msg("The storage location cannot be created"))
    parts = _parts(parent) + [f"{LEVEL_LETTERS[level]}{number:02d}"]
    accession = ids.location_id(*parts)
    if session.exec(select(StorageLocation).where(StorageLocation.accession == accession)).first():
        raise Conflict(msg("location %(accession)s exists already", accession=accession))
    location = StorageLocation(accession=accession, name=name.strip(), level=level,
                               parent_id=parent.id if parent else None)
    session.add(location)
    session.flush()
    session.add(CustodyItem(accession=accession, kind="location", location_id=location.id))
    session.flush()
    return location


def _parts(location: StorageLocation | None) -> list[str]:
    if location is None:
        return []
    return location.accession[:-3].split("-")[1:]


def create_location(*, session: Session, name: str, level: str, number: int,
                    parent_accession: str | None, by: User) -> StorageLocation:
    parent = get_location(session, parent_accession) if parent_accession else None
    with write(session, actor=by, reason="storage location created"):
        location = add_location(session=session, name=name, level=level, number=number, parent=parent)
    return location


def get_location(session: Session, accession: str) -> StorageLocation:
    location = session.exec(
        select(StorageLocation).where(StorageLocation.accession == ids.normalise(accession))).first()
    if location is None:
        raise NotFound(msg("no storage location with ID %(accession)s", accession=repr(accession)))
    return location


def list_locations(session: Session) -> list[StorageLocation]:
    return list(session.exec(select(StorageLocation).order_by(StorageLocation.accession)))


def path_of(session: Session, location: StorageLocation) -> list[StorageLocation]:
    """The chain room → ... → ``location``."""
    chain = [location]
    while chain[0].parent_id is not None:
        parent = session.get(StorageLocation, chain[0].parent_id)
        if parent is None:
            break
        chain.insert(0, parent)
    return chain
