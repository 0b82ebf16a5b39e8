"""Operations dashboard: per-site funnel, minimum number of individuals, unique profiles,
turnaround, work waiting per role; its tables, exported to CSV or Excel by ``services.exports``.

    summary(session) -> Dashboard                   # the worker's computation (seconds at Syria's scale)
    table(dashboard, name) -> (columns, rows)       # names: TABLES
    to_data(dashboard) / from_data(data)            # as stored by services.dashboard_snapshot

The page does not call ``summary``: it shows the figures the ``dashboard_refresh`` job stored
(``services.dashboard_snapshot``: why, and how often they are refreshed).

Funnel stages per site, each a count of remains: recovered (all) → sampled (≥1 sample) →
profiled (≥1 current remains profile) → matched (≥1 candidate match) → identified (an active
identification) → returned (released to the family).

Minimum number of individuals (MNI) per site: each group of remains re-associated to one
``Individual`` counts once, every remains not re-associated counts once. (It is the number of
individuals the lab currently distinguishes, not an osteological MNI: two unassociated parts
of one body still count twice until DNA links them.)

Unique DNA profiles per site: distinct genotypes among the current remains profiles of the site
(same alleles at every locus = one profile: duplicates and re-associated parts collapse), counted
on each profile's genotype digest (``labtrack.core.genotype_digest``, migration 0034), never on
the allele rows.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import case, distinct, func, literal_column
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from labtrack.core import messages
from labtrack.core.messages import msg
from labtrack.core.review_rules import OPEN, PROPOSED_CONFIRM, PROPOSED_REJECT
from labtrack.models import (
    CustodyEvent,
    CustodyItem,
    Identification,
    Match,
    Profile,
    ProfileGenotype,
    Remains,
    Sample,
    Site,
)
from labtrack.services import notifications, review_queue

STAGES: tuple[str, ...] = ("recovered", "sampled", "profiled", "matched", "identified", "returned")
TABLES: tuple[str, ...] = ("funnel", "turnaround", "work")
DONE_SAMPLE_STATES = frozenset({"profiled", "failed", "consumed"})


@dataclass(frozen=True)
class Turnaround:
    """Days from recovery to identification of a site's identified remains (with a recovery date)."""

    identified: int = 0
    median_days: float | None = None
    min_days: int | None = None
    max_days: int | None = None

    @classmethod
    def of(cls, days: list[int]) -> Turnaround:
        if not days:
            return cls()
        return cls(len(days), statistics.median(days), min(days), max(days))


@dataclass
class SiteRow:
    site_code: str
    site_name: str
    funnel: dict[str, int]
    mni: int
    unique_profiles: int
    turnaround: Turnaround = field(default_factory=Turnaround)


@dataclass
class Dashboard:
    sites: list[SiteRow]
    work: dict[str, dict[str, int]]  # role -> {what: count}

    @property
    def totals(self) -> dict[str, int]:
        return {stage: sum(s.funnel[stage] for s in self.sites) for stage in STAGES}


def _remains_per_site(session: Session, statement: Any) -> dict[int, int]:
    """site id -> distinct remains of ``statement`` (selecting the remains id as ``remains_id``): for
    the stages whose rows are few next to the remains (identifications, releases)."""
    found = statement.subquery()
    pairs = (select(Remains.site_id, found.c.remains_id).join(found, found.c.remains_id == col(Remains.id))
             .distinct().subquery())  # distinct (site, remains) first: cheaper than count(DISTINCT) per group
    return {site_id: int(n) for site_id, n in session.execute(
        select(pairs.c.site_id, func.count()).group_by(pairs.c.site_id))}


def _remains_having(session: Session, found: Any) -> dict[int, int]:
    """site id -> remains for which ``found`` (a statement correlated to the remains) has a row: for
    the stages most remains reach (sampled, profiled, matched). SQLite walks the remains in site
    order on ``ix_remains_site_id`` and probes the stage's indexes once per remains (no temporary
    B-tree for a DISTINCT or a GROUP BY; "profiled" probes the remains' samples, then each
    sample's current profile on ``ix_profile_sample_current``); PostgreSQL makes it a hash
    semi-join."""
    return {site_id: int(n) for site_id, n in session.execute(
        select(Remains.site_id, func.count()).where(found.exists()).group_by(Remains.site_id))}


