"""The review queue as a read model: one SQL statement that gives every open candidate match with
its review status, strength band, competing candidates and standing identification, so that the
queue pages, sorts, filters and exports on the server (``listing``) at 10^5 candidates.

- **status** — from the match's last review step (and, for an approval, the proposal it approved):
  ``review_rules.review_status`` over the steps, in SQL. The services accept a step only in the
  state that allows it, so the last step decides (tested against ``review_status``).
- **competing** — for an unresolved candidate, the other unresolved candidates for the same
  remains (another missing person) or for the same missing person (other remains): counted by
  ``GROUP BY`` over the unresolved set, ``per remains + per person - 2 x per (remains, person)``,
  never by comparing pairs.
- **identified_by** — the active identification (neither a retraction nor retracted) of the
  remains, for an unresolved candidate that is not its own match.

``QUEUE`` is the list (``listing.ListSpec``); ``rows(session, ...)`` the same rows as ``QueueRow``s.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select
from sqlmodel import Session

from labtrack.core.review_rules import (
    CONFIRMED,
    MIN_LOG10_LR,
    OPEN,
    PROPOSED_CONFIRM,
    PROPOSED_REJECT,
    REJECTED,
    STATUSES,
    STRENGTHS,
    UNRESOLVED,
)
from labtrack.models import (
    Family,
    Identification,
    Match,
    MatchReview,
    MissingPerson,
    PedigreeMember,
    Profile,
    Remains,
    Sample,
    Site,
)
from labtrack.services.listing import Column, ListSpec


def _c(expr: Any) -> Any:
    return expr


_last_step = (select(_c(MatchReview.match_id).label("match_id"), func.max(_c(MatchReview.id)).label("id"))
              .group_by(_c(MatchReview.match_id)).subquery("last_step"))
_last_proposal = (select(_c(MatchReview.match_id).label("match_id"), func.max(_c(MatchReview.id)).label("id"))
                  .where(_c(MatchReview.step).in_(("propose_confirm", "propose_reject")))
                  .group_by(_c(MatchReview.match_id)).subquery("last_proposal"))
_step = aliased(MatchReview, name="step_row")
_proposal = aliased(MatchReview, name="proposal_row")
_missing = (select(_c(PedigreeMember.family_id).label("family_id"),
                   func.min(_c(PedigreeMember.missing_person_id)).label("person_id"))
            .where(_c(PedigreeMember.missing_person_id).is_not(None))
            .group_by(_c(PedigreeMember.family_id)).subquery("family_missing"))

_status = case(
    (_c(_step.step) == "propose_confirm", PROPOSED_CONFIRM),
    (_c(_step.step) == "propose_reject", PROPOSED_REJECT),
    (and_(_c(_step.step) == "approve", _c(_proposal.step) == "propose_confirm"), CONFIRMED),
    (_c(_step.step) == "approve", REJECTED),
    else_=OPEN,
)
_strength = case(*((_c(Match.log10_lr) >= MIN_LOG10_LR[band], band) for band in STRENGTHS[:-1]),
                 else_=STRENGTHS[-1])

#: every candidate that is not closed, with its status (one row per match)
_base = (
    select(_c(Match.id).label("match_id"), _c(Match.run_id).label("run_id"),
           _c(Remains.id).label("remains_id"), _c(Remains.accession).label("remains_accession"),
           _c(Site.id).label("site_id"), _c(Site.code).label("site_code"), _c(Family.code).label("family_code"),
           func.coalesce(_missing.c.person_id, 0).label("person_key"),
           func.coalesce(_c(MissingPerson.case_number), "").label("case_number"),
           _c(Match.log10_lr).label("log10_lr"), _c(Match.posterior).label("posterior"),
           _strength.label("strength"), _status.label("status"), _c(Match.created_at).label("created_at"))
    .select_from(Match)
    .join(Profile, _c(Profile.id) == _c(Match.profile_id))
    .join(Sample, _c(Sample.id) == _c(Profile.sample_id))
    .join(Remains, _c(Remains.id) == _c(Sample.remains_id))
    .join(Site, _c(Site.id) == _c(Remains.site_id))
    .join(Family, _c(Family.id) == _c(Match.family_id))
    .join(_missing, _missing.c.family_id == _c(Family.id), isouter=True)
    .join(MissingPerson, _c(MissingPerson.id) == _missing.c.person_id, isouter=True)
    .join(_last_step, _last_step.c.match_id == _c(Match.id), isouter=True)
    .join(_step, _c(_step.id) == _last_step.c.id, isouter=True)
    .join(_last_proposal, _last_proposal.c.match_id == _c(Match.id), isouter=True)
    .join(_proposal, _c(_proposal.id) == _last_proposal.c.id, isouter=True)
    .where(_c(Match.closed_at).is_(None))
).cte("queue_base")

_open = select(_base.c.remains_id, _base.c.person_key).where(_base.c.status.in_(sorted(UNRESOLVED))).subquery()
_per_remains = (select(_open.c.remains_id, func.count().label("n")).group_by(_open.c.remains_id)
                .subquery("per_remains"))
_per_person = (select(_open.c.person_key, func.count().label("n")).group_by(_open.c.person_key)
               .subquery("per_person"))
_per_pair = (select(_open.c.remains_id, _open.c.person_key, func.count().label("n"))
             .group_by(_open.c.remains_id, _open.c.person_key).subquery("per_pair"))

_retraction = aliased(Identification, name="retraction_row")
_standing = (select(_c(Identification.remains_id).label("remains_id"), func.max(_c(Identification.id)).label("id"))
             .where(_c(Identification.retraction).is_(False),
                    ~select(_c(_retraction.id)).where(_c(_retraction.retracts_id) == _c(Identification.id))
                    .exists())
             .group_by(_c(Identification.remains_id)).subquery("standing"))
_standing_row = aliased(Identification, name="standing_row")

_unresolved = _base.c.status.in_(sorted(UNRESOLVED))
_competing = case((_unresolved, func.coalesce(_per_remains.c.n, 0) + func.coalesce(_per_person.c.n, 0)
                   - 2 * func.coalesce(_per_pair.c.n, 0)), else_=literal(0))
_identified_by = case((and_(_unresolved, _c(_standing_row.id).is_not(None),
                            func.coalesce(_c(_standing_row.match_id), 0) != _base.c.match_id), _c(_standing_row.id)),
                      else_=None)


def _build(statement: Select[Any]) -> Select[Any]:
    return (statement.select_from(_base)
            .join(_per_remains, _per_remains.c.remains_id == _base.c.remains_id, isouter=True)
            .join(_per_person, _per_person.c.person_key == _base.c.person_key, isouter=True)
            .join(_per_pair, and_(_per_pair.c.remains_id == _base.c.remains_id,
                                  _per_pair.c.person_key == _base.c.person_key), isouter=True)
            .join(_standing, _standing.c.remains_id == _base.c.remains_id, isouter=True)
            .join(_standing_row, _c(_standing_row.id) == _standing.c.id, isouter=True))


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
        Column("competing", _competing),
        Column("identified_by", _identified_by, sortable=False),
    ),
    build=_build,
    tiebreak=_base.c.match_id, default_sort="log10_lr", default_descending=True,
)


def rows(session: Session, *, site_id: int | None = None, status: str | None = None, strength: str | None = None,
         limit: int = 500) -> list[Any]:
    """The queue's rows (newest run first, strongest first within a run), at most ``limit``."""
    columns = QUEUE.columns
    statement = _build(select(*(c.expr.label(c.key) for c in columns)))
    if site_id is not None:
        statement = statement.where(_base.c.site_id == site_id)
    if status:
        statement = statement.where(_base.c.status == status)
    if strength:
        statement = statement.where(_base.c.strength == strength)
    statement = statement.order_by(_base.c.run_id.desc(), _base.c.log10_lr.desc(), _base.c.match_id.asc())
    return list(session.execute(statement.limit(limit)))


