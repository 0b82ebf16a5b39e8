"""Operations dashboard: per-site funnel, minimum number of individuals, unique profiles,
turnaround, work waiting per role; tables exported to CSV or Excel (formula-injection safe).

    summary(session) -> Dashboard
    table(dashboard, name) -> (columns, rows)       # names: TABLES
    to_csv(columns, rows) -> bytes ; to_xlsx(columns, rows, title) -> bytes

Funnel stages per site, each a count of remains: recovered (all) → sampled (≥1 sample) →
profiled (≥1 current remains profile) → matched (≥1 candidate match) → identified (an active
identification) → returned (released to the family).

Minimum number of individuals (MNI) per site: each group of remains re-associated to one
``Individual`` counts once, every remains not re-associated counts once. (It is the number of
individuals the lab currently distinguishes, not an osteological MNI: two unassociated parts
of one body still count twice until DNA links them.)

Unique DNA profiles per site: distinct genotypes among the current remains profiles of the site
(same alleles at every locus = one profile: duplicates and re-associated parts collapse).
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from labtrack.core.review_rules import OPEN, PROPOSED_CONFIRM, PROPOSED_REJECT
from labtrack.models import Match, Profile, ProfileAllele, Remains, Sample, Site
from labtrack.services import handover, identification, notifications, review

STAGES: tuple[str, ...] = ("recovered", "sampled", "profiled", "matched", "identified", "returned")
TABLES: tuple[str, ...] = ("funnel", "turnaround", "work")
DONE_SAMPLE_STATES = frozenset({"profiled", "failed", "consumed"})


@dataclass
class SiteRow:
    site_code: str
    site_name: str
    funnel: dict[str, int]
    mni: int
    unique_profiles: int
    turnaround_days: list[int] = field(default_factory=list)

    @property
    def median_days(self) -> float | None:
        return statistics.median(self.turnaround_days) if self.turnaround_days else None


@dataclass
class Dashboard:
    sites: list[SiteRow]
    work: dict[str, dict[str, int]]  # role -> {what: count}

    @property
    def totals(self) -> dict[str, int]:
        return {stage: sum(s.funnel[stage] for s in self.sites) for stage in STAGES}


def _remains_profiles(session: Session) -> dict[int, list[int]]:
    rows = session.exec(select(Sample.remains_id, Profile.id).join(Profile, Profile.sample_id == Sample.id)  # type: ignore[arg-type]
                        .where(Sample.remains_id != None, Profile.superseded == False))  # noqa: E711, E712
    out: dict[int, list[int]] = {}
    for remains_id, profile_id in rows:
        out.setdefault(remains_id, []).append(profile_id)
    return out


def _genotypes(session: Session) -> dict[int, tuple[tuple[str, tuple[str, ...]], ...]]:
    loci: dict[int, list[tuple[str, tuple[str, ...]]]] = {}
    for allele in session.exec(select(ProfileAllele)):
        loci.setdefault(allele.profile_id, []).append(
            (allele.locus, tuple(sorted((allele.allele1, allele.allele2)))))
    return {pid: tuple(sorted(v)) for pid, v in loci.items()}


def summary(session: Session) -> Dashboard:
    sampled = {r for r in session.exec(select(Sample.remains_id).where(Sample.remains_id != None)) if r}  # noqa: E711
    profiles = _remains_profiles(session)
    genotypes = _genotypes(session)
    matched = {r for r in session.exec(select(Sample.remains_id).join(Profile, Profile.sample_id == Sample.id)  # type: ignore[arg-type]
                                       .join(Match, Match.profile_id == Profile.id)) if r}  # type: ignore[arg-type]
    idents = {i.remains_id: i for i in reversed(identification.active(session))}
    released = handover.released_remains_ids(session)
    rows = []
    for site in session.exec(select(Site).order_by(Site.code)):
        remains = list(session.exec(select(Remains).where(Remains.site_id == site.id)))
        ids = [r.id for r in remains]
        funnel = {
            "recovered": len(remains), "sampled": sum(i in sampled for i in ids),
            "profiled": sum(i in profiles for i in ids), "matched": sum(i in matched for i in ids),
            "identified": sum(i in idents for i in ids), "returned": sum(i in released for i in ids),
        }
        individuals = {r.individual_id for r in remains if r.individual_id is not None}
        mni = len(individuals) + sum(r.individual_id is None for r in remains)
        unique = {genotypes[p] for i in ids for p in profiles.get(i or 0, []) if p in genotypes}
        days = [(idents[r.id].at.date() - r.recovered_on).days for r in remains
                if r.id in idents and r.recovered_on is not None]
        rows.append(SiteRow(site.code, site.name_en, funnel, mni, len(unique), sorted(days)))
    return Dashboard(rows, _work(session))


def _work(session: Session) -> dict[str, dict[str, int]]:
    waiting_samples = len([s for s in session.exec(select(Sample.state).where(Sample.remains_id != None))  # noqa: E711
                           if s not in DONE_SAMPLE_STATES])
    statuses = [row.status for row in review.queue(session, limit=1_000_000)]
    worklist = notifications.work_list(session)
    return {
        "technician": {"samples not yet profiled": waiting_samples},
        "analyst": {"matches to review": statuses.count(OPEN),
                    "proposals awaiting a second analyst": statuses.count(PROPOSED_CONFIRM)
                    + statuses.count(PROPOSED_REJECT)},
        "coordinator": {"notifications to make": len(worklist.to_notify),
                        "remains to hand over": len(worklist.to_hand_over)},
    }


def table(dashboard: Dashboard, name: str) -> tuple[list[str], list[list[Any]]]:
    """One of the dashboard's tables as columns and rows (for export)."""
    if name == "funnel":
        return (["site", "name", *STAGES, "mni", "unique_profiles"],
                [[s.site_code, s.site_name, *[s.funnel[k] for k in STAGES], s.mni, s.unique_profiles]
                 for s in dashboard.sites])
    if name == "turnaround":
        return (["site", "identified", "median_days", "min_days", "max_days"],
                [[s.site_code, len(s.turnaround_days), s.median_days,
                  min(s.turnaround_days) if s.turnaround_days else None,
                  max(s.turnaround_days) if s.turnaround_days else None] for s in dashboard.sites])
    if name == "work":
        return (["role", "work", "count"],
                [[role, what, n] for role, items in dashboard.work.items() for what, n in items.items()])
    from labtrack.core.errors import NotFound

    raise NotFound(f"no dashboard table {name!r}; choose one of {', '.join(TABLES)}")


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(columns: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(c) for c in columns])
    writer.writerows([["" if v is None else safe_cell(v) for v in row] for row in rows])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(columns: list[str], rows: list[list[Any]], title: str = "labtrack") -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append([safe_cell(c) for c in columns])
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
