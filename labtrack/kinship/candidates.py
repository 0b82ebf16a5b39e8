"""A blind search reduced to reportable candidates, each with its exact per-locus evidence.

The search (``labtrack.kinship.search``) ranks every family for every remains by table look-ups;
this module takes the top candidates above a reporting threshold and recomputes each one as an
exact case (``case_lr``, per-case unseen-allele rule, as ``labtrack kinship lr`` does, under the
same mutation and drop-out models), so that the number stored for review is exactly the case LR
an analyst would reproduce. Each locus carries its reading (consistent as typed, only through a
mutation, only through drop-out, excluding: ``consistency``). Families that one or two loci
exclude come back as *near misses* (LR 0, never proposable) instead of vanishing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from labtrack.core.errors import InputError
from labtrack.core.messages import joined, msg
from labtrack.kinship.consistency import READINGS, read_locus
from labtrack.kinship.dropout import DropModel
from labtrack.kinship.freqs import FrequencyTable
from labtrack.kinship.lr import CaseLR, case_lr
from labtrack.kinship.markers import canonical_marker
from labtrack.kinship.mutation import MutationModel
from labtrack.kinship.pedigree import Pedigree
from labtrack.kinship.posterior import posterior_from_log10
from labtrack.kinship.search import SearchResult, near_miss, search
from labtrack.kinship.search_tables import TableCache, prepare_search
from labtrack.kinship.tables import theta_limit

Genotypes = Mapping[str, Mapping[str, Sequence[str]]]
#: progress(stage, done, total); stage is "tables", "search" or "evidence"
StageProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Candidate:
    """A remains sample that may be a family's missing person, with the exact evidence."""

    remains_sample_id: str
    family_id: str
    rank: int
    log10_lr: float
    posterior: float
    prior: float
    loci_used: int
    #: the per-locus rows (`per_locus_evidence`) as their JSON text, which is how they are stored:
    #: a run at 100,000 × 100,000 holds some 236,000 candidates, 6 KB each as text, 22 KB as dicts
    per_locus_json: str = "[]"
    near_miss: bool = False
    excluded_loci: tuple[str, ...] = ()

    @property
    def per_locus(self) -> list[dict[str, Any]]:
        """The per-locus rows, decoded from `per_locus_json`."""
        rows: list[dict[str, Any]] = json.loads(self.per_locus_json)
        return rows

    @property
    def flagged_loci(self) -> list[dict[str, Any]]:
        """The loci an analyst must look at (a mutation, a drop-out, an exclusion)."""
        return [row for row in self.per_locus if row.get("reading") not in (None, "consistent", "not_compared")]


@dataclass(frozen=True)
class CaseModels:
    """The models of a run: mutation of every transmission, drop-out/drop-in of the remains,
    and per-sample drop-out overrides (same drop-in)."""

    mutation: MutationModel | None = None
    drop: DropModel | None = None
    remains_dropout: Mapping[str, float] = field(default_factory=dict)

    def drop_for(self, sample: str) -> DropModel | None:
        own = self.remains_dropout.get(sample)
        if own is None:
            return self.drop
        return DropModel(float(own), self.drop.dropin if self.drop else 0.0)


def per_locus_evidence(case: CaseLR, pedigree: Pedigree, genotypes: Genotypes,
                       unknown_sample_id: str, table: FrequencyTable | None = None,
                       models: CaseModels | None = None) -> list[dict[str, Any]]:
    """Per-locus rows for review: ``{"marker", "remains": [a1, a2] | [a1] (one seen) | None,
    "relatives": {person_id: [a1, a2]}, "lr", "log10_lr", "flag", "used", "one_seen",
    "reading", "reading_text", "steps"}`` (LR NaN → None; reading only with `table`)."""
    models = models or CaseModels()
    rows = []
    samples = pedigree.sample_of()
    unknown = {k.upper(): v for k, v in genotypes.get(unknown_sample_id, {}).items()}
    profiles = {pid: {k.upper(): v for k, v in genotypes.get(sample, {}).items()} for pid, sample in samples.items()}
    for locus in case.loci:
        key = locus.marker.upper()
        relatives = {pid: list(profile[key]) for pid, profile in profiles.items() if key in profile}
        lr = None if math.isnan(locus.lr) else locus.lr
        log10 = None if lr is None else (None if lr == 0 else math.log10(lr))
        row: dict[str, Any] = {
            "marker": locus.marker,
            "remains": list(unknown[key]) if key in unknown else None,
            "relatives": relatives,
            "lr": lr,
            "log10_lr": log10,
            "flag": locus.flag,
            "used": locus.used,
            "one_seen": locus.one_seen,
        }
        if table is not None and locus.marker in table:
            seen = unknown.get(key)
            alleles = [a for g in relatives.values() for a in g] + list(seen or ())
            reading = read_locus(
                pedigree, relatives, seen, table.for_case(canonical_marker(locus.marker), alleles),
                mutation=models.mutation, drop=models.drop_for(unknown_sample_id),
            )
            row.update(reading=reading.status, reading_text=READINGS[reading.status], steps=reading.steps)
        drop = models.drop_for(unknown_sample_id)
        row["dropout"] = drop.dropout if drop is not None else None
        rows.append(row)
    return rows


