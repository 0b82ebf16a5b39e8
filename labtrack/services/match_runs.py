"""Match runs: an analyst starts a blind kinship search over the stored profiles, pedigrees and
consents with a chosen frequency table; it runs in the background with progress, and every
candidate above the reporting threshold is stored as a ``Match`` for review, with its
parameters, per-locus LRs and the engine version."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask
from sqlmodel import Session, select

from labtrack.core.errors import NotFound, ProblemList
from labtrack.db import standalone_session
from labtrack.imports.exchange import read_freqs, read_genotypes, read_pedigrees
from labtrack.kinship.candidates import Candidate, find_candidates
from labtrack.kinship.problems import InputError
from labtrack.kinship.search import search
from labtrack.models import Family, FrequencyTable, Match, MatchRun, Profile, Sample, User, utcnow
from labtrack.services.transaction import write
from labtrack.version import __version__

ENGINE_VERSION = f"labtrack-kinship {__version__}"
STAGES = {"tables": (0.0, 0.45), "search": (0.45, 0.9), "evidence": (0.9, 1.0)}


@dataclass(frozen=True)
class RunParameters:
    """What a match run computes with (stored with the run and each of its matches)."""

    theta: float = 0.0
    top_k: int = 5
    report_log10_lr: float = 3.0
    dask: str = ""  # "" in this process, "local" a LocalCluster, else a scheduler address

    def problems(self) -> ProblemList:
        found = ProblemList()
        if not 0.0 <= self.theta < 0.5:
            found.add("theta must be between 0 and 0.5", field="theta")
        if not 1 <= self.top_k <= 100:
            found.add("top-k must be between 1 and 100", field="top_k")
        if self.report_log10_lr < 0:
            found.add("the reporting threshold must be an LR of at least 1 (log10 ≥ 0)", field="report_log10_lr")
        return found


def default_table(session: Session) -> FrequencyTable:
    table = session.exec(select(FrequencyTable).where(FrequencyTable.is_default == True)).first()  # noqa: E712
    if table is None:
        table = session.exec(select(FrequencyTable).order_by(FrequencyTable.id)).first()  # type: ignore[arg-type]
    if table is None:
        raise NotFound("No allele-frequency table is loaded; import one first.")
    return table


def start_run(*, session: Session, by: User, params: RunParameters, frequency_table_id: int | None = None,
              app: Flask | None = None, background: bool = True) -> MatchRun:
    """Queue a run and start it (in a background thread unless ``background`` is False)."""
    params.problems().raise_if_any("The match run cannot start")
    table = session.get(FrequencyTable, frequency_table_id) if frequency_table_id else default_table(session)
    if table is None:
        raise NotFound(f"no frequency table with id {frequency_table_id}")
    with write(session, actor=by, reason="match run started"):
        run = MatchRun(started_by_id=by.id or 0, frequency_table_id=table.id or 0,
                       params_json=json.dumps(asdict(params), sort_keys=True), engine_version=ENGINE_VERSION)
        session.add(run)
    if app is not None and background:
        threading.Thread(target=execute_run, args=(app, run.id), daemon=True, name=f"match-run-{run.id}").start()
    elif app is not None:
        execute_run(app, run.id or 0)
        session.refresh(run)
    return run


class _Progress:
    """Writes the run's progress at most every 5 %, so the audit log is not flooded."""

    def __init__(self, session: Session, run: MatchRun, actor: User | str) -> None:
        self.session, self.run, self.actor, self.last = session, run, actor, -1.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        start, end = STAGES[stage]
        value = start + (end - start) * (done / total if total else 1.0)
        if value - self.last >= 0.05 or value >= 1.0:
            self.last = value
            with write(self.session, actor=self.actor, reason="match run progress"):
                self.run.progress = min(1.0, round(value, 3))
                self.session.add(self.run)


@contextmanager
def _search_function(address: str, n_threads: int) -> Iterator[Callable[..., Any] | None]:
    if not address:
        yield partial(search, n_threads=n_threads)
        return
    from labtrack.kinship.distributed import dask_client, search_dask

    with dask_client(address) as client:
        yield lambda tables, genotypes, **kw: search_dask(client, tables, genotypes, **kw)


