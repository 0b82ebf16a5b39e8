"""Closed events: a coordinator defines one (its remains, or all remains of a site, and its
missing persons); an analyst runs the joint DVI on it as a worker job with stored progress; the
result (append-only `DviAnalysis`) holds the best joint assignments, the posterior pairing
probabilities, the pairwise LRs and dvir's conclusions with their thresholds, and says which
route was taken (exact, branch and bound, or sequential when the event is too large to
enumerate). Identifications proposed from it go through `labtrack.services.dvi_review`.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlmodel import Session, col, func, select

from labtrack.core.errors import Conflict, InputProblem, NotFound, ValidationFailed
from labtrack.core.messages import from_data, msg, terms, to_data
from labtrack.db import standalone_session
from labtrack.kinship.dvi import MAX_INCOMP, THRESHOLD, THRESHOLD2, EventLikelihood, joint, pairwise_log_lr, solve
from labtrack.kinship.dvi.joint import memory_bound
from labtrack.models import (
    DviAnalysis,
    DviEvent,
    DviEventMissing,
    DviEventRemains,
    Job,
    MissingPerson,
    Remains,
    Site,
    User,
)
from labtrack.models.dvi_events import EVENT_KINDS
from labtrack.services import jobs
from labtrack.services.dvi_input import EventInput, event_input
from labtrack.services.transaction import write

if TYPE_CHECKING:
    from labtrack.services.worker import JobContext

JOB_KIND = "dvi_event"
#: Joint assignments kept with an analysis (posteriors and pairing probabilities cover all).
TOP = 20
#: Partial assignments one part of an event may keep before the sequential route is used
#: (bounds the memory of a worker: see `memory_bound`).
MAX_STATES = 200_000
#: Placements scored in one family before its part takes the sequential route.
MAX_PLACEMENTS = 2_000
#: Progress is written at most this often (seconds).
PROGRESS_EVERY = 1.0


def engine_version() -> str:
    from labtrack.services.match_runs import ENGINE_VERSION

    return ENGINE_VERSION


# --- defining an event ---------------------------------------------------------------------

@dataclass(frozen=True)
class EventSummary:
    event: DviEvent
    n_remains: int
    n_missing: int
    last_analysis: DviAnalysis | None


def create_event(session: Session, *, code: str, name: str, kind: str, description: str, by: User) -> DviEvent:
    """A new closed event (its code unique)."""
    code, problems = (code or "").strip(), []
    if not code:
        problems.append(InputProblem(message=msg("an event code is required"), field="code"))
    elif len(code) > 40:
        problems.append(InputProblem(message=msg("the event code has more than 40 characters"), field="code"))
    if kind not in EVENT_KINDS:
        problems.append(InputProblem(message=msg("unknown kind %(kind)s: choose %(kinds)s", kind=repr(kind),
                                                 kinds=terms(EVENT_KINDS)), field="kind"))
    if len(name or "") > 200:
        problems.append(InputProblem(message=msg("the name has more than 200 characters"), field="name"))
    if problems:
        raise ValidationFailed(msg("The event cannot be created"), problems)
    with write(session, actor=by, reason=f"closed event {code} created"):
        if session.exec(select(DviEvent.id).where(DviEvent.code == code)).first() is not None:
            raise Conflict(msg("an event with code %(code)s exists already", code=code))
        event = DviEvent(code=code, name=(name or "").strip(), kind=kind, description=(description or "").strip(),
                         created_by_id=by.id or 0)
        session.add(event)
    return event


def get_event(session: Session, event_id: int) -> DviEvent:
    event = session.get(DviEvent, event_id)
    if event is None:
        raise NotFound(msg("no closed event %(id)s", id=event_id))
    return event


def list_events(session: Session) -> list[EventSummary]:
    counts_r = dict(session.exec(select(DviEventRemains.event_id, func.count())
                                 .group_by(DviEventRemains.event_id)).all())
    counts_m = dict(session.exec(select(DviEventMissing.event_id, func.count())
                                 .group_by(DviEventMissing.event_id)).all())
    out = []
    for event in session.exec(select(DviEvent).order_by(col(DviEvent.id).desc())):
        out.append(EventSummary(event, counts_r.get(event.id, 0), counts_m.get(event.id, 0),
                                latest_analysis(session, event.id or 0)))
    return out


def _codes(text: str | list[str]) -> list[str]:
    items = text if isinstance(text, list) else text.replace(",", " ").split()
    return list(dict.fromkeys(i.strip().upper() for i in items if i.strip()))


def add_members(session: Session, *, event_id: int, remains: str | list[str] = "", site_code: str = "",
                case_numbers: str | list[str] = "", by: User) -> tuple[int, int]:
    """Add remains (accessions, or every remains of a site) and missing persons (case numbers) to
    the event; all or nothing: an unknown accession or case number is named and nothing is added.
    Returns (remains added, missing persons added); members already in the event are kept."""
    event = get_event(session, event_id)
    problems: list[InputProblem] = []
    accessions, cases = _codes(remains), _codes(case_numbers)
    found_r = {r.accession: r for r in session.exec(select(Remains).where(col(Remains.accession).in_(accessions)))}
    for accession in accessions:
        if accession not in found_r:
            problems.append(InputProblem(message=msg("no remains %(accession)s", accession=accession), field="remains"))
    chosen = list(found_r.values())
    if site_code.strip():
        site = session.exec(select(Site).where(Site.code == site_code.strip().upper())).first()
        if site is None:
            problems.append(InputProblem(message=msg("no site %(site)s", site=site_code.strip()), field="site_code"))
        else:
            chosen += list(session.exec(select(Remains).where(Remains.site_id == site.id)))
    found_m = {p.case_number.upper(): p for p in session.exec(
        select(MissingPerson).where(func.upper(MissingPerson.case_number).in_(cases)))}
    for case in cases:
        if case not in found_m:
            problems.append(InputProblem(message=msg("no missing person with case number %(case)s", case=case),
                                            field="case_numbers"))
    if not problems and not chosen and not found_m:
        problems.append(InputProblem(message=msg("give remains accessions, a site code or case numbers"),
                                     field="remains"))
    if problems:
        raise ValidationFailed(msg("Nothing was added to event %(event)s", event=event.code), problems)
    have_r = set(session.exec(select(DviEventRemains.remains_id).where(DviEventRemains.event_id == event_id)))
    have_m = set(session.exec(select(DviEventMissing.missing_person_id).where(DviEventMissing.event_id == event_id)))
    new_r = sorted({r.id for r in chosen if r.id not in have_r})
    new_m = sorted({p.id for p in found_m.values() if p.id not in have_m})
    with write(session, actor=by, reason=f"closed event {event.code}: {len(new_r)} remains and "
                                         f"{len(new_m)} missing persons added"):
        for rid in new_r:
            session.add(DviEventRemains(event_id=event_id, remains_id=rid or 0))
        for mid in new_m:
            session.add(DviEventMissing(event_id=event_id, missing_person_id=mid or 0))
    return len(new_r), len(new_m)


def remove_member(session: Session, *, event_id: int, remains_id: int | None = None,
                  missing_person_id: int | None = None, by: User) -> None:
    """Take one remains or one missing person out of the event (audited)."""
    event = get_event(session, event_id)
    with write(session, actor=by, reason=f"closed event {event.code}: member removed"):
        if remains_id is not None:
            row: Any = session.exec(select(DviEventRemains).where(DviEventRemains.event_id == event_id,
                                                                  DviEventRemains.remains_id == remains_id)).first()
        else:
            row = session.exec(select(DviEventMissing).where(
                DviEventMissing.event_id == event_id, DviEventMissing.missing_person_id == missing_person_id)).first()
        if row is None:
            raise NotFound(msg("that member is not in the event"))
        session.delete(row)


@dataclass(frozen=True)
class Members:
    remains: list[tuple[Remains, str]]  # remains and its site code
    missing: list[tuple[MissingPerson, str]]  # missing person and their family codes


def members(session: Session, event_id: int) -> Members:
    from labtrack.services import families as families_service

    remains = [(r, s.code) for r, s in session.exec(
        select(Remains, Site).join(DviEventRemains, DviEventRemains.remains_id == Remains.id)  # type: ignore[arg-type]
        .join(Site, Site.id == Remains.site_id)  # type: ignore[arg-type]
        .where(DviEventRemains.event_id == event_id).order_by(Remains.accession))]
    missing = [(p, ", ".join(f.code for f in families_service.families_of_missing_person(session, p.id or 0)))
               for p in session.exec(select(MissingPerson).join(
                   DviEventMissing, DviEventMissing.missing_person_id == MissingPerson.id)  # type: ignore[arg-type]
                   .where(DviEventMissing.event_id == event_id).order_by(MissingPerson.case_number))]
    return Members(remains, missing)


# --- the analysis as a worker job -----------------------------------------------------------

def request_analysis(session: Session, *, event_id: int, by: User, config: Mapping[str, Any],
                     app: Flask | None = None) -> Job:
    """Check that the event can be analysed (a clear error if not), then queue the joint DVI
    (repeated requests while one waits coalesce). With ``JOBS_INLINE`` it runs at once."""
    event = get_event(session, event_id)
    event_input(session, event, config)
    session.rollback()
    job = jobs.enqueue(session, kind=JOB_KIND, payload={"event_id": event_id}, by=by, subject_type="dvi_event",
                       subject_id=event_id, dedupe_key=f"{JOB_KIND}:{event_id}")
    if app is not None and app.config.get("JOBS_INLINE"):
        from labtrack.services.worker import run_inline

        run_inline(app)
    return job


def analyse(data: EventInput, progress: Any = None) -> dict[str, Any]:
    """The joint DVI of an event input (pure computation): the result as stored."""
    problem = data.problem
    if progress:
        progress(0.02, msg("likelihoods"))
    lik = EventLikelihood(problem)

    def step(fraction: float, stage: str) -> None:
        if progress:
            progress(0.05 + 0.75 * fraction, stage)

    result = joint(problem, lik, top=TOP, max_states=MAX_STATES, max_placements=MAX_PLACEMENTS, progress=step)
    if progress:
        progress(0.8, msg("conclusions"))
    conclusions = solve(problem, lik)
    pair = pairwise_log_lr(lik) / math.log(10)
    victims, missing = list(result.victims), list(result.missing)
    family_of = {m: data.missing[m][2] for m in missing}
    pairwise = [{"victim": v, "missing": m, "family": family_of[m], "log10_lr": _num(pair[i, j]),
                 "excluded": bool(pair[i, j] == -math.inf)}
                for i, v in enumerate(victims) for j, m in enumerate(missing) if not math.isnan(pair[i, j])]
    sequential = result.method == "sequential"
    vs_best, vs_null = result.log10_lr_vs_best(), result.log10_lr_vs_null()
    assignments = [{"rank": k + 1,
                    "assignment": [missing[j] if j >= 0 else "*" for j in result.assignments[k]],
                    "loglik": _num(result.loglik[k]), "log10_lr_vs_best": _num(vs_best[k]),
                    "log10_lr_vs_null": _num(vs_null[k]), "posterior": _num(result.posteriors[k])}
                   for k in range(min(TOP, len(result.loglik)))]
    pairing = None if sequential else [[_num(x) for x in row] for row in result.pairing]
    return {
        "victims": victims, "missing": missing, "families": family_of,
        "pairwise": pairwise, "joint": assignments, "pairing": pairing,
        "conclusions": [{"side": c.side, "family": c.family_id, "missing": c.missing, "victim": c.victim,
                         "lr": _num(c.lr), "glr": _num(c.glr), "conclusion": c.conclusion, "comment": c.comment}
                        for c in conclusions],
        "thresholds": {"lr": THRESHOLD, "lr_second_step": THRESHOLD2, "max_incompatible_markers": MAX_INCOMP},
        "method": result.method, "message": result.message, "neglected_mass": _num(result.neglected_mass),
        "visited": int(result.visited), "n_assignments": int(result.n_assignments),
        "components": int(result.components), "pruned_pairings": int(result.pruned_pairings),
        "max_states": MAX_STATES, "memory_bound_bytes": memory_bound(MAX_STATES, len(victims)),
        "warnings": list(problem.warnings), "left_out": data.left_out, "params": data.params,
        # the route message and the warnings as messages (said in the reader's language on the page)
        "messages": {"message": to_data(result.message), "warnings": [to_data(w) for w in problem.warnings]},
    }  # fmt: skip


def _num(value: float) -> float | None:
    """JSON has no NaN or infinity: None for those (the `excluded` flag says LR 0)."""
    value = float(value)
    return value if math.isfinite(value) else None


def run_job(context: JobContext) -> None:
    """The worker's handler: build the event's input, analyse it with stored progress, then
    store the result and end the job in one write."""
    app = context.app
    actor = "dvi-event"
    with app.app_context(), standalone_session(app) as session:
        event = session.get(DviEvent, int(context.payload["event_id"]))
        if event is None:
            raise NotFound(msg("closed event %(id)s does not exist", id=context.payload["event_id"]))
        data = event_input(session, event, app.config)
        session.rollback()
        last = [0.0]

        def progress(value: float, stage: str) -> None:
            context.check()
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY or value == 0.0:
                last[0] = now
                with write(session, actor=actor, reason="joint DVI progress"):
                    context.progress(session, value, stage)

        progress(0.0, msg("reading the input"))
        result = analyse(data, progress)
        context.check()
        with write(session, actor=actor, reason=f"joint DVI of closed event {event.code}"):
            session.add(DviAnalysis(
                event_id=event.id or 0, job_id=context.job_id, frequency_table_id=data.frequency_table_id,
                input_sha256=data.sha256, engine_version=engine_version(), method=result["method"],
                message=result["message"], n_victims=len(result["victims"]), n_missing=len(result["missing"]),
                result_json=json.dumps(result, sort_keys=True, allow_nan=False)))
            context.done(session)


def cancel_analysis(session: Session, *, event_id: int, by: User) -> Job:
    """Cancel the event's queued or running analysis (Conflict when none is)."""
    get_event(session, event_id)
    job = pending(session, event_id)
    if job is None:
        raise Conflict(msg("no joint analysis of event %(id)s is queued or running", id=event_id))
    return jobs.request_cancel(session, job.id or 0, by=by)


