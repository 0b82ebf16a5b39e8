"""Remains-to-remains re-association as a worker job, its result stored (append-only).

A run compares every current remains profile with every other through the engine's direct
matching with blocking keys and identity LRs (``services.direct_matches``, ``kinship.direct``):
pairs identical at ``MIN_OVERLAP`` shared loci or more, or differing at one. Remains linked by a
pair with log10 LR >= ``MIN_LOG10_LR`` are one person: the groups are the connected components
of those links (a duplicate sample of one remains links nothing new). The run stores its pairs,
each group's part in each grave (a grave is a site's trench as recorded on the remains; "" when
none was recorded) and, per grave and per whole site, the minimum number of individuals (MNI):
every group present counts once, every other remains once (remains without a profile included:
nothing shows that they are somebody already counted). A group spread over two graves counts in
each. This is the number of individuals DNA distinguishes so far, not an osteological MNI.

Every run is kept; the pages show the newest and list the earlier ones. The pages only read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask
from sqlalchemy import insert
from sqlmodel import Session, col, func, select

from labtrack.core.messages import Message, msg
from labtrack.db import standalone_session
from labtrack.models import (
    Job,
    Profile,
    ReassociationGrave,
    ReassociationGroup,
    ReassociationPair,
    ReassociationRun,
    Remains,
    Sample,
    Site,
    User,
)
from labtrack.services import audit, audit_deep, direct_matches, jobs
from labtrack.services.direct_matches import ProfilePair
from labtrack.services.transaction import write

if TYPE_CHECKING:
    from labtrack.services.worker import JobContext

JOB_KIND = "reassociation"
ACTOR = "re-association"
MIN_OVERLAP = direct_matches.MIN_OVERLAP
MAX_MISMATCHES = 1
#: a pair joins two remains into one group only with an identity LR of at least 10^6
MIN_LOG10_LR = 6.0


def request(session: Session, *, by: User, app: Flask | None = None) -> Job:
    """Queue a run (repeated requests while one waits coalesce). With ``JOBS_INLINE`` it runs at once."""
    job = jobs.enqueue(session, kind=JOB_KIND, payload={}, by=by, subject_type="reassociation",
                       dedupe_key=JOB_KIND)
    if app is not None and app.config.get("JOBS_INLINE"):
        from labtrack.services.worker import run_inline

        run_inline(app)
    return job


def pending(session: Session) -> Job | None:
    return session.exec(select(Job).where(Job.kind == JOB_KIND, col(Job.status).in_(("queued", "running")))
                        .order_by(col(Job.id)).execution_options(populate_existing=True)).first()


def latest(session: Session) -> ReassociationRun | None:
    return session.exec(select(ReassociationRun).order_by(col(ReassociationRun.id).desc())).first()


def runs(session: Session, limit: int = 20) -> list[ReassociationRun]:
    """The newest runs, newest first (the history)."""
    return list(session.exec(select(ReassociationRun).order_by(col(ReassociationRun.id).desc()).limit(limit)))


class _Components:
    """Union-find over remains ids."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, item: int) -> int:
        root = self.parent.setdefault(item, item)
        while root != self.parent[root]:
            root = self.parent[root]
        while item != root:
            item, self.parent[item] = self.parent[item], root
        return root

    def join(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


@dataclass(frozen=True)
class RemainsPlace:
    remains_id: int
    accession: str
    site_id: int
    site_code: str
    grave: str
    profiled: bool


@dataclass(frozen=True)
class Grouping:
    """Groups of two or more remains (numbered from 1, largest first) and each pair's group."""

    group_of: dict[int, int]  # remains id -> group number
    weakest: dict[int, float]  # group number -> lowest log10 LR among the links that joined it


def group(pairs: Iterable[ProfilePair], *, min_log10_lr: float = MIN_LOG10_LR) -> Grouping:
    """The connected components of the remains linked by pairs of two remains with a strong LR."""
    components = _Components()
    links: list[tuple[int, int, float]] = []
    for pair in pairs:
        a, b = pair.first_remains_id, pair.second_remains_id
        if a is None or b is None or a == b or pair.log10_lr < min_log10_lr:
            continue
        components.join(a, b)
        links.append((a, b, pair.log10_lr))
    members: dict[int, list[int]] = defaultdict(list)
    for remains_id in components.parent:
        members[components.find(remains_id)].append(remains_id)
    ordered = sorted(members.values(), key=lambda ids: (-len(ids), min(ids)))
    group_of = {remains_id: number for number, ids in enumerate(ordered, start=1) for remains_id in ids}
    weakest: dict[int, float] = {}
    for a, _, lr in links:
        number = group_of[a]
        weakest[number] = min(weakest.get(number, lr), lr)
    return Grouping(group_of, weakest)


def places(session: Session) -> list[RemainsPlace]:
    """Every remains with its site, grave and whether it has a current profile."""
    profiled = set(session.exec(
        select(Sample.remains_id).join(Profile, col(Profile.sample_id) == col(Sample.id))
        .where(col(Sample.remains_id).is_not(None), col(Profile.superseded).is_(False)).distinct()))
    rows = session.exec(select(Remains.id, Remains.accession, Remains.site_id, Site.code, Remains.trench)
                        .join(Site, col(Site.id) == col(Remains.site_id)).order_by(col(Remains.id)))
    return [RemainsPlace(int(rid), acc, int(site_id), code, (trench or "").strip(), rid in profiled)
            for rid, acc, site_id, code, trench in rows]


def graves(remains: list[RemainsPlace], grouping: Grouping) -> tuple[list[dict], list[dict]]:
    """(group parts per grave, per-grave and per-site counts with the MNI) as rows to store."""
    sizes: dict[int, int] = defaultdict(int)
    spread: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for place in remains:
        number = grouping.group_of.get(place.remains_id)
        if number is not None:
            sizes[number] += 1
            spread[number].add((place.site_id, place.grave))
    parts: dict[tuple[int, int, str], list[RemainsPlace]] = defaultdict(list)
    counted: dict[tuple[int, str | None], dict] = {}
    for place in remains:
        number = grouping.group_of.get(place.remains_id)
        if number is not None:
            parts[(number, place.site_id, place.grave)].append(place)
        for grave in (place.grave, None):  # the grave, and the whole site
            row = counted.setdefault((place.site_id, grave), {
                "site_id": place.site_id, "site_code": place.site_code, "grave": grave or "",
                "whole_site": grave is None, "remains": 0, "profiled": 0, "grouped": 0, "group_set": set()})
            row["remains"] += 1
            row["profiled"] += place.profiled
            if number is not None:
                row["grouped"] += 1
                row["group_set"].add(number)
    group_rows = [{"group_number": number, "site_id": site_id, "site_code": members[0].site_code, "grave": grave,
                   "remains": ",".join(p.accession for p in members), "n_remains": len(members),
                   "group_size": sizes[number], "graves": len(spread[number]),
                   "min_log10_lr": grouping.weakest.get(number, 0.0)}
                  for (number, site_id, grave), members in sorted(parts.items())]
    grave_rows = []
    for row in counted.values():
        groups = row.pop("group_set")
        grave_rows.append({**row, "groups": len(groups), "mni": row["remains"] - row["grouped"] + len(groups)})
    grave_rows.sort(key=lambda r: (r["site_code"], not r["whole_site"], r["grave"]))
    return group_rows, grave_rows


@dataclass(frozen=True)
class Result:
    """What a run found, before it is stored."""

    pairs: list[ProfilePair]
    grouping: Grouping
    group_rows: list[dict]
    grave_rows: list[dict]
    profiles: int


def compute(session: Session, stage: Callable[[float, Message], None] | None = None) -> Result:
    """Run the direct matching and group (reads only; the worker stores the result). ``stage``
    is told how far the work is (fraction, what it does now): the worker's progress."""
    found = direct_matches.pairs(session, min_overlap=MIN_OVERLAP, max_mismatches=MAX_MISMATCHES)
    if stage is not None:
        stage(0.7, msg("grouping the remains of %(pairs)s pairs", pairs=f"{len(found):,}"))
    grouping = group(found)
    group_rows, grave_rows = graves(places(session), grouping)
    return Result(found, grouping, group_rows, grave_rows, _profiles_compared(session))


def store(session: Session, result: Result, *, job_id: int | None) -> ReassociationRun:
    """Store a run (audited row) with its pairs, group parts and graves (bulk inserts covered by
    one ``bulk_import`` audit entry with a digest of each table's rows of the run, which
    ``labtrack audit verify --deep`` checks), inside the caller's write."""
    run = ReassociationRun(job_id=job_id, min_overlap=MIN_OVERLAP, max_mismatches=MAX_MISMATCHES,
                           min_log10_lr=MIN_LOG10_LR, profiles=result.profiles, pairs=len(result.pairs),
                           groups=len(set(result.grouping.group_of.values())))
    session.add(run)
    session.flush()
    run_id = run.id or 0
    pair_rows = []
    for pair in result.pairs:
        joined = pair.log10_lr >= MIN_LOG10_LR and not pair.same_remains and pair.first_remains_id is not None
        pair_rows.append({
            "run_id": run_id, "first_sample": pair.first, "second_sample": pair.second,
            "group_number": result.grouping.group_of.get(pair.first_remains_id or 0) if joined else None,
            "first_profile_id": pair.first_profile_id, "second_profile_id": pair.second_profile_id,
            "first_remains_id": pair.first_remains_id, "second_remains_id": pair.second_remains_id,
            "same_remains": pair.same_remains, "overlap": pair.overlap, "mismatched": ",".join(pair.mismatched),
            "dropout": ",".join(pair.dropout), "log10_lr": pair.log10_lr})
    digests: dict[str, dict[str, str]] = {}
    for model, rows in ((ReassociationPair, pair_rows), (ReassociationGroup, [{"run_id": run_id, **r} for r in
                                                                              result.group_rows]),
                        (ReassociationGrave, [{"run_id": run_id, **r} for r in result.grave_rows])):
        table = model.__table__  # type: ignore[attr-defined]
        if rows:
            session.execute(insert(table), rows)
            digests[table.name] = {str(run_id): audit_deep.group_digest(
                table, audit_deep.rows_of(session, table, table.c.run_id == run_id))}
    audit.record_event(session, action="bulk_import", entity_type="reassociation_run", entity_id=str(run_id),
                       details={"pairs": len(pair_rows), "group_parts": len(result.group_rows),
                                "graves": len(result.grave_rows), "group_digests": digests})
    return run


def _profiles_compared(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(Profile).where(
        Profile.origin == "remains", col(Profile.superseded).is_(False), col(Profile.is_mixture).is_(False))).one())


def run_job(context: JobContext) -> None:
    """The worker's handler: match, group, store the run and end the job in one write."""
    app = context.app
    with app.app_context(), standalone_session(app) as session:
        with write(session, actor=ACTOR, reason="re-association started"):
            context.progress(session, 0.1, msg("direct matching"))
        result = compute(session, stage=lambda value, message: context.progress(session, value, message))
        session.rollback()
        context.progress(session, 0.9, msg("storing the result"))
        with write(session, actor=ACTOR, reason="re-association of remains by direct matching"):
            store(session, result, job_id=context.job_id)
            context.done(session)
