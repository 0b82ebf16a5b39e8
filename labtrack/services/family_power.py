"""Identification power of a family's references (EP/IP, and which further relative would help
most), computed by a worker job and kept (append-only `family_power`); the family page shows
the newest in words."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from flask import Flask
from sqlmodel import Session, select

from labtrack.core.errors import InputError, NotFound
from labtrack.core.messages import joined, msg
from labtrack.db import standalone_session
from labtrack.kinship.freqs import FrequencyTable
from labtrack.kinship.pedigree import FEMALE, MALE, UNKNOWN_SEX, Pedigree, Person
from labtrack.kinship.power import THRESHOLDS, power, what_if
from labtrack.models import Family, FamilyPower, Job, User
from labtrack.services import frequencies, jobs, pedigree_exchange
from labtrack.services.transaction import write

if TYPE_CHECKING:
    from labtrack.services.worker import JobContext

JOB_KIND = "family_power"
#: Simulated true missing persons (inclusion power) and draws per further relative.
NSIM = 1000
NSIM_WHAT_IF = 200
SEED = 20261202
_SEX = {"M": MALE, "F": FEMALE, "U": UNKNOWN_SEX}


@dataclass(frozen=True)
class PowerView:
    """What the family page shows."""

    record: FamilyPower
    ep: float
    ip: float  # inclusion power at LR >= 1e4
    best_relative: str
    best_ip: float
    can_identify: bool
    ranked: list[dict[str, Any]]
    references: list[str]


def request(session: Session, *, family_id: int, by: User, app: Flask | None = None) -> Job:
    """Queue the computation for a family (repeated requests while one waits coalesce). With
    ``app.config["JOBS_INLINE"]`` the queued jobs run at once in this process."""
    family = session.get(Family, family_id)
    if family is None:
        raise NotFound(msg("no family %(id)s", id=family_id))
    job = jobs.enqueue(session, kind=JOB_KIND, payload={"family_id": family_id}, by=by,
                       subject_type="family", subject_id=family_id,
                       dedupe_key=f"{JOB_KIND}:{family_id}")  # fmt: skip
    if app is not None and app.config.get("JOBS_INLINE"):
        from labtrack.services.worker import run_inline

        run_inline(app)
    return job


def family_input(session: Session, family: Family
                 ) -> tuple[Pedigree, dict[str, dict[str, tuple[str, str]]], FrequencyTable, int]:
    """The family as the kinship engine sees it: pedigree (typed = references with searchable
    profiles), their genotypes, the default frequency table (and its id)."""
    from labtrack.services.search_input import searchable_genotypes

    rows = pedigree_exchange.pedigree_rows(session, [family])
    genotype_frame, _ = searchable_genotypes(session)
    samples = {r.sample_id for r in rows if r.sample_id}
    frame = genotype_frame[genotype_frame["sample_id"].isin(samples)]
    genotypes: dict[str, dict[str, tuple[str, str]]] = {}
    for sample, marker, a1, a2 in frame[["sample_id", "marker", "allele1", "allele2"]].itertuples(
            index=False):
        genotypes.setdefault(str(sample), {})[str(marker)] = (str(a1), str(a2))
    persons = [Person(r.person_id, r.father_id or None, r.mother_id or None, _SEX.get(r.sex, 0),
                      r.sample_id if r.sample_id in genotypes else None, r.missing)
               for r in rows]  # fmt: skip
    pedigree = Pedigree.build(family.code, persons)
    table_row = frequencies.get_table(session)
    freq = frequencies.table_frame(session, table_row)
    table = FrequencyTable.from_rows(
        [(m, a, float(f), int(n) if n == n and n is not None else None)
         for m, a, f, n in freq[["marker", "allele", "frequency", "n_alleles"]].itertuples(
             index=False)], min_freq=1e-3)  # fmt: skip
    return pedigree, genotypes, table, table_row.id or 0


def compute(session: Session, family: Family) -> tuple[dict[str, Any], list[str], int]:
    """EP/IP of the family's current references: (result, reference samples, table id)."""
    pedigree, genotypes, table, table_id = family_input(session, family)
    base = power(pedigree, genotypes, table, nsim=NSIM, seed=SEED)
    ranked = what_if(pedigree, genotypes, table, nsim=NSIM_WHAT_IF, seed=SEED, baseline=base)
    result = {
        "markers": list(base.markers), "ep": [float(x) for x in base.ep],
        "ep_total": base.ep_total, "expected_mismatch": base.expected_mismatch,
        "ip": {f"{t:g}": base.ip(t) for t in THRESHOLDS}, "mean_log10_lr": base.mean_log10_lr,
        "what_if": [{"relative": w.label, "typed": list(w.typed), "ep": w.ep_total,
                     "ip": {f"{t:g}": w.ip[t] for t in THRESHOLDS},
                     "mean_log10_lr": w.mean_log10_lr} for w in ranked],
        "nsim": NSIM, "nsim_what_if": NSIM_WHAT_IF, "seed": SEED,
    }  # fmt: skip
    return result, sorted(genotypes), table_id