def find_candidates(
    table: FrequencyTable,
    pedigrees: Sequence[Pedigree],
    genotypes: Genotypes,
    remains_ids: Sequence[str],
    *,
    theta: float = 0.0,
    top_k: int = 5,
    report_log10_lr: float = 2.0,
    prior: float | None = None,
    search_fn: Callable[..., SearchResult] | None = None,
    progress: StageProgress | None = None,
    n_threads: int = 1,
    mutation: MutationModel | None = None,
    drop: DropModel | None = None,
    remains_dropout: Mapping[str, float] | None = None,
    near_k: int = 0,
    evidence_map: EvidenceMap | None = None,
    problems: list[str] | None = None,
    table_cache: TableCache | None = None,
    family_key: str | None = None,
) -> list[Candidate]:
    """Search every remains against every family; return the candidates to review.

    A candidate is one of a remains' ``top_k`` families whose search log10 LR is at least
    ``report_log10_lr``; its reported LR and per-locus table (with each locus' reading) are
    recomputed exactly under the same models. Up to ``near_k`` families per remains that one or
    two loci exclude come back as near misses (``near_miss=True``, posterior 0, the LR of the
    other loci in ``log10_lr`` only if it reaches the threshold).
    ``search_fn(tables, genotypes, top_k=..., prior=..., progress=..., near_k=...)`` lets
    callers run the search on Dask; default: this process. ``n_threads``: threads of the
    table build. mutation, drop, remains_dropout: the run's models (see `CaseModels`).
    ``evidence_map(fn, chunks)``: how the exact evidence of the candidates is computed, in
    chunks of `EVIDENCE_CHUNK` (default: in this process, one after the other; on a Dask
    cluster: `labtrack.kinship.distributed.evidence_map`); the candidates come back in the same
    order either way. A candidate the exact engine refuses is skipped and described in
    ``problems`` (when given) instead of failing the run. ``table_cache``: reuse the family
    tables of an earlier search with the same family side (`search_tables.TableCache`);
    ``family_key``: with it, the per-family work before the tables is kept there too (what the
    key must promise: `TableCache`).
    """
    models = CaseModels(mutation, drop, dict(remains_dropout or {}))
    pedigrees = _computable(pedigrees, theta, mutation, problems)
    if not pedigrees or not remains_ids:
        return []

    def stage(name: str) -> Callable[[int, int], None] | None:
        return None if progress is None else (lambda done, total: progress(name, done, total))

    prepared = prepare_search(table, pedigrees, dict(genotypes), list(remains_ids), theta=theta,
                              mutation=mutation, drop=drop, remains_dropout=models.remains_dropout,
                              n_threads=n_threads, progress=stage("tables"), table_cache=table_cache,
                              family_key=family_key)
    run = search_fn or search
    result = run(prepared.tables, prepared.rows, top_k=top_k, prior=prior, progress=stage("search"),
                 near_k=near_k)
    scores, index = result.remains_top.scores, result.remains_top.index
    screen = report_log10_lr - SCREEN_MARGIN_LOG10
    chosen = [
        (r, k) for r in range(scores.shape[0]) for k in range(scores.shape[1])
        if index[r, k] >= 0 and np.isfinite(scores[r, k]) and scores[r, k] >= screen
    ]
    near = _near_misses(result, screen)
    tasks = [EvidenceTask(remains_ids[r], int(index[r, k]), k + 1, False, float(scores[r, k]))
             for r, k in chosen]
    tasks += [EvidenceTask(remains_ids[r], int(result.near_top.index[r, k]), k + 1, True)  # type: ignore[union-attr]
              for r, k in near]
    chunks = [_chunk(tasks[s:s + EVIDENCE_CHUNK], pedigrees, genotypes, table, theta, models, report_log10_lr,
                     result.prior) for s in range(0, len(tasks), EVIDENCE_CHUNK)]
    results: list[EvidenceResult | None] = [None] * len(chunks)
    done = 0
    for position, outcome in (evidence_map or _in_process)(evidence_chunk, list(enumerate(chunks))):
        results[position] = outcome
        done += outcome.n_tasks
        if progress is not None:
            progress("evidence", done, len(tasks))
    found: list[Candidate] = []
    for outcome in results:
        assert outcome is not None  # noqa: S101
        found += outcome.candidates
        if problems is not None:
            problems += outcome.problems
    return ranked_by_exact_lr(found)