# --- reading results ---------------------------------------------------------------------------

def latest_analysis(session: Session, event_id: int) -> DviAnalysis | None:
    return session.exec(select(DviAnalysis).where(DviAnalysis.event_id == event_id)
                        .order_by(col(DviAnalysis.id).desc())).first()


def pending(session: Session, event_id: int) -> Job | None:
    """A queued or running analysis of the event."""
    return session.exec(select(Job).where(Job.kind == JOB_KIND, Job.subject_id == event_id,
                                          col(Job.status).in_(("queued", "running")))).first()


def last_job(session: Session, event_id: int) -> Job | None:
    return session.exec(select(Job).where(Job.kind == JOB_KIND, Job.subject_id == event_id)
                        .order_by(col(Job.id).desc())).first()


def result_of(analysis: DviAnalysis) -> dict[str, Any]:
    return dict(json.loads(analysis.result_json))


def said(result: dict[str, Any]) -> tuple[str, list[str]]:
    """The analysis' route message and warnings as messages (older analyses: their English text)."""
    kept = result.get("messages") if isinstance(result.get("messages"), dict) else {}
    message = from_data(kept.get("message", result.get("message", "")))
    warnings = kept.get("warnings")
    if not isinstance(warnings, list) or len(warnings) != len(result.get("warnings", [])):
        warnings = list(result.get("warnings", []))
    return (message if isinstance(message, str) else str(result.get("message", "")),
            [w if isinstance(w := from_data(item), str) else str(item) for item in warnings])


