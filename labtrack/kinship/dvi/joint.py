"""Joint DVI: every assignment of victims to missing persons (each victim to at most one missing
person it may be paired with, each missing person to at most one victim), with its
log-likelihood, ranked.

Method (exact where it says so):
1. Pairings with pairwise LR = 0 are removed first: an excluded pair stays excluded whatever
   else is placed in the family.
2. Per family, its *options* are enumerated: every injective placement of remaining candidate
   victims at its missing persons (including nobody), with the family's LR
   (`EventLikelihood.family_log_lr`); options with LR 0 are dropped together with every
   extension of them.
3. The event's assignments are the combinations of one option per family using each victim at
   most once. They are built family by family as NumPy arrays (victim bitsets), ordering the
   families by their best LR.  Branch and bound: a partial assignment is dropped when even its
   best completion (sum of the remaining families' best options, conflicts ignored) times the
   number of its completions is below `tolerance` times the best complete assignment found so
   far. Every dropped mass is added up; `neglected_mass` bounds the posterior mass left out
   (0 = exact). With `tolerance = 0` nothing is dropped and the enumeration is exact.
4. When more than `max_states` partial assignments would be kept, the joint route stops and
   the *sequential* route is used instead (`method = "sequential"`): identifications are fixed
   one at a time by the largest LR given those already fixed; there are no posteriors then.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from labtrack.kinship.dvi.likelihood import EventLikelihood
from labtrack.kinship.dvi.problem import NOBODY, DVIProblem

#: Default relative mass below which a partial assignment is dropped.
DEFAULT_TOLERANCE = 1e-12
#: Default cap on the partial assignments kept at any step before the sequential route is used.
DEFAULT_MAX_STATES = 2_000_000


@dataclass(frozen=True)
class FamilyOptions:
    """The possible placements in one family: `pairs[o]` = ((missing, victim), ...) of option
    o; `log_lr[o]` its natural-log LR; option 0 is always "nobody placed" (log LR 0)."""

    family_id: str
    pairs: tuple[tuple[tuple[str, str], ...], ...]
    log_lr: np.ndarray


@dataclass(frozen=True)
class JointResult:
    """Ranked joint assignments.

    assignments : int32 (N, V), per victim the index into `missing` of its missing person, -1
        for none (`*`); rows sorted by `loglik`, best first
    loglik : float64 (N,), natural log of the likelihood of all data
    loglik0 : log-likelihood of "nobody identified"
    method : "exact", "branch-and-bound" (neglected_mass > 0 possible) or "sequential"
    neglected_mass : upper bound on the posterior mass (flat prior) of the assignments left out
    visited : partial and complete assignments built
    """

    victims: tuple[str, ...]
    missing: tuple[str, ...]
    assignments: np.ndarray
    loglik: np.ndarray
    loglik0: float
    method: str
    neglected_mass: float
    visited: int
    pruned_pairings: int
    message: str = ""

    def log_prior(self, prior: Mapping[tuple[str, str], float] | None) -> np.ndarray:
        """Natural-log prior weight of each assignment: the sum over victims of
        log prior[(victim, candidate)] (candidate a missing id or `*`); missing keys count 0;
        None: flat."""
        if not prior:
            return np.zeros(len(self.loglik))
        table = np.zeros((len(self.victims), len(self.missing) + 1))
        for (v, c), w in prior.items():
            j = len(self.missing) if c == NOBODY else self.missing.index(c)
            table[self.victims.index(v), j] = w
        cols = np.where(self.assignments < 0, len(self.missing), self.assignments)
        return table[np.arange(len(self.victims)), cols].sum(axis=1)

    def posterior(self, prior: Mapping[tuple[str, str], float] | None = None) -> np.ndarray:
        """Posterior of each listed assignment, flat prior unless `prior` gives natural-log
        weights per (victim, candidate). NaN for the sequential route."""
        if self.method == "sequential":
            return np.full(len(self.loglik), np.nan)
        score = self.loglik + self.log_prior(prior)
        top = np.max(score)
        if not np.isfinite(top):
            return np.full(len(score), np.nan)
        weights = np.exp(score - top)
        return weights / weights.sum()

    def marginals(self, prior: Mapping[tuple[str, str], float] | None = None) -> np.ndarray:
        """Posterior pairing probabilities: float64 (V, M + 1); column M is `*`."""
        post = self.posterior(prior)
        out = np.zeros((len(self.victims), len(self.missing) + 1))
        cols = np.where(self.assignments < 0, len(self.missing), self.assignments)
        for v in range(len(self.victims)):
            out[v] = np.bincount(cols[:, v], weights=post, minlength=len(self.missing) + 1)
        return out

    def log10_lr_vs_best(self) -> np.ndarray:
        return (self.loglik - self.loglik[0]) / math.log(10)

    def log10_lr_vs_null(self) -> np.ndarray:
        return (self.loglik - self.loglik0) / math.log(10)


def pairwise_log_lr(lik: EventLikelihood) -> np.ndarray:
    """Natural-log pairwise LR of each victim against each missing person alone (the family's
    other missing persons untyped): float64 (V, M), NaN where the pairing is not allowed."""
    problem = lik.problem
    missing = problem.missing_ids
    out = np.full((len(problem.victims), len(missing)), np.nan)
    for i, v in enumerate(problem.victim_ids):
        allowed = set(problem.pairings.get(v, ()))
        for j, m in enumerate(missing):
            if m in allowed:
                out[i, j] = lik.family_log_lr(lik.family_of(m), {m: v})
    return out


def family_options(
    lik: EventLikelihood, family_id: str, candidates: Mapping[str, Sequence[str]]
) -> FamilyOptions:
    """Every placement of candidate victims at the family's missing persons with LR > 0.

    candidates : missing id -> victims that may be placed there (pairwise LR > 0)
    """
    family = lik.families[family_id]
    options: list[tuple[tuple[str, str], ...]] = [()]
    scores: list[float] = [0.0]
    for m in family.missing:
        extended: list[tuple[tuple[str, str], ...]] = []
        ext_scores: list[float] = []
        for option in options:
            used = {v for _, v in option}
            for v in candidates.get(m, ()):
                if v in used:
                    continue
                new = (*option, (m, v))
                score = lik.family_log_lr(family_id, dict(new))
                if score > -math.inf:
                    extended.append(new)
                    ext_scores.append(score)
        options += extended
        scores += ext_scores
    return FamilyOptions(family_id, tuple(options), np.asarray(scores, dtype=np.float64))


def joint(
    problem: DVIProblem,
    lik: EventLikelihood | None = None,
    *,
    tolerance: float | None = None,
    max_states: int = DEFAULT_MAX_STATES,
    exact_limit: float = 1e6,
) -> JointResult:
    """Rank the joint assignments of `problem` (see the module docstring).

    tolerance : relative mass below which partial assignments are dropped; None: 0 (exact)
        when the number of combinations of options is at most `exact_limit`, else
        DEFAULT_TOLERANCE
    """
    lik = lik or EventLikelihood(problem)
    victims = problem.victim_ids
    missing = problem.missing_ids
    pair = pairwise_log_lr(lik)
    vindex = {v: i for i, v in enumerate(victims)}
    candidates: dict[str, list[str]] = {m: [] for m in missing}
    for i, v in enumerate(victims):
        for j, m in enumerate(missing):
            if np.isfinite(pair[i, j]):
                candidates[m].append(v)
    pruned = int(np.sum(np.isneginf(pair)))
    families = [family_options(lik, f.family_id, candidates) for f in problem.families]
    families = [f for f in families if len(f.pairs) > 1]
    families.sort(key=lambda f: -float(f.log_lr.max()))
    log_count = sum(math.log(len(f.pairs)) for f in families)
    if tolerance is None:
        tolerance = 0.0 if log_count <= math.log(exact_limit) else DEFAULT_TOLERANCE
    required = [i for i, v in enumerate(victims) if NOBODY not in problem.pairings.get(v, ())]
    mindex = {m: j for j, m in enumerate(missing)}
    enum = _enumerate(families, vindex, mindex, len(victims), tolerance, max_states)
    if enum is None:
        return sequential(problem, lik, pair=pair, pruned=pruned)
    assignments, score, neglected, reference, visited = enum
    if required:
        keep = (assignments[:, required] >= 0).all(axis=1)
        assignments, score = assignments[keep], score[keep]
    order = np.lexsort((np.arange(len(score)), -score))
    assignments, score = assignments[order], score[order]
    mass = float(np.exp(score - score[0]).sum())
    method = "exact" if tolerance == 0 else "branch-and-bound"
    neglected_rel = neglected * math.exp(reference - score[0]) / mass if neglected else 0.0
    return JointResult(
        victims, missing, assignments, lik.loglik0 + score, lik.loglik0, method, neglected_rel,
        visited, pruned,
    )


def _enumerate(
    families: list[FamilyOptions],
    vindex: Mapping[str, int],
    missing_index: Mapping[str, int],
    n_victims: int,
    tolerance: float,
    max_states: int,
) -> tuple[np.ndarray, np.ndarray, float, float, int] | None:
    """Breadth-first over families with victim bitsets; None if `max_states` is exceeded.

    Returns (assignments (N, V) into the event's missing list, -1 none; score = sum of the
    family log LRs; neglected = dropped mass in units of exp(reference); reference = best
    score seen while building; visited)."""
    words = max(1, (n_victims + 63) // 64)
    best_rest = np.array([float(f.log_lr.max()) for f in families] + [0.0])
    suffix_best = np.cumsum(best_rest[::-1])[::-1]  # suffix_best[k] = sum_{j>=k} max_j
    counts = np.array([math.log(len(f.pairs)) for f in families] + [0.0])
    suffix_count = np.cumsum(counts[::-1])[::-1]
    masks = np.zeros((1, words), dtype=np.uint64)
    score = np.zeros(1)
    parents: list[np.ndarray] = []
    chosen: list[np.ndarray] = []
    neglected = 0.0  # sum of exp(bound - reference) over dropped subtrees
    reference = 0.0  # best complete score found so far (nobody further placed is complete)
    visited = 1
    log_tol = math.log(tolerance) if tolerance > 0 else -math.inf
    for k, family in enumerate(families):
        omasks = np.zeros((len(family.pairs), words), dtype=np.uint64)
        for o, option in enumerate(family.pairs):
            for _, v in option:
                i = vindex[v]
                omasks[o, i // 64] |= np.uint64(1) << np.uint64(i % 64)
        new_parent, new_option, new_score, new_masks = [], [], [], []
        for o in range(len(family.pairs)):
            ok = ~np.any(masks & omasks[o], axis=1)
            idx = np.flatnonzero(ok)
            s = score[idx] + family.log_lr[o]
            bound = s + suffix_best[k + 1] + suffix_count[k + 1]
            if log_tol > -math.inf:
                drop = bound < reference + log_tol
                if drop.any():
                    neglected += float(np.exp(bound[drop] - reference).sum())
                    idx, s = idx[~drop], s[~drop]
            new_parent.append(idx)
            new_option.append(np.full(len(idx), o, dtype=np.int32))
            new_score.append(s)
            new_masks.append(masks[idx] | omasks[o])
            visited += len(idx)
        score = np.concatenate(new_score)
        masks = np.concatenate(new_masks)
        parents.append(np.concatenate(new_parent))
        chosen.append(np.concatenate(new_option))
        if len(score) > max_states:
            return None
        top = float(score.max())
        if top > reference:
            neglected *= math.exp(reference - top)
            reference = top
    n = len(score)
    assignments = np.full((n, n_victims), -1, dtype=np.int32)
    ptr = np.arange(n)
    for k in range(len(families) - 1, -1, -1):
        opt = chosen[k][ptr]
        for o, option in enumerate(families[k].pairs):
            if not option:
                continue
            rows = np.flatnonzero(opt == o)
            for m, v in option:
                assignments[rows, vindex[v]] = missing_index[m]
        ptr = parents[k][ptr]
    return assignments, score, neglected, reference, visited


def sequential(
    problem: DVIProblem,
    lik: EventLikelihood | None = None,
    *,
    pair: np.ndarray | None = None,
    pruned: int = 0,
    min_log_lr: float = 0.0,
) -> JointResult:
    """The sequential route: repeatedly fix the identification with the largest LR given the
    identifications already fixed (the victim's profile then counts as the missing person's
    in its family), while that LR exceeds exp(min_log_lr). One assignment, no posteriors."""
    lik = lik or EventLikelihood(problem)
    victims, missing = problem.victim_ids, problem.missing_ids
    if pair is None:
        pair = pairwise_log_lr(lik)
    current: dict[tuple[str, str], float] = {
        (m, v): float(pair[i, j])
        for i, v in enumerate(victims)
        for j, m in enumerate(missing)
        if np.isfinite(pair[i, j])
    }
    fixed: dict[str, dict[str, str]] = {f.family_id: {} for f in problem.families}
    assigned: dict[str, str] = {}
    while current:
        (m, v), best = max(current.items(), key=lambda item: item[1])
        if best <= min_log_lr:
            break
        family = lik.family_of(m)
        base = lik.family_log_lr(family, fixed[family])
        fixed[family][m] = v
        assigned[v] = m
        current = {k: s for k, s in current.items() if k[0] != m and k[1] != v}
        new_base = base + best
        for key in [k for k in current if lik.family_of(k[0]) == family]:
            score = lik.family_log_lr(family, {**fixed[family], key[0]: key[1]})
            if score == -math.inf:
                del current[key]
            else:
                current[key] = score - new_base
    row = np.array([[missing.index(assigned[v]) if v in assigned else -1 for v in victims]],
                   dtype=np.int32)
    total = sum(lik.family_log_lr(f, placed) for f, placed in fixed.items() if placed)
    return JointResult(
        victims, missing, row, np.array([lik.loglik0 + total]), lik.loglik0, "sequential",
        math.nan, len(victims) * len(missing), pruned,
        "too many joint assignments to enumerate: the sequential route was used (one "
        "assignment, no posterior probabilities)",
    )
