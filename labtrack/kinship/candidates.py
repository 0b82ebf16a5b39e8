"""A blind search reduced to reportable candidates, each with its exact per-locus evidence.

The search (``labtrack.kinship.search``) ranks every family for every remains by table look-ups;
this module takes the top candidates above a reporting threshold and recomputes each one as an
exact case (``case_lr``, per-case unseen-allele rule, as ``labtrack kinship lr`` does), so that
the number stored for review is exactly the case LR an analyst would reproduce.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labtrack.kinship.freqs import FrequencyTable
from labtrack.kinship.lr import CaseLR, case_lr
from labtrack.kinship.pedigree import Pedigree
from labtrack.kinship.posterior import posterior_from_log10
from labtrack.kinship.search import SearchResult, search
from labtrack.kinship.search_tables import prepare_search

Genotypes = Mapping[str, Mapping[str, tuple[str, str]]]
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
    per_locus: list[dict[str, Any]] = field(default_factory=list)


def per_locus_evidence(case: CaseLR, pedigree: Pedigree, genotypes: Genotypes,
                       unknown_sample_id: str) -> list[dict[str, Any]]:
    """Per-locus rows for review: ``{"marker", "remains": [a1, a2] | None,
    "relatives": {person_id: [a1, a2]}, "lr", "log10_lr", "flag", "used"}`` (LR NaN → None)."""
    rows = []
    samples = pedigree.sample_of()
    unknown = {k.upper(): v for k, v in genotypes.get(unknown_sample_id, {}).items()}
    for locus in case.loci:
        key = locus.marker.upper()
        relatives = {
            pid: list(profile[key])
            for pid, sample in samples.items()
            if (profile := {k.upper(): v for k, v in genotypes.get(sample, {}).items()}) and key in profile
        }
        lr = None if math.isnan(locus.lr) else locus.lr
        log10 = None if lr is None else (None if lr == 0 else math.log10(lr))
        rows.append({
            "marker": locus.marker,
            "remains": list(unknown[key]) if key in unknown else None,
            "relatives": relatives,
            "lr": lr,
            "log10_lr": log10,
            "flag": locus.flag,
            "used": locus.used,
        })
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
) -> list[Candidate]:
    """Search every remains against every family; return the candidates to review.

    A candidate is one of a remains' ``top_k`` families whose search log10 LR is at least
    ``report_log10_lr``; its reported LR and per-locus table are recomputed exactly.
    ``search_fn(tables, genotypes, top_k=..., prior=..., progress=...)`` lets callers run the
    search on Dask; default: this process. ``n_threads``: threads of the table build.
    """
    if not pedigrees or not remains_ids:
        return []

    def stage(name: str) -> Callable[[int, int], None] | None:
        return None if progress is None else (lambda done, total: progress(name, done, total))

    prepared = prepare_search(table, pedigrees, dict(genotypes), list(remains_ids), theta=theta,
                              n_threads=n_threads, progress=stage("tables"))
    run = search_fn or search
    result = run(prepared.tables, prepared.rows, top_k=top_k, prior=prior, progress=stage("search"))
    scores, index = result.remains_top.scores, result.remains_top.index
    chosen = [
        (r, k) for r in range(scores.shape[0]) for k in range(scores.shape[1])
        if index[r, k] >= 0 and np.isfinite(scores[r, k]) and scores[r, k] >= report_log10_lr
    ]
    candidates: list[Candidate] = []
    for done, (r, k) in enumerate(chosen, start=1):
        pedigree = pedigrees[int(index[r, k])]
        sample = remains_ids[r]
        case = case_lr(pedigree, genotypes, sample, table, theta=theta, case_id=f"{sample}~{pedigree.family_id}")
        log10 = case.log10_lr
        if not math.isnan(log10) and log10 >= report_log10_lr:
            candidates.append(Candidate(
                remains_sample_id=sample, family_id=pedigree.family_id, rank=k + 1, log10_lr=log10,
                posterior=float(posterior_from_log10(log10, result.prior)), prior=result.prior,
                loci_used=case.loci_used, per_locus=per_locus_evidence(case, pedigree, genotypes, sample),
            ))
        if progress is not None:
            progress("evidence", done, len(chosen))
    return candidates