def pairing_probability(result: dict[str, Any], victim: str, missing: str) -> float | None:
    """Posterior probability that `victim` is `missing` (None on the sequential route)."""
    if result.get("pairing") is None or victim not in result["victims"] or missing not in result["missing"]:
        return None
    value = result["pairing"][result["victims"].index(victim)][result["missing"].index(missing)]
    return None if value is None else float(value)


#: Above this many missing persons the page lists each victim's best candidates instead of the
#: full table of pairing probabilities, and only the pairwise LRs above 1 (the API has all).
PAGE_FULL_TABLE = 30


def best_candidates(result: dict[str, Any], k: int = 3) -> list[tuple[str, list[tuple[str, float]], float]]:
    """Per victim its `k` most probable missing persons (probability > 0) and P(nobody)."""
    if result.get("pairing") is None:
        return []
    out = []
    for victim, row in zip(result["victims"], result["pairing"], strict=True):
        ranked = sorted(((m, p) for m, p in zip(result["missing"], row, strict=False) if p), key=lambda t: -t[1])
        out.append((victim, ranked[:k], float(row[-1] or 0.0)))
    return out


def pairwise_log10_lr(result: dict[str, Any], victim: str, missing: str) -> float | None:
    for row in result["pairwise"]:
        if row["victim"] == victim and row["missing"] == missing:
            return None if row["excluded"] else row["log10_lr"]
    return None


def conclusion_for(result: dict[str, Any], victim: str, missing: str) -> str:
    """dvir's conclusion on this pairing (the victim's row naming this missing person), or ''."""
    for row in result["conclusions"]:
        if row["side"] == "PM" and row["victim"] == victim and missing in row["missing"].split("/"):
            return str(row["conclusion"])
    return ""
