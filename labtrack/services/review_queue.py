"""The review queue as a read model: one SQL statement that gives every open candidate match with
its review status, strength band, competing candidates and standing identification, so that the
queue pages, sorts, filters and exports on the server (``listing``) at 10^5 candidates.

- **status** — ``match.review_status``, the status the review steps give, kept on the match by
  ``services.review`` and guarded by the database (``models.review_status``); indexed with the LR
  (``ix_match_open_status_lr``), so a status filter and the counts read an index.
- **competing** — for an unresolved candidate, the other unresolved candidates for the same
  remains (another missing person) or for the same missing person (other remains): for the rows
  shown only, from the candidates of their remains and persons (read through their indexes),
  ``per remains + per person - 2 x per (remains, person)``, never by comparing pairs.
- **identified_by** — the active identification (neither a retraction nor retracted) of the
  remains, for an unresolved candidate that is not its own match (rows shown only).

``QUEUE`` is the list (``listing.ListSpec``: sorts, filters, pages, exports); ``entries(session,
rows)`` adds the two counted fields to a page; ``api_page`` the API's pages (by cursor);
``rows(session, ...)`` the services' view; ``status_counts`` the dashboard's.
"""

from __future__ import annotations

import base64
import json
import math
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import case, false, func, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select
from sqlmodel import Session

from labtrack.core.review_rules import (
    MIN_LOG10_LR,
    STATUSES,
    STRENGTHS,
    UNRESOLVED,
)
from labtrack.models import (
    Family,
    Identification,
    Match,
    MissingPerson,
    PedigreeMember,
    Remains,
    Sample,
    Site,
)
from labtrack.services import listing
from labtrack.services.listing import Column, ListRequest, ListSpec


def _c(expr: Any) -> Any:
    return expr


_member = aliased(PedigreeMember, name="missing_member")
_person = (select(func.min(_c(_member.missing_person_id)))
           .where(_c(_member.family_id) == _c(Match.family_id), _c(_member.missing_person_id).is_not(None))
           .correlate(Match).scalar_subquery())
_case_number = (select(_c(MissingPerson.case_number)).where(_c(MissingPerson.id) == _person)
                .correlate(Match).scalar_subquery())

_status = _c(Match.review_status)
_strength = case(*((_c(Match.log10_lr) >= MIN_LOG10_LR[band], band) for band in STRENGTHS[:-1]),
                 else_=STRENGTHS[-1])

def _base_select(*conditions: Any) -> Select[Any]:
    """Every candidate that is not closed (and meets ``conditions``), with its status: one row per match."""
    return (
        select(_c(Match.id).label("match_id"), _c(Match.run_id).label("run_id"),
               _c(Remains.id).label("remains_id"), _c(Remains.accession).label("remains_accession"),
               _c(Site.id).label("site_id"), _c(Site.code).label("site_code"), _c(Family.code).label("family_code"),
               func.coalesce(_person, 0).label("person_key"),
               func.coalesce(_case_number, "").label("case_number"),
               _c(Match.log10_lr).label("log10_lr"), _c(Match.posterior).label("posterior"),
               _strength.label("strength"), _status.label("status"), _c(Match.created_at).label("created_at"))
        .select_from(Match)
        .join(Sample, _c(Sample.id) == _c(Match.sample_id))
        .join(Remains, _c(Remains.id) == _c(Sample.remains_id))
        .join(Site, _c(Site.id) == _c(Remains.site_id))
        .join(Family, _c(Family.id) == _c(Match.family_id))
        .where(*_LISTED, *conditions)
    )


# the candidates the queue lists; a match's sample_id is its remains sample (the match-run writer
# sets it, migration 0006 filled it in), so each of them has exactly one row through the joins above
_LISTED = (_c(Match.closed_at).is_(None), _c(Match.sample_id).is_not(None))
_LEAN_SORTS = {"log10_lr": _c(Match.log10_lr), "posterior": _c(Match.posterior), "match_id": _c(Match.id),
               "run_id": _c(Match.run_id), "created_at": _c(Match.created_at), "status": _c(Match.review_status)}


def _of_site(request: ListRequest) -> Any:
    """The candidates whose remains lie at the filtered site: their remains samples, by the site's
    id (looked up by ``_prepare``: a literal id lets PostgreSQL estimate a site holding half the
    lab's remains from the column's statistics; through the site's code it assumed an average
    site and looked the candidates up one sample at a time)."""
    site_id = request.resolved.get("site_id")
    if site_id is None:
        return false()  # no site has that code
    return _c(Match.sample_id).in_(
        select(_c(Sample.id)).join(Remains, _c(Remains.id) == _c(Sample.remains_id))
        .where(_c(Remains.site_id) == site_id))


