"""Match runs: an analyst (or ``labtrack match-runs start``) queues a blind kinship search over
the stored profiles, pedigrees and consents with a chosen frequency table; a worker process
(``labtrack worker``) runs it as a job with stored progress, and every candidate above the
reporting threshold is stored as a ``Match`` for review, with its parameters, per-locus LRs and
the engine version. The parameters are one ``MatchParameters`` (``match_parameters.py``)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlalchemy import func
from sqlmodel import Session, select

from labtrack.core.errors import NotFound
from labtrack.core.messages import from_data, msg, to_data
from labtrack.db import standalone_session
from labtrack.imports.exchange import read_freqs, read_genotypes, read_pedigrees
from labtrack.imports.remains_dropout import read_remains_dropout
from labtrack.kinship.candidates import Candidate, find_candidates
from labtrack.kinship.search import default_prior, search
from labtrack.kinship.search_tables import TableCache
from labtrack.models import Family, FrequencyTable, Job, MatchRun, Sample, User, utcnow
from labtrack.services import candidates, jobs
from labtrack.services.family_side import FamilySideCache, remains_search
from labtrack.services.match_parameters import MatchParameters
from labtrack.services.transaction import write
from labtrack.version import __version__

if TYPE_CHECKING:
    from labtrack.services.search_input import EngineInput
    from labtrack.services.worker import JobContext

ENGINE_VERSION = f"labtrack-kinship {__version__}"
STAGES = {"tables": (0.0, 0.45), "search": (0.45, 0.9), "evidence": (0.9, 1.0)}
#: what a run is doing at each stage, for people (the job's stage)
STAGE_TEXTS = {"input": msg("reading the input"), "tables": msg("building the family tables"),
               "search": msg("searching"), "evidence": msg("exact likelihood ratios"),
               "store": msg("storing the candidates")}
JOB_KIND = "match_run"
#: the family tables of this worker process's last run, reused by the next run with the same
#: family side (continuous matching's runs of one new remains; ``LABTRACK_MATCH_TABLE_CACHE=0``
#: turns it off: about 1 GB of memory kept at 100,000 families)
TABLE_CACHE = TableCache()
#: the family side (pedigrees, references, frequency table) of this worker's last run of a few remains,
#: reused while the database's family-side version is unchanged (``services.family_side``; the same
#: setting turns it off)
FAMILY_SIDE_CACHE = FamilySideCache()
RunParameters = MatchParameters  # the name used before the parameters moved to their own module


def default_table(session: Session) -> FrequencyTable:
    table = session.exec(select(FrequencyTable).where(FrequencyTable.is_default == True)).first()  # noqa: E712
    if table is None:
        table = session.exec(select(FrequencyTable).order_by(FrequencyTable.id)).first()  # type: ignore[arg-type]
    if table is None:
        raise NotFound(msg("No allele-frequency table is loaded; import one first."))
    return table


def start_run(*, session: Session, by: User, params: MatchParameters, frequency_table_id: int | None = None,
              app: Flask | None = None, scope: dict[str, Any] | None = None,
              dedupe_key: str | None = None) -> MatchRun:
    """Queue a run as a job for the worker. With ``app.config["JOBS_INLINE"]`` (tests, or a
    one-process demo) the queue is worked off in this process before returning."""
    params.problems().raise_if_any(msg("The match run cannot start"))
    table = session.get(FrequencyTable, frequency_table_id) if frequency_table_id else default_table(session)
    if table is None:
        raise NotFound(msg("no frequency table with id %(id)s", id=frequency_table_id))
    with write(session, actor=by, reason="match run queued"):
        run = queue_run(session, by=by, params=params, table=table, scope=scope, dedupe_key=dedupe_key)
    if app is not None and app.config.get("JOBS_INLINE"):
        from labtrack.services.worker import run_inline

        run_inline(app)
        session.refresh(run)
    return run


def queue_run(session: Session, *, by: User, params: MatchParameters, table: FrequencyTable,
              scope: dict[str, Any] | None = None, dedupe_key: str | None = None) -> MatchRun:
    """Inside a write: a queued run and its job. ``scope``: ``{"remains": [accessions]}`` and/or
    ``{"families": [codes]}``; None for a full run. With ``dedupe_key``, a run of the same key
    still waiting is returned instead of a second one."""
    if dedupe_key is not None:
        waiting = session.exec(select(Job).where(Job.dedupe_key == dedupe_key, Job.status == "queued")).first()
        if waiting is not None and (run := session.get(MatchRun, waiting.subject_id)) is not None:
            return run
    run = MatchRun(started_by_id=by.id or 0, frequency_table_id=table.id or 0, params_json=params.to_json(),
                   engine_version=ENGINE_VERSION, scope_json=json.dumps(scope or {"full": True}, sort_keys=True))
    session.add(run)
    session.flush()
    jobs.enqueue(session, kind=JOB_KIND, payload={"run_id": run.id}, by=by, subject_type="match_run",
                 subject_id=run.id, dedupe_key=dedupe_key)
    return run


def follow_job(session: Session, job: Job) -> None:
    """Keep the run's status in line with its job (called inside the job's write): re-queued →
    queued at 0 %; failed or cancelled → failed with the job's reason."""
    run = session.get(MatchRun, job.subject_id)
    if run is None:
        return
    if job.status == "queued":
        run.status, run.progress = "queued", 0.0
    elif job.status in ("failed", "cancelled"):
        run.status, run.finished_at = "failed", utcnow()
        run.error, run.error_json = (job.error or job.status)[:2000], job.error_json
    else:
        return
    session.add(run)


