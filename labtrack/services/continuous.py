"""Continuous matching: when new evidence lands, the comparisons it touches are queued.

A session hook watches every write transaction (like the audit hook, so that no import or edit
can forget it) and, just before it commits, queues in the same transaction:

* one match run of the remains samples whose profiles were imported or re-typed, against every
  family;
* one match run of every family whose pedigree changed, or a donor of which got a reference
  profile or granted or withdrew consent, against every remains;
* a new identification-power computation of each such family that has one already
  (``family_power``).

Runs of one remains or one family coalesce (a second change before the worker took up the
first adds nothing); a bulk change (more than ``FULL_RUN_ABOVE`` remains or families) queues one
full run instead. Runs use the parameters of the latest full run (else the lab's defaults) and the
default frequency table; without a frequency table nothing is queued. The setting
``CONTINUOUS_MATCHING`` (``LABTRACK_CONTINUOUS_MATCHING``, on by default) turns it off.
"""

from __future__ import annotations

import weakref
from typing import Any

from flask import Flask
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction
from sqlmodel import Session, select

from labtrack.models import (
    ConsentRecord,
    Family,
    FrequencyTable,
    MatchRun,
    PedigreeMember,
    Profile,
    ProfileImport,
    Sample,
    User,
)
from labtrack.services.transaction import ACTOR_KEY

_KEY = "labtrack.continuous"
_BUSY = "labtrack.continuous.busy"
_APPS: weakref.WeakKeyDictionary[Engine, Flask] = weakref.WeakKeyDictionary()
_CHUNK = 500
#: more remains (or families) than this in one change: one full run instead of a run of a list
FULL_RUN_ABOVE = 1000


def _enabled(session: OrmSession) -> bool:
    """On for the sessions of an app's engine whose ``CONTINUOUS_MATCHING`` is on."""
    bind = session.get_bind()
    app = _APPS.get(getattr(bind, "engine", bind))  # type: ignore[arg-type]
    return app is not None and bool(app.config.get("CONTINUOUS_MATCHING", True))


def _after_flush(session: OrmSession, _context: UOWTransaction) -> None:
    if session.info.get(_BUSY) or not _enabled(session):
        return
    seen: dict[str, set[int]] = session.info.setdefault(_KEY, {"imports": set(), "samples": set(),
                                                               "families": set(), "donors": set()})
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, ProfileImport) and obj.id is not None:
            seen["imports"].add(obj.id)
        elif isinstance(obj, Profile) and obj.sample_id is not None:
            seen["samples"].add(obj.sample_id)
        elif isinstance(obj, PedigreeMember):
            seen["families"].add(obj.family_id)
        elif isinstance(obj, ConsentRecord):
            seen["donors"].add(obj.donor_id)


def _after_rollback(session: OrmSession) -> None:
    session.info.pop(_KEY, None)


def _before_commit(session: OrmSession) -> None:
    if session.info.get(_BUSY) or not _enabled(session):
        return
    session.flush()  # what is still pending (SQLAlchemy calls this hook before its own last flush)
    seen = session.info.pop(_KEY, None)
    if not seen or not any(seen.values()) or session.info.get(_BUSY) or not _enabled(session):
        return
    session.info[_BUSY] = True
    try:
        _queue(session, seen)  # type: ignore[arg-type]
    finally:
        session.info.pop(_BUSY, None)


def _queue(session: Session, seen: dict[str, set[int]]) -> None:
    from labtrack.services import match_runs
    from labtrack.services.match_parameters import MatchParameters

    samples = set(seen["samples"])
    if seen["imports"]:
        samples |= set(session.exec(select(Profile.sample_id).where(
            Profile.import_id.in_(sorted(seen["imports"])), Profile.sample_id != None)))  # type: ignore[union-attr,arg-type]  # noqa: E711
    remains: list[str] = []
    donors = set(seen["donors"])
    ordered = sorted(samples)
    for start in range(0, len(ordered), _CHUNK):
        for accession, remains_id, donor_id in session.exec(
                select(Sample.accession, Sample.remains_id, Sample.donor_id)
                .where(Sample.id.in_(ordered[start:start + _CHUNK]))):  # type: ignore[union-attr]
            if remains_id is not None:
                remains.append(accession)
            elif donor_id is not None:
                donors.add(donor_id)
    family_ids = set(seen["families"])
    donor_list = sorted(donors)
    for start in range(0, len(donor_list), _CHUNK):
        family_ids |= set(session.exec(select(PedigreeMember.family_id).where(
            PedigreeMember.donor_id.in_(donor_list[start:start + _CHUNK]))))  # type: ignore[union-attr]
    bulk = len(remains) > FULL_RUN_ABOVE or len(family_ids) > FULL_RUN_ABOVE
    families = [] if bulk or not family_ids else sorted(session.exec(
        select(Family.code).where(Family.id.in_(sorted(family_ids)))).all())  # type: ignore[union-attr]
    if family_ids:  # identification power shown on family pages is kept up to date too
        from labtrack.services import family_power

        family_power.queue_refresh(session, family_ids, _acting_user(session))
    if not remains and not families and not bulk:
        return
    table = session.exec(select(FrequencyTable).order_by(FrequencyTable.is_default.desc(),  # type: ignore[attr-defined]
                                                         FrequencyTable.id)).first()
    by = _acting_user(session)
    if table is None or by is None:
        return
    app = _APPS.get(session.get_bind().engine)  # type: ignore[union-attr]
    params = _latest_full_parameters(session, MatchParameters, app.config if app is not None else {})
    if bulk:  # a bulk change: one full run rather than runs of long lists
        match_runs.queue_run(session, by=by, params=params, table=table, dedupe_key="match:full")
        session.flush()
        return
    if remains:
        match_runs.queue_run(session, by=by, params=params, table=table, scope={"remains": sorted(remains)},
                             dedupe_key=f"match:remains:{sorted(remains)[0]}" if len(remains) == 1 else None)
    if families:
        match_runs.queue_run(session, by=by, params=params, table=table, scope={"families": families},
                             dedupe_key=f"match:family:{families[0]}" if len(families) == 1 else None)
    session.flush()


def _acting_user(session: Session) -> User | None:
    actor = session.info.get(ACTOR_KEY)
    if isinstance(actor, User):
        return actor
    return session.exec(select(User).where(User.role == "admin").order_by(User.id)).first()  # type: ignore[arg-type]


def _latest_full_parameters(session: Session, parameters: Any, config: Any) -> Any:
    for params_json, scope_json in session.exec(
            select(MatchRun.params_json, MatchRun.scope_json).where(MatchRun.status == "done")
            .order_by(MatchRun.id.desc()).limit(50)):  # type: ignore[union-attr]
        if '"full": true' in scope_json:
            return parameters.from_json(params_json)
    from labtrack.services import lab_settings

    return lab_settings.run_parameters(session, config)


def init_app(app: Flask) -> None:
    """Watch the sessions of ``app``'s database (after ``labtrack.db.init_app``)."""
    from labtrack.db import get_engine

    _APPS[get_engine(app)] = app
    install_hook()


def install_hook() -> None:
    """Register the hooks on every session (idempotent)."""
    for name, function in (("after_flush", _after_flush), ("before_commit", _before_commit),
                           ("after_rollback", _after_rollback)):
        if not event.contains(OrmSession, name, function):
            event.listen(OrmSession, name, function)