def _prepare(session: Session, request: ListRequest) -> ListRequest:
    """The filtered site's id (``ListSpec.prepare``) for the lean statement."""
    code = request.filters.get("site")
    if code is None:
        return request
    site_id = session.execute(select(_c(Site.id)).where(_c(Site.code) == code)).scalar_one_or_none()
    return replace(request, resolved={**request.resolved, "site_id": site_id})


_LEAN_FILTERS = {"status": lambda request, value: _c(Match.review_status) == value,
                 "strength": lambda request, value: _strength == value,
                 "site": lambda request, value: _of_site(request)}


def _seek(request: ListRequest) -> Select[Any] | None:
    """The queue's rows on the match table alone (``ListSpec.seek``), through ``ix_match_open_lr``
    and ``ix_match_open_status_lr``: when the request sorts by a match column and filters by status,
    strength or site only. The whole query (its person and case number looked up per row) then runs
    for the page's candidates only: filtered to a site of 75,000 remains it would otherwise look
    them up for every candidate of the site before sorting."""
    if request.q or request.sort not in _LEAN_SORTS or not set(request.filters) <= set(_LEAN_FILTERS):
        return None
    if "site" in request.filters and "site_id" not in request.resolved:
        return None  # not prepared: the whole query
    return (select(_LEAN_SORTS[request.sort].label("sort_key"), _c(Match.id).label("tiebreak"))
            .where(*_LISTED, *(_LEAN_FILTERS[key](request, value) for key, value in request.filters.items())))


_base = _base_select().cte("queue_base")

_retraction = aliased(Identification, name="retraction_row")


def _build(statement: Select[Any]) -> Select[Any]:
    return statement.select_from(_base)


QUEUE = ListSpec(
    name="review_queue",
    columns=(
        Column("match_id", _base.c.match_id),
        Column("run_id", _base.c.run_id),
        Column("remains_accession", _base.c.remains_accession, search=True),
        Column("site", _base.c.site_code, exact=True),
        Column("family_code", _base.c.family_code, search=True),
        Column("case_number", _base.c.case_number, search=True),
        Column("log10_lr", _base.c.log10_lr),
        Column("posterior", _base.c.posterior),
        Column("strength", _base.c.strength, choices=STRENGTHS),
        Column("status", _base.c.status, choices=STATUSES),
        Column("created_at", _base.c.created_at),
        Column("remains_id", _base.c.remains_id, sortable=False, export=False),
        Column("person_key", _base.c.person_key, sortable=False, export=False),
    ),
    build=_build,
    tiebreak=_base.c.match_id, default_sort="log10_lr", default_descending=True,
    seek=_seek, prepare=_prepare,
)


@dataclass(frozen=True)
class Entry:
    """A row of the queue with what is counted for the rows shown only."""

    match_id: int
    run_id: int
    remains_accession: str
    site: str
    family_code: str
    case_number: str
    log10_lr: float
    posterior: float
    strength: str
    status: str
    created_at: Any
    competing: int  # other unresolved candidates: same remains (another person) or same person (other remains)
    identified_by: int | None  # unresolved, but the remains stand identified by this identification


def _rivals(session: Session, shown: list[Any]) -> dict[int, int]:
    """``competing`` of each unresolved row shown: the unresolved candidates of the same remains or
    person are read (by their indexes), then counted per remains + per person - 2 x per pair."""
    remains = {r.remains_id for r in shown}
    people = {r.person_key for r in shown}
    ids = set(session.execute(
        select(_c(Match.id)).join(Sample, _c(Sample.id) == _c(Match.sample_id))
        .where(_c(Sample.remains_id).in_(remains))).scalars())
    ids |= set(session.execute(
        select(_c(Match.id)).join(PedigreeMember, _c(PedigreeMember.family_id) == _c(Match.family_id))
        .where(_c(PedigreeMember.missing_person_id).in_(people - {0}))).scalars())
    chosen = [_c(Match.id).in_(ids)]
    if 0 in people:  # families without a missing person count as one "person", as review_status does
        chosen.append(_c(Match.family_id).not_in(select(_c(PedigreeMember.family_id))
                                                 .where(_c(PedigreeMember.missing_person_id).is_not(None))))
    related = _base_select(or_(*chosen)).subquery()
    open_rows = [(r, p) for r, p in session.execute(select(related.c.remains_id, related.c.person_key)
                                                    .where(related.c.status.in_(sorted(UNRESOLVED))))]
    per_remains = Counter(r for r, _p in open_rows)
    per_person = Counter(p for _r, p in open_rows)
    per_pair = Counter(open_rows)
    return {r.match_id: per_remains[r.remains_id] + per_person[r.person_key]
            - 2 * per_pair[(r.remains_id, r.person_key)] for r in shown if r.status in UNRESOLVED}