def ranked_by_exact_lr(candidates: Sequence[Candidate]) -> list[Candidate]:
    """The candidates with each remains' ranks given by the exact LR (highest first), not by the
    search's screening score: the two can differ slightly (see `SCREEN_MARGIN_LOG10`). Near
    misses keep their own list's ranks."""
    by_remains: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        if not candidate.near_miss:
            by_remains.setdefault(candidate.remains_sample_id, []).append(candidate)
    new_rank: dict[int, int] = {}
    for group in by_remains.values():
        ordered = sorted(group, key=lambda c: (-c.log10_lr, c.rank, c.family_id))
        new_rank.update({id(c): position for position, c in enumerate(ordered, start=1)})
    return [replace(c, rank=new_rank[id(c)]) if id(c) in new_rank else c for c in candidates]


def _computable(pedigrees: Sequence[Pedigree], theta: float, mutation: MutationModel | None,
                problems: list[str] | None) -> list[Pedigree]:
    """The families whose tables the engine can compute under theta; each other one is skipped
    and named in the problems (the run goes on without it). Without a problems list to name
    them in, such a family is a ValueError: no family leaves a search unsaid."""
    kept, skipped = [], []
    for pedigree in pedigrees:
        reason = theta_limit(pedigree, theta, mutation is not None)
        if reason is None:
            kept.append(pedigree)
        else:
            skipped.append(msg("family %(family)s was skipped: %(reason)s", family=pedigree.family_id,
                               reason=reason))
    if skipped and problems is None:
        raise ValueError("; ".join(skipped))
    if problems is not None:
        problems += skipped
    return kept


#: Candidates per evidence task (about 10 ms of CPU each under the default models).
EVIDENCE_CHUNK = 256
#: How far below the reporting threshold a search score may lie and still be recomputed exactly.
#: The search's tables use one allele alphabet per marker for the whole search (every allele seen
#: anywhere, `search_tables`), the exact case LR only the case's own; the two LRs then differ
#: slightly (renormalised frequencies, and a mutation matrix over more alleles: under the equal
#: model rate/(n - 1)). Whether a candidate is reported, and its rank, are decided by the exact
#: LR; the margin only keeps a family just below the threshold in the search from being dropped
#: unseen. A recomputed candidate whose exact LR is more than half the margin away from its search
#: score is named in the run's problems, so a margin too small for a search never passes silently.
SCREEN_MARGIN_LOG10 = 1.0
#: map(fn, items) -> iterable of fn(item), in any order: the evidence step's parallelism
EvidenceMap = Callable[[Callable[[Any], Any], list[Any]], Iterable[Any]]


@dataclass(frozen=True)
class EvidenceTask:
    """One candidate to recompute: remains sample, family (index into the chunk's pedigrees),
    rank, and whether it is a near miss."""

    remains_sample_id: str
    family: int
    rank: int
    near_miss: bool
    search_log10_lr: float = math.nan


@dataclass(frozen=True)
class EvidenceChunk:
    """A self-contained batch of evidence work (picklable, for a Dask worker): the tasks, the
    pedigrees and genotypes they need, and the run's table, models and thresholds."""

    tasks: tuple[EvidenceTask, ...]
    pedigrees: dict[int, Pedigree]
    genotypes: dict[str, Mapping[str, Sequence[str]]]
    table: FrequencyTable
    theta: float
    models: CaseModels
    report_log10_lr: float
    prior: float


@dataclass(frozen=True)
class EvidenceResult:
    n_tasks: int
    candidates: list[Candidate]
    problems: list[str]


def _chunk(tasks: Sequence[EvidenceTask], pedigrees: Sequence[Pedigree], genotypes: Genotypes,
           table: FrequencyTable, theta: float, models: CaseModels, report_log10_lr: float,
           prior: float) -> EvidenceChunk:
    families = {t.family: pedigrees[t.family] for t in tasks}
    samples = {t.remains_sample_id for t in tasks} | {
        s for p in families.values() for s in p.sample_of().values()}
    return EvidenceChunk(tuple(tasks), families, {s: genotypes[s] for s in samples if s in genotypes}, table,
                         theta, models, report_log10_lr, prior)