def fam_file(session: Session, family: Family) -> str:
    """The family as a Familias .fam file: its tree as one hypothesis, the references'
    genotypes, the default frequency table (no mutation model)."""
    from labtrack.kinship.familias import FamLocus, FamMutation, family_fam, format_fam

    pedigree, genotypes, table, _ = family_input(session, family)
    none = FamMutation(0, "equal", 0.0, 0.0, 0.1)
    loci = [FamLocus(m, *table.alleles_and_freqs(m), none, none) for m in table.marker_names()]
    return format_fam(family_fam(pedigree, genotypes, loci))


def run_job(context: JobContext) -> None:
    """The worker's handler: compute, then store the result and end the job in one write."""
    app = context.app
    with app.app_context(), standalone_session(app) as session:
        family = session.get(Family, int(context.payload["family_id"]))
        if family is None:
            raise NotFound(msg("family %(id)s does not exist", id=context.payload["family_id"]))
        actor: User | str = "family-power"
        with write(session, actor=actor, reason="identification power computing"):
            context.progress(session, 0.1, msg("simulating the references"))
        try:
            result, references, table_id = compute(session, family)
        except InputError as exc:
            # the job fails with the engine's problems, said in the reader's language on the pages
            raise ValueError(msg("family %(family)s: %(problem)s", family=family.code,
                                 problem=joined(p.describe() for p in exc.problems))) from exc
        session.rollback()
        context.check()
        with write(session, actor=actor, reason=f"identification power of family {family.code}"):
            session.add(FamilyPower(
                family_id=family.id or 0, job_id=context.job_id, frequency_table_id=table_id,
                references=",".join(references), n_markers=len(result["markers"]),
                ep_total=float(result["ep_total"]), ip_1e4=float(result["ip"]["10000"]),
                mean_log10_lr=float(result["mean_log10_lr"]), nsim=NSIM,
                result_json=json.dumps(result, sort_keys=True),
            ))  # fmt: skip
            context.done(session)


def latest(session: Session, family_id: int) -> PowerView | None:
    """The newest computation for the family, ready for the page; None before the first."""
    record = session.exec(select(FamilyPower).where(FamilyPower.family_id == family_id)
                          .order_by(FamilyPower.id.desc())).first()  # type: ignore[union-attr]
    if record is None:
        return None
    result = json.loads(record.result_json)
    ranked = result.get("what_if", [])
    best = ranked[0] if ranked else {"relative": "", "ip": {"10000": record.ip_1e4}}
    return PowerView(
        record=record, ep=record.ep_total, ip=record.ip_1e4,
        best_relative=best["relative"], best_ip=float(best["ip"]["10000"]),
        can_identify=bool(np.isfinite(record.ip_1e4) and record.ip_1e4 >= WEAK_IP),
        ranked=ranked[:5], references=[r for r in record.references.split(",") if r],
    )  # fmt: skip


def pending(session: Session, family_id: int) -> Job | None:
    """A queued or running computation for the family."""
    return session.exec(select(Job).where(Job.kind == JOB_KIND, Job.subject_id == family_id,
                                          Job.status.in_(("queued", "running")))).first()  # type: ignore[attr-defined]


#: Below this inclusion power (LR >= 1e4) the references are unlikely to identify.
WEAK_IP = 0.5
#: families looked up per statement when queueing refreshes
REFRESH_CHUNK = 5000


def weak_families(session: Session) -> list[tuple[Family, FamilyPower]]:
    """Families whose newest computation says their references are unlikely to identify the
    missing person (IP at LR >= 1e4 below WEAK_IP), weakest first: the coordinators' work."""
    newest: dict[int, FamilyPower] = {}
    for record in session.exec(select(FamilyPower).order_by(FamilyPower.id)):  # type: ignore[arg-type]
        newest[record.family_id] = record
    weak = [r for r in newest.values() if r.ip_1e4 < WEAK_IP]
    out = []
    for record in sorted(weak, key=lambda r: (r.ip_1e4, r.family_id)):
        family = session.get(Family, record.family_id)
        if family is not None:
            out.append((family, record))
    return out


def queue_refresh(session: Session, family_ids: set[int], by: User | None) -> None:
    """Inside a write (the continuous-matching hook): queue a new computation for each of these
    families that already has one (its references or pedigree changed); coalesced per family."""
    if not family_ids or by is None:
        return
    ordered, computed = sorted(family_ids), set()
    for start in range(0, len(ordered), REFRESH_CHUNK):  # a bulk import touches every family: PostgreSQL
        # refuses a statement with more than 65,535 parameters (100,000 families failed the import)
        computed |= set(session.exec(select(FamilyPower.family_id).where(
            FamilyPower.family_id.in_(ordered[start:start + REFRESH_CHUNK])).distinct()))  # type: ignore[attr-defined]
    for family_id in sorted(computed):
        jobs.enqueue(session, kind=JOB_KIND, payload={"family_id": family_id}, by=by,
                     subject_type="family", subject_id=family_id,
                     dedupe_key=f"{JOB_KIND}:{family_id}")  # fmt: skip