def _standing(session: Session, shown: list[Any]) -> dict[int, tuple[int, int | None]]:
    """remains id -> (id, match id) of its active identification (neither a retraction nor retracted)."""
    remains = {r.remains_id for r in shown if r.status in UNRESOLVED}
    found = session.execute(
        select(_c(Identification.remains_id), _c(Identification.id), _c(Identification.match_id))
        .where(_c(Identification.remains_id).in_(remains), _c(Identification.retraction).is_(False),
               ~select(_c(_retraction.id)).where(_c(_retraction.retracts_id) == _c(Identification.id)).exists())
        .order_by(_c(Identification.id))).all()
    return {remains_id: (ident_id, match_id) for remains_id, ident_id, match_id in found}


def entries(session: Session, shown: list[Any]) -> list[Entry]:
    """The rows of a page (or of ``rows``) with their competing candidates and standing identification."""
    rivals = _rivals(session, shown) if shown else {}
    standing = _standing(session, shown) if shown else {}
    result = []
    for r in shown:
        ident = standing.get(r.remains_id)
        identified_by = (ident[0] if ident and r.status in UNRESOLVED and ident[1] != r.match_id else None)
        result.append(Entry(r.match_id, r.run_id, r.remains_accession, r.site, r.family_code, r.case_number,
                            r.log10_lr, r.posterior, r.strength, r.status, r.created_at, rivals.get(r.match_id, 0),
                            identified_by))
    return result


def status_counts(session: Session) -> dict[str, int]:
    """Open candidates per review status (the dashboard's work list), counted on the status index."""
    counts = {status: 0 for status in STATUSES}
    counted = select(_c(Match.review_status), func.count()).where(*_LISTED).group_by(_c(Match.review_status))
    counts.update({status: int(n) for status, n in session.execute(counted)})
    return counts


@dataclass(frozen=True)
class ApiPage:
    entries: list[Entry]
    total: int
    cursor: str | None  # the next page's cursor (None on the last page)


def _cursor_of(entry: Entry) -> str:
    raw = json.dumps([entry.log10_lr, entry.match_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_cursor(text: str) -> tuple[float, int]:
    """(log10 LR, match id) of a cursor given by ``api_page``; ValueError when it is not one."""
    try:
        value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, TypeError) as error:
        raise ValueError("not a cursor given by this list") from error
    if (not isinstance(value, list) or len(value) != 2 or isinstance(value[0], bool)
            or not isinstance(value[0], int | float) or not math.isfinite(value[0])
            or isinstance(value[1], bool) or not isinstance(value[1], int) or not 0 < value[1] < 2**31):
        raise ValueError("not a cursor given by this list")
    return float(value[0]), value[1]


def api_page(session: Session, *, site_code: str | None = None, status: str | None = None,
             strength: str | None = None, limit: int = 100, after: tuple[float, int] | None = None) -> ApiPage:
    """The API's pages of the queue (strongest first), by cursor: the first ``limit`` rows after
    the cursor's row, the total of the filtered queue and the next cursor (keyset: each page starts
    at its key through ``ix_match_open_lr``, however far)."""
    filters = {key: value for key, value in (("site", site_code), ("status", status), ("strength", strength))
               if value}
    request = ListRequest(1, limit, "log10_lr", True, "", filters)
    found, total = listing.after(session, QUEUE, request, key=after, limit=limit + 1, identities=True)
    shown = entries(session, found[:limit])
    return ApiPage(shown, total, _cursor_of(shown[-1]) if len(found) > limit else None)


def rows(session: Session, *, site_id: int | None = None, status: str | None = None, strength: str | None = None,
         limit: int = 500) -> list[Entry]:
    """The queue's rows (newest run first, strongest first within a run), at most ``limit``."""
    statement = _build(select(*(c.expr.label(c.key) for c in QUEUE.columns)))
    if site_id is not None:
        statement = statement.where(_base.c.site_id == site_id)
    if status:
        statement = statement.where(_base.c.status == status)
    if strength:
        statement = statement.where(_base.c.strength == strength)
    statement = statement.order_by(_base.c.run_id.desc(), _base.c.log10_lr.desc(), _base.c.match_id.asc())
    return entries(session, list(session.execute(statement.limit(limit))))