def _funnel_rows(session: Session) -> list[dict[str, Any]]:
    """One row per site: the funnel counts and the MNI, each stage one grouped statement —
    never a lookup per remains in Python."""
    retraction = aliased(Identification)
    counted = {
        "sampled": _remains_having(session, select(Sample.id).where(col(Sample.remains_id) == col(Remains.id))),
        "profiled": _remains_having(session, select(Sample.id).join(Profile, col(Profile.sample_id) == col(Sample.id))
                                    .where(col(Sample.remains_id) == col(Remains.id),
                                           col(Profile.superseded).is_(False))),
        "matched": _remains_having(session, select(Sample.id).join(Match, col(Match.sample_id) == col(Sample.id))
                                   .where(col(Sample.remains_id) == col(Remains.id))),
        "identified": _remains_per_site(session, select(col(Identification.remains_id).label("remains_id")).where(
            col(Identification.retraction).is_(False),
            ~select(retraction.id).where(col(retraction.retracts_id) == col(Identification.id)).exists())),
        "returned": _remains_per_site(
            session, select(col(CustodyItem.remains_id).label("remains_id"))
            .join(CustodyEvent, col(CustodyEvent.item_id) == col(CustodyItem.id))
            # the literal (not a bound parameter) lets both databases use the partial index of
            # the release events, ix_custody_event_release
            .where(col(CustodyEvent.action) == literal_column("'release'"), col(CustodyItem.remains_id).is_not(None))),
    }
    recovered = {site_id: (int(n), int(mni)) for site_id, n, mni in session.execute(  # on ix_remains_site_individual
        select(Remains.site_id, func.count(col(Remains.id)),
               func.count(distinct(col(Remains.individual_id)))
               + func.count(case((col(Remains.individual_id).is_(None), col(Remains.id)))))
        .group_by(Remains.site_id))}
    rows = []
    for site_id, code, name in session.execute(select(Site.id, Site.code, Site.name_en).order_by(Site.code)):
        n, mni = recovered.get(site_id, (0, 0))
        rows.append({"code": code, "name_en": name, "recovered": n, "mni": mni,
                     **{stage: counts.get(site_id, 0) for stage, counts in counted.items()}})
    return rows


def _unique_profiles(session: Session) -> dict[str, int]:
    """Site code -> distinct genotypes among the current remains profiles: distinct digests of
    ``profile_genotype`` (one row per profile, written with its alleles), not the allele rows."""
    rows = session.execute(
        select(Site.code, func.count(distinct(col(ProfileGenotype.digest))))
        .select_from(Profile).join(ProfileGenotype, col(ProfileGenotype.profile_id) == col(Profile.id))
        .join(Sample, col(Sample.id) == col(Profile.sample_id)).join(Remains, col(Remains.id) == col(Sample.remains_id))
        .join(Site, col(Site.id) == col(Remains.site_id))
        .where(col(Profile.superseded).is_(False)).group_by(Site.code))
    return {code: int(n) for code, n in rows}


def _turnaround(session: Session) -> dict[str, list[int]]:
    """Site code -> days from recovery to identification of each identified remains (its oldest
    standing identification), in one statement over the standing identifications: plain rows,
    no list of remains ids sent back (PostgreSQL takes at most 65,535 parameters)."""
    retraction = aliased(Identification)
    rows = session.execute(
        select(col(Identification.remains_id), col(Identification.at), Site.code, Remains.recovered_on)
        .join(Remains, col(Remains.id) == col(Identification.remains_id))
        .join(Site, col(Site.id) == col(Remains.site_id))
        .where(col(Identification.retraction).is_(False), col(Remains.recovered_on).is_not(None),
               ~select(retraction.id).where(col(retraction.retracts_id) == col(Identification.id)).exists())
        .order_by(col(Identification.id)))
    seen: set[int] = set()
    days: dict[str, list[int]] = {}
    for remains_id, at, code, recovered_on in rows:
        if remains_id in seen:  # a later identification of the same remains: the oldest counts
            continue
        seen.add(remains_id)
        days.setdefault(code, []).append((at.date() - recovered_on).days)
    return {code: sorted(values) for code, values in days.items()}