def _store_matches(session: Session, run: MatchRun, candidates: list[Candidate], actor: User | str,
                   counts: tuple[int, int]) -> int:
    samples = {c.remains_sample_id for c in candidates}
    profiles: dict[str, int] = {}
    for accession in samples:
        row = session.exec(
            select(Profile.id).join(Sample, Sample.id == Profile.sample_id)  # type: ignore[arg-type]
            .where(Sample.accession == accession, Profile.superseded == False)  # noqa: E712
            .order_by(Profile.version.desc())  # type: ignore[attr-defined]
        ).first()
        if row is not None:
            profiles[accession] = int(row)
    families = {f.code: f.id for f in session.exec(select(Family)).all()}
    stored = 0
    with write(session, actor=actor, reason=f"match run {run.id} results"):
        for candidate in candidates:
            profile_id, family_id = profiles.get(candidate.remains_sample_id), families.get(candidate.family_id)
            if profile_id is None or family_id is None:
                continue
            session.add(Match(
                run_id=run.id or 0, profile_id=profile_id, family_id=family_id, log10_lr=candidate.log10_lr,
                posterior=candidate.posterior, prior=candidate.prior, rank=candidate.rank,
                loci_used=candidate.loci_used, per_locus_json=json.dumps(candidate.per_locus),
            ))
            stored += 1
        run.status, run.progress, run.finished_at, run.n_matches = "done", 1.0, utcnow(), stored
        run.n_remains, run.n_families = counts
        session.add(run)
    return stored


def run_on_files(directory: Path, params: RunParameters,
                 progress: Callable[[str, int, int], None] | None = None,
                 n_threads: int = 1) -> tuple[list[Candidate], int, int]:
    """Search the exchange files of ``directory`` (freqs.csv, genotypes.csv, pedigrees.csv,
    remains.txt). Returns (candidates, number of remains, number of families). ``n_threads``:
    threads of an in-process search and of the table build (0: one per CPU core)."""
    n_threads = n_threads or os.cpu_count() or 1
    table = read_freqs(directory / "freqs.csv")
    genotypes = read_genotypes(directory / "genotypes.csv")
    pedigrees = list(read_pedigrees(directory / "pedigrees.csv").values())
    remains = [line.strip() for line in (directory / "remains.txt").read_text().splitlines() if line.strip()]
    with _search_function(params.dask, n_threads) as search_fn:
        candidates = find_candidates(table, pedigrees, genotypes, remains, theta=params.theta,
                                     top_k=params.top_k, report_log10_lr=params.report_log10_lr,
                                     search_fn=search_fn, progress=progress, n_threads=n_threads)
    return candidates, len(remains), len(pedigrees)


def execute_run(app: Flask, run_id: int) -> None:
    """Run a queued match run to the end (records failure with its reason instead of raising)."""
    from labtrack.services.search_input import build_search_input

    with app.app_context(), standalone_session(app) as session:
        run = session.get(MatchRun, run_id)
        if run is None:
            return
        actor: User | str = session.get(User, run.started_by_id) or "match-run"
        params = RunParameters(**json.loads(run.params_json))
        try:
            with write(session, actor=actor, reason="match run running"):
                run.status = "running"
                session.add(run)
            search_input = build_search_input(session=session, frequency_table_id=run.frequency_table_id)
            with tempfile.TemporaryDirectory(prefix="labtrack-run-") as tmp:
                search_input.write(Path(tmp))
                candidates, n_remains, n_families = run_on_files(Path(tmp), params, _Progress(session, run, actor),
                                                                 n_threads=app.config.get("MATCH_THREADS", 0))
            _store_matches(session, run, candidates, actor, (n_remains, n_families))
        except Exception as error:  # noqa: BLE001 - the run records why it failed
            session.rollback()
            message = "; ".join(str(p) for p in error.problems) if isinstance(error, InputError) else str(error)
            with write(session, actor=actor, reason="match run failed"):
                failed = session.get(MatchRun, run_id)
                assert failed is not None
                failed.status, failed.finished_at = "failed", utcnow()
                failed.error = message[:2000] or type(error).__name__
                session.add(failed)


def get_run(session: Session, run_id: int) -> MatchRun:
    run = session.get(MatchRun, run_id, populate_existing=True)  # progress is written by another session
    if run is None:
        raise NotFound(f"no match run {run_id}")
    return run


def list_runs(session: Session, limit: int = 50) -> list[MatchRun]:
    return list(session.exec(select(MatchRun).order_by(MatchRun.id.desc()).limit(limit)))  # type: ignore[union-attr]