def _in_process(fn: Callable[[Any], Any], items: list[Any]) -> Iterable[Any]:
    return map(fn, items)


def evidence_chunk(item: tuple[int, EvidenceChunk]) -> tuple[int, EvidenceResult]:
    """Recompute the candidates of one chunk exactly (see `find_candidates`); a case the engine
    refuses is skipped and named in the problems, never aborting the batch."""
    position, chunk = item
    found: list[Candidate] = []
    problems: list[str] = []
    for task in chunk.tasks:
        pedigree = chunk.pedigrees[task.family]
        sample = task.remains_sample_id
        try:
            found += _evidence(task, pedigree, chunk, problems)
        except (InputError, ValueError) as error:
            problems.append(msg("remains %(remains)s against family %(family)s was skipped: the exact "
                                "computation refused it (%(error)s)", remains=sample, family=pedigree.family_id,
                                error=_said(error)))
    return position, EvidenceResult(len(chunk.tasks), found, problems)


def _said(error: Exception) -> object:
    """What the engine said when it refused: its input problems as messages, else its text."""
    if isinstance(error, InputError):
        return joined(problem.describe() for problem in error.problems)
    return str(error)


def _evidence(task: EvidenceTask, pedigree: Pedigree, chunk: EvidenceChunk,
              problems: list[str]) -> list[Candidate]:
    sample = task.remains_sample_id
    models = chunk.models
    case = case_lr(pedigree, chunk.genotypes, sample, chunk.table, theta=chunk.theta, mutation=models.mutation,
                   drop=models.drop_for(sample), case_id=f"{sample}~{pedigree.family_id}")
    if not task.near_miss:
        log10 = case.log10_lr
        if _screen_missed(log10, task.search_log10_lr):
            problems.append(msg(
                "remains %(remains)s against family %(family)s: the exact log10 LR %(exact)s differs from the "
                "search's %(search)s by more than half the screening margin (%(margin)s); families just below "
                "the reporting threshold in this search may not have been recomputed",
                remains=sample, family=pedigree.family_id, exact=f"{log10:.3f}",
                search=f"{task.search_log10_lr:.3f}", margin=f"{SCREEN_MARGIN_LOG10:g}"))
        if math.isnan(log10) or log10 < chunk.report_log10_lr:
            return []
        return [Candidate(
            remains_sample_id=sample, family_id=pedigree.family_id, rank=task.rank, log10_lr=log10,
            posterior=float(posterior_from_log10(log10, chunk.prior)), prior=chunk.prior,
            loci_used=case.loci_used,
            per_locus_json=json.dumps(per_locus_evidence(case, pedigree, chunk.genotypes, sample, chunk.table,
                                                      models)),
        )]
    excluded = tuple(locus.marker for locus in case.loci if locus.lr == 0)
    if not excluded or math.isnan(case.log10_lr):
        return []
    others = sum(locus.log10_lr for locus in case.loci if locus.lr > 0)
    if others < chunk.report_log10_lr:
        return []
    return [Candidate(
        remains_sample_id=sample, family_id=pedigree.family_id, rank=task.rank, log10_lr=others,
        posterior=0.0, prior=chunk.prior, loci_used=case.loci_used,
        per_locus_json=json.dumps(per_locus_evidence(case, pedigree, chunk.genotypes, sample, chunk.table,
                                                      models)),
        near_miss=True, excluded_loci=excluded,
    )]


def _screen_missed(exact: float, screened: float) -> bool:
    """Whether the exact log10 LR is further from the search's score than the margin allows
    (more than half of it, or one of them infinite and the other not)."""
    if math.isnan(exact) or math.isnan(screened):
        return False
    if math.isinf(exact) or math.isinf(screened):
        return exact != screened
    return abs(exact - screened) > SCREEN_MARGIN_LOG10 / 2


def _near_misses(result: SearchResult, report_log10_lr: float) -> list[tuple[int, int]]:
    """(remains, slot) of the near misses whose other loci reach the reporting threshold."""
    if result.near_top is None:
        return []
    scores, index = result.near_top.scores, result.near_top.index
    _, others = near_miss(scores)
    return [
        (r, k) for r in range(scores.shape[0]) for k in range(scores.shape[1])
        if index[r, k] >= 0 and others[r, k] >= report_log10_lr
    ]