class _Progress:
    """Writes the run's and the job's progress every 5 %, or after `EVERY_S` seconds when it
    moved less (the evidence step is a tenth of the bar but most of a large run's time: 20
    minutes at 100,000 × 100,000), so the audit log is not flooded and a person still sees the run
    move; checks at every step whether the job was cancelled or the worker is stopping."""

    EVERY_S = 30.0

    def __init__(self, session: Session, run: MatchRun, actor: User | str, context: JobContext,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.session, self.run, self.actor, self.context, self.last = session, run, actor, context, -1.0
        self.clock = clock
        self.written_at = clock()

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.context.check()
        start, end = STAGES[stage]
        value = start + (end - start) * (done / total if total else 1.0)
        now = self.clock()
        if value - self.last >= 0.05 or value >= 1.0 or (value > self.last and now - self.written_at >= self.EVERY_S):
            self.last, self.written_at = value, now
            with write(self.session, actor=self.actor, reason="match run progress"):
                self.run.progress = min(1.0, round(value, 3))
                self.session.add(self.run)
                self.context.progress(self.session, value, STAGE_TEXTS.get(stage, stage))


@contextmanager
def _search_function(address: str, n_threads: int) -> Iterator[tuple[Callable[..., Any], Any]]:
    """(search function, evidence map) of a run: in this process (the search in `n_threads`
    threads, the candidates' exact evidence on a local cluster of `n_threads` processes when
    there are many), or on the Dask scheduler at `address` ("local": a LocalCluster)."""
    from labtrack.kinship.distributed import dask_client, evidence_map, local_evidence_map, search_dask

    if not address:
        yield partial(search, n_threads=n_threads), local_evidence_map(n_threads)
        return
    with dask_client(address) as client:
        yield (lambda tables, genotypes, **kw: search_dask(client, tables, genotypes, **kw)), evidence_map(client)


def _store_matches(session: Session, run: MatchRun, found: list[Candidate], actor: User | str,
                   context: JobContext, *, search: tuple[str, candidates.Scope, EngineInput, float | None]) -> int:
    """Apply the run's candidates (one open candidate per pair, see ``services.candidates``), end
    the run and its job: one transaction."""
    input_sha256, scope, engine, prior = search
    with write(session, actor=actor, reason=f"match run {run.id} results"):
        outcome = candidates.store(session, run, found, scope,
                                   searched=(engine.genotypes, {p.family_id: p for p in engine.pedigrees}))
        run.status, run.progress, run.finished_at, run.n_matches = "done", 1.0, utcnow(), outcome.reported
        run.n_remains, run.n_families, run.input_sha256 = len(engine.remains), len(engine.pedigrees), input_sha256
        effective_prior = found[0].prior if found else (prior if prior is not None else
                                                        default_prior(len(engine.pedigrees)))
        said = {"problems": [to_data(p) for p in engine.problems], "skipped": [to_data(s) for s in outcome.skipped]}
        run.outcome_json = json.dumps(asdict(outcome) | {"reported": outcome.reported, "prior": effective_prior,
                                                         "problems": engine.problems, "messages": said},
                                      sort_keys=True)
        session.add(run)
        context.done(session)  # the job ends in the transaction that stores its results
    return outcome.reported


def run_on_files(directory: Path, params: MatchParameters,
                 progress: Callable[[str, int, int], None] | None = None,
                 n_threads: int = 1, dask: str = "") -> tuple[list[Candidate], int, int]:
    """Search the exchange files of ``directory`` (freqs.csv, genotypes.csv, pedigrees.csv,
    remains.txt). Returns (candidates, number of remains, number of families). ``n_threads``:
    threads of an in-process search and of the table build (0: one per CPU core); ``dask``: ""
    in this process, "local" a LocalCluster, else a scheduler address."""
    n_threads = n_threads or os.cpu_count() or 1
    table = read_freqs(directory / "freqs.csv")
    genotypes = read_genotypes(directory / "genotypes.csv")
    pedigrees = list(read_pedigrees(directory / "pedigrees.csv").values())
    remains = [line.strip() for line in (directory / "remains.txt").read_text().splitlines() if line.strip()]
    own = directory / "remains_dropout.csv"
    remains_dropout = read_remains_dropout(own) if own.exists() else {}
    with _search_function(dask, n_threads) as (search_fn, evidence):
        candidates = find_candidates(table, pedigrees, genotypes, remains, **params.engine_kwargs(),
                                     remains_dropout=remains_dropout, search_fn=search_fn, progress=progress,
                                     n_threads=n_threads, evidence_map=evidence)
    return candidates, len(remains), len(pedigrees)


def run_job(context: JobContext) -> None:
    """The worker's handler of a match-run job: read the run's input from the database (all of
    it, or the run's scope), search it, then store the candidates and end the job in one
    transaction (a job that stops half-way has stored nothing)."""
    from labtrack.services.search_input import build_search_input

    app = context.app
    with app.app_context(), standalone_session(app) as session:
        run = session.get(MatchRun, int(context.payload["run_id"]))
        if run is None:
            raise NotFound(msg("match run %(id)s does not exist", id=context.payload["run_id"]))
        actor: User | str = session.get(User, run.started_by_id) or "match-run"
        params = MatchParameters.from_json(run.params_json)
        scope = json.loads(run.scope_json or '{"full": true}')
        with write(session, actor=actor, reason="match run running"):
            run.status, run.progress, run.error, run.error_json = "running", 0.0, "", ""
            session.add(run)
            context.progress(session, 0.0, STAGE_TEXTS["input"])
        cache = bool(app.config.get("MATCH_TABLE_CACHE", True))
        composed = remains_search(session, FAMILY_SIDE_CACHE, run.frequency_table_id, scope["remains"]) \
            if cache and scope.get("remains") is not None and scope.get("families") is None else None
        if composed is None:  # a full run, a run of families: everything read afresh
            search_input = build_search_input(session=session, frequency_table_id=run.frequency_table_id,
                                              remains=scope.get("remains"), families=scope.get("families"))
            engine, input_sha256, family_key = search_input.engine_input(), search_input.sha256(), None
            del search_input  # its row tables (GBs at 100,000 families) are not needed past this point
        else:
            engine, input_sha256, family_key = composed.engine, composed.sha256, composed.family_key
        kwargs = params.engine_kwargs()
        if kwargs.get("prior") is None and scope.get("families") is not None:
            # a run of some families still weighs each remains against every family of the lab
            kwargs["prior"] = default_prior(session.exec(select(func.count()).select_from(Family)).one())
        store_scope = candidates.Scope(
            full=bool(scope.get("full")),
            sample_ids=frozenset(session.exec(select(Sample.id).where(
                Sample.accession.in_(scope.get("remains") or [])))),  # type: ignore[attr-defined]
            family_ids=frozenset(session.exec(select(Family.id).where(
                Family.code.in_(scope.get("families") or [])))))  # type: ignore[attr-defined]
        session.rollback()  # end the read before the long computation
        n_threads = app.config.get("MATCH_THREADS", 0) or os.cpu_count() or 1
        with _search_function(app.config.get("DASK_SCHEDULER", ""), n_threads) as (search_fn, evidence):
            found = find_candidates(engine.table, engine.pedigrees, engine.genotypes, engine.remains, **kwargs,
                                    remains_dropout=engine.remains_dropout, search_fn=search_fn,
                                    progress=_Progress(session, run, actor, context), n_threads=n_threads,
                                    evidence_map=evidence, problems=engine.problems,
                                    table_cache=TABLE_CACHE if cache else None, family_key=family_key)
        context.check()
        with write(session, actor=actor, reason="match run progress"):  # minutes at 100,000 × 100,000
            context.progress(session, run.progress, STAGE_TEXTS["store"])
        _store_matches(session, run, found, actor, context, search=(input_sha256, store_scope, engine,
                                                                  kwargs.get("prior")))


def outcome(run: MatchRun) -> dict[str, Any]:
    """What the run did to the candidates (counts, skipped problems); {} before it ends."""
    try:
        value = json.loads(run.outcome_json or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def problems(run: MatchRun) -> list[str]:
    """What the run left out, to fix: the engine's problems, then the skipped candidates; each a
    message (kept in ``outcome_json["messages"]``), or its English text in runs stored before."""
    value = outcome(run)
    said = value.get("messages") if isinstance(value.get("messages"), dict) else {}
    found: list[str] = []
    for key in ("problems", "skipped"):
        texts = [str(text) for text in value.get(key) or []]
        data = said.get(key)
        if isinstance(data, list) and len(data) == len(texts):
            found += [kept if isinstance(kept := from_data(item), str) else text for item, text in zip(data, texts,
                                                                                                          strict=True)]
        else:
            found += texts
    return found


def scope(run: MatchRun) -> dict[str, Any]:
    """What the run searched: ``{"full": True}``, ``{"remains": [...]}`` or ``{"families": [...]}``."""
    try:
        value = json.loads(run.scope_json or "{}")
    except json.JSONDecodeError:
        return {"full": True}
    return value if isinstance(value, dict) else {"full": True}


def get_run(session: Session, run_id: int) -> MatchRun:
    run = session.get(MatchRun, run_id, populate_existing=True)  # progress is written by another session
    if run is None:
        raise NotFound(msg("no match run %(id)s", id=run_id))
    return run


def list_runs(session: Session, limit: int = 50) -> list[MatchRun]:
    return list(session.exec(select(MatchRun).order_by(MatchRun.id.desc()).limit(limit)))  # type: ignore[union-attr]