def summary(session: Session) -> Dashboard:
    """The dashboard from SQL aggregates (one grouped statement per funnel stage and one for the
    MNI, one for the distinct genotype digests; turnaround over the identified remains only)."""
    unique = _unique_profiles(session)
    turnaround = _turnaround(session)
    rows = [SiteRow(r["code"], r["name_en"], {stage: int(r[stage]) for stage in STAGES}, int(r["mni"]),
                    unique.get(r["code"], 0), Turnaround.of(turnaround.get(r["code"], [])))
            for r in _funnel_rows(session)]
    return Dashboard(rows, _work(session))


def _work(session: Session) -> dict[str, dict[str, int]]:
    waiting_samples = session.execute(
        select(func.count()).select_from(Sample)
        .where(col(Sample.remains_id).is_not(None), col(Sample.state).not_in(sorted(DONE_SAMPLE_STATES)))).scalar_one()
    statuses = review_queue.status_counts(session)
    worklist = notifications.work_list(session)
    return {
        "technician": {msg("samples not yet profiled"): int(waiting_samples)},
        "analyst": {msg("matches to review"): statuses.get(OPEN, 0),
                    msg("proposals awaiting a second analyst"): statuses.get(PROPOSED_CONFIRM, 0)
                    + statuses.get(PROPOSED_REJECT, 0)},
        "coordinator": {msg("notifications to make"): len(worklist.to_notify),
                        msg("remains to hand over"): len(worklist.to_hand_over)},
    }


def to_data(dashboard: Dashboard) -> dict[str, Any]:
    """The dashboard as JSON-ready data (stored by ``services.dashboard_snapshot``); the work
    list's labels as messages, so that they are shown in the reader's language when read back."""
    return {"sites": [{"code": s.site_code, "name": s.site_name, "funnel": s.funnel, "mni": s.mni,
                       "unique_profiles": s.unique_profiles, "turnaround": asdict(s.turnaround)}
                      for s in dashboard.sites],
            "work": {role: [[messages.to_data(what), n] for what, n in items.items()]
                     for role, items in dashboard.work.items()}}


def from_data(data: dict[str, Any]) -> Dashboard:
    """The dashboard ``to_data`` gave."""
    sites = [SiteRow(s["code"], s["name"], {stage: int(s["funnel"][stage]) for stage in STAGES}, int(s["mni"]),
                     int(s["unique_profiles"]), Turnaround(**s["turnaround"])) for s in data["sites"]]
    work = {role: {_label(what): int(n) for what, n in items} for role, items in data["work"].items()}
    return Dashboard(sites, work)


def _label(data: object) -> str:
    label = messages.from_data(data)
    return label if isinstance(label, str) else str(data)


def table(dashboard: Dashboard, name: str) -> tuple[list[str], list[list[Any]]]:
    """One of the dashboard's tables as columns and rows (for export)."""
    if name == "funnel":
        return (["site", "name", *STAGES, "mni", "unique_profiles"],
                [[s.site_code, s.site_name, *[s.funnel[k] for k in STAGES], s.mni, s.unique_profiles]
                 for s in dashboard.sites])
    if name == "turnaround":
        return (["site", "identified", "median_days", "min_days", "max_days"],
                [[s.site_code, s.turnaround.identified, s.turnaround.median_days, s.turnaround.min_days,
                  s.turnaround.max_days] for s in dashboard.sites])
    if name == "work":
        return (["role", "work", "count"],
                [[role, what, n] for role, items in dashboard.work.items() for what, n in items.items()])
    from labtrack.core.errors import NotFound

    raise NotFound(msg("no dashboard table %(name)s; choose one of %(tables)s", name=repr(name),
                       tables=", ".join(TABLES)))
