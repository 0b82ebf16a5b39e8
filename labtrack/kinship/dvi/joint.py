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
3. Families sharing no candidate victim (directly or through other families) form independent
   parts; each part is enumerated on its own, posteriors are products over the parts and the
   listed best assignments are the k best sums over the parts.
4. A part's assignments are the combinations of one option per family using each victim at
   most once, built family by family as NumPy arrays (victim bitsets), families ordered by
   their best LR. Branch and bound: a partial assignment is dropped when the mass of all its
   completions, bounded by the product over the remaining families of their options' summed
   likelihood ratios (conflicts ignored), is below `tolerance` times the best complete
   assignment found so far. Every dropped mass is added up; `neglected_mass` bounds the
   posterior mass left out (0 = exact). With `tolerance = 0` nothing is dropped.
5. When a part needs more than `max_states` partial assignments (or placements in one
   family), the *sequential* route is used in that part (`method = "sequential"`):
   identifications are fixed one at a time by the largest LR given those already fixed; there
   are no posteriors then.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from labtrack.core.messages import joined, msg
from labtrack.kinship.dvi.likelihood import EventLikelihood
from labtrack.kinship.dvi.problem import NOBODY, DVIProblem

#: Default relative mass below which a partial assignment is dropped.
DEFAULT_TOLERANCE = 1e-12
#: Default cap on the partial assignments kept at any step before the sequential route is used.
DEFAULT_MAX_STATES = 2_000_000
#: Default cap on the placements scored in one family (each costs one pedigree likelihood per
#: marker) before the sequential route is used for its part of the event.
DEFAULT_MAX_PLACEMENTS = 2_000
#: The enumeration gives up (sequential route) after building this many times `max_states`
#: partial assignments in a part: with `memory_bound` this bounds its memory.
VISITED_FACTOR = 20

#: progress(fraction done in [0, 1], stage): called between steps; may raise to stop the work.
#: The stage is a message (its English text, or the reader's language where it is shown).
Progress = Callable[[float, str], None]


def memory_bound(max_states: int, n_victims: int) -> int:
    """Upper bound in bytes of the arrays the enumeration of one part keeps: at most
    VISITED_FACTOR * max_states partial assignments are built in all, each with its parent
    (int64) and option (int32) kept for the read-back, and at most max_states live ones with
    their victim bitset, score and log LR."""
    words = max(1, (n_victims + 63) // 64)
    return VISITED_FACTOR * max_states * 12 + max_states * (8 * words + 16) * 3


@dataclass(frozen=True)
class FamilyOptions:
    """The possible placements in one family: `pairs[o]` = ((missing, victim), ...) of option
    o; `log_lr[o]` its natural-log LR; option 0 is always "nobody placed" (log LR 0)."""

    family_id: str
    pairs: tuple[tuple[tuple[str, str], ...], ...]
    log_lr: np.ndarray
    score: np.ndarray | None = None  # log_lr plus prior weights (ranking); None: log_lr

    def __post_init__(self) -> None:
        if self.score is None:
            object.__setattr__(self, "score", self.log_lr)


class _TooLarge(Exception):
    """More placements in one family than the enumeration may keep."""


@dataclass(frozen=True)
class JointResult:
    """Ranked joint assignments.

    assignments : int32 (N, V), per victim the index into `missing` of its missing person, -1
        for none (`*`); the N best assignments, best first
    loglik : float64 (N,), natural log of the likelihood of all data
    loglik0 : log-likelihood of "nobody identified"
    posteriors : float64 (N,), posterior of each listed assignment among all assignments
        (flat prior unless one was given); NaN on the sequential route
    pairing : float64 (V, M + 1), posterior pairing probabilities (column M is `*`)
    method : "exact", "branch-and-bound" (neglected_mass bounds what was left out) or
        "sequential" (some part of the event was too large: one assignment there)
    n_assignments : number of assignments with likelihood > 0 that were scored
    components : independent parts of the event (no victim can be in two of them)
    visited : partial and complete assignments built
    """

    victims: tuple[str, ...]
    missing: tuple[str, ...]
    assignments: np.ndarray
    loglik: np.ndarray
    loglik0: float
    posteriors: np.ndarray
    pairing: np.ndarray
    method: str
    neglected_mass: float
    visited: int
    pruned_pairings: int
    n_assignments: int = 0
    components: int = 0
    message: str = ""

    def posterior(self) -> np.ndarray:
        return self.posteriors

    def marginals(self) -> np.ndarray:
        return self.pairing

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
    for j, m in enumerate(missing):
        rows = [i for i, v in enumerate(problem.victim_ids) if m in problem.pairings.get(v, ())]
        if rows:
            per_marker = lik.pair_marker_log_lrs(m, [problem.victim_ids[i] for i in rows])
            out[rows, j] = per_marker.sum(axis=1)
    return out


def family_options(
    lik: EventLikelihood,
    family_id: str,
    candidates: Mapping[str, Sequence[str]],
    single: Mapping[tuple[str, str], float] | None = None,
    *,
    max_options: int | None = None,
) -> FamilyOptions:
    """Every placement of candidate victims at the family's missing persons with LR > 0.

    candidates : missing id -> victims that may be placed there (pairwise LR > 0)
    single : (missing, victim) -> pairwise log LR already computed (used for one-victim
        placements)
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
                if not option and single is not None and (m, v) in single:
                    score = single[(m, v)]
                else:
                    score = lik.family_log_lr(family_id, dict(new))
                if score > -math.inf:
                    extended.append(new)
                    ext_scores.append(score)
                    if max_options is not None and len(options) + len(extended) > max_options:
                        raise _TooLarge(family_id)
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
    top: int = 1000,
    min_log_lr: float = -math.inf,
    prior: Mapping[tuple[str, str], float] | None = None,
    max_placements: int = DEFAULT_MAX_PLACEMENTS,
    progress: Progress | None = None,
) -> JointResult:
    """Rank the joint assignments of `problem` (see the module docstring).

    tolerance : relative mass below which partial assignments are dropped; None: 0 (exact)
        in parts of the event whose combinations of options number at most `exact_limit`,
        else DEFAULT_TOLERANCE
    top : assignments listed (posteriors and pairing probabilities always cover all)
    min_log_lr : pairings with a pairwise natural-log LR below this are dropped like
        exclusions (default: only LR 0); the mass so dropped is added to `neglected_mass`
        (a bound for one-missing-person families)
    prior : natural-log prior weight per (victim, candidate), candidate a missing id or `*`;
        absent keys weigh 0 (flat)
    max_placements : placements scored in one family before its part takes the sequential
        route
    progress : called with the fraction done and the stage (pairwise LRs, then each part)
    """
    lik = lik or EventLikelihood(problem)
    victims, missing = problem.victim_ids, problem.missing_ids
    if progress is not None:
        progress(0.0, msg("pairwise likelihood ratios"))
    pair = pairwise_log_lr(lik)
    vindex = {v: i for i, v in enumerate(victims)}
    mindex = {m: j for j, m in enumerate(missing)}
    weight = _prior_table(prior, vindex, mindex)
    candidates: dict[str, list[str]] = {m: [] for m in missing}
    single: dict[tuple[str, str], float] = {}
    pruned = int(np.sum(np.isneginf(pair)))
    floored = 0.0
    for i, v in enumerate(victims):
        for j, m in enumerate(missing):
            if not np.isfinite(pair[i, j]):
                continue
            if pair[i, j] < min_log_lr:
                floored += math.exp(pair[i, j])
                pruned += 1
                continue
            candidates[m].append(v)
            single[(m, v)] = float(pair[i, j])
    required = {v for v in victims if NOBODY not in problem.pairings.get(v, ())}
    parts = _components(problem, candidates)
    results: list[_Part] = []
    visited = 0
    # the largest parts last: progress moves steadily through the many small ones
    parts.sort(key=len)
    done_families, n_families = 0, max(1, sum(len(f) for f in parts))
    for number, fams in enumerate(parts, start=1):
        if progress is not None:
            progress(0.2 + 0.8 * done_families / n_families,
                     msg("part %(part)s of %(parts)s (%(families)s families)", part=number, parts=len(parts),
                         families=len(fams)))
        part = _solve_part(lik, fams, candidates, single, vindex, mindex, weight, required,
                           tolerance, max_states, exact_limit, max_placements)  # fmt: skip
        done_families += len(fams)
        visited += part.visited
        results.append(part)
    return _combine(lik, results, victims, missing, pruned, visited, top, floored, max_states)


@dataclass
class _Part:
    assignments: np.ndarray  # (N, V), -1 outside the part
    loglik: np.ndarray  # sum of family log LRs
    score: np.ndarray  # loglik + prior weights (ranking, posteriors)
    method: str
    neglected: float  # relative to the part's total mass
    visited: int
    victims: list[int]
    families: int = 0
    why: str = ""  # why the sequential route was taken


def _prior_table(
    prior: Mapping[tuple[str, str], float] | None,
    vindex: Mapping[str, int],
    mindex: Mapping[str, int],
) -> np.ndarray | None:
    """(V, M) natural-log prior weight of v = m relative to v = `*`; None when flat."""
    if not prior:
        return None
    table = np.zeros((len(vindex), len(mindex)))
    for (v, c), w in prior.items():
        if c != NOBODY:
            table[vindex[v], mindex[c]] += w
    for (v, c), w in prior.items():
        if c == NOBODY:
            table[vindex[v], :] -= w
    return table


def _components(
    problem: DVIProblem, candidates: Mapping[str, Sequence[str]]
) -> list[list[str]]:
    """Families linked by a shared candidate victim, as lists of family ids (families with no
    candidate at all are left out: nobody can be placed there)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    active = []
    for family in problem.families:
        victims = {v for m in family.missing for v in candidates.get(m, ())}
        if not victims:
            continue
        active.append(family.family_id)
        for v in victims:
            parent[find("v:" + v)] = find("f:" + family.family_id)
    groups: dict[str, list[str]] = {}
    for fid in active:
        groups.setdefault(find("f:" + fid), []).append(fid)
    return list(groups.values())


def _solve_part(
    lik: EventLikelihood,
    fams: list[str],
    candidates: Mapping[str, Sequence[str]],
    single: Mapping[tuple[str, str], float],
    vindex: Mapping[str, int],
    mindex: Mapping[str, int],
    weight: np.ndarray | None,
    required: set[str],
    tolerance: float | None,
    max_states: int,
    exact_limit: float,
    max_placements: int,
) -> _Part:
    victims = sorted({vindex[v] for f in fams for m in lik.families[f].missing
                      for v in candidates.get(m, ())})  # fmt: skip
    why = ""
    try:
        options = [family_options(lik, f, candidates, single, max_options=max_placements)
                   for f in fams]  # fmt: skip
    except _TooLarge as exc:
        options = None
        why = msg("family %(family)s has more than %(most)s possible placements", family=exc.args[0],
                  most=max_placements)
    if options is not None:
        if weight is not None:
            options = [_weighted(o, weight, vindex, mindex) for o in options]
        options.sort(key=lambda f: -float(f.score.max()))
        log_count = sum(math.log(len(f.pairs)) for f in options)
        tol = tolerance
        if tol is None:
            tol = 0.0 if log_count <= math.log(exact_limit) else DEFAULT_TOLERANCE
        enum = _enumerate(options, vindex, mindex, len(vindex), tol, max_states)
        if enum is not None:
            assignments, ll, score, neglected, reference, visited = enum
            need = [vindex[v] for v in required if vindex[v] in victims]
            if need:
                keep = (assignments[:, need] >= 0).all(axis=1)
                assignments, ll, score = assignments[keep], ll[keep], score[keep]
            order = np.lexsort((np.arange(len(score)), -score))
            assignments, ll, score = assignments[order], ll[order], score[order]
            mass = float(np.exp(score - score[0]).sum())
            rel = neglected * math.exp(reference - score[0]) / mass if neglected else 0.0
            return _Part(assignments, ll, score, "exact" if tol == 0 else "branch-and-bound",
                         rel, visited, victims, len(fams))  # fmt: skip
        most, power = format(max_states, ","), format(log_count / math.log(10), ".0f")
        why = msg("more than %(most)s partial assignments (about 10^%(power)s combinations of the families' "
                  "placements)", most=most, power=power)
    row, ll = _sequential_rows(lik, fams, candidates, single, vindex, mindex)
    return _Part(row, np.array([ll]), np.array([ll]), "sequential", math.nan, len(victims),
                 victims, len(fams), why)


def _weighted(
    options: FamilyOptions, weight: np.ndarray, vindex: Mapping[str, int],
    mindex: Mapping[str, int],
) -> FamilyOptions:
    extra = np.array([sum(weight[vindex[v], mindex[m]] for m, v in o) for o in options.pairs])
    return FamilyOptions(options.family_id, options.pairs, options.log_lr, options.log_lr + extra)


def _combine(
    lik: EventLikelihood,
    parts: list[_Part],
    victims: tuple[str, ...],
    missing: tuple[str, ...],
    pruned: int,
    visited: int,
    top: int,
    floored: float,
    max_states: int = DEFAULT_MAX_STATES,
) -> JointResult:
    """The `top` best global assignments (k-best sums over the independent parts), exact
    posteriors (products of the parts'), pairing probabilities per part."""
    V, M = len(victims), len(missing)
    pairing = np.zeros((V, M + 1))
    pairing[:, M] = 1.0
    post_parts = []
    sequential = any(p.method == "sequential" for p in parts)
    for part in parts:
        if part.method == "sequential":
            post = np.full(len(part.score), np.nan)
        else:
            w = np.exp(part.score - part.score[0])
            post = w / w.sum()
        post_parts.append(post)
        cols = np.where(part.assignments < 0, M, part.assignments)
        for v in part.victims:
            pairing[v] = np.bincount(cols[:, v], weights=post, minlength=M + 1) if not (
                part.method == "sequential") else np.nan
    picks = _k_best([p.score for p in parts], top)
    rows = np.full((len(picks), V), -1, dtype=np.int32)
    loglik = np.full(len(picks), lik.loglik0)
    posterior = np.ones(len(picks))
    for r, choice in enumerate(picks):
        for part, post, k in zip(parts, post_parts, choice, strict=True):
            rows[r, part.victims] = part.assignments[k, part.victims]
            loglik[r] += part.loglik[k]
            posterior[r] *= post[k]
    methods = {p.method for p in parts}
    method = ("sequential" if "sequential" in methods else
              "branch-and-bound" if "branch-and-bound" in methods else "exact")  # fmt: skip
    neglected = float(sum(p.neglected for p in parts if p.method != "sequential")) + floored
    count = 1
    for p in parts:
        count *= len(p.score)
    message = ""
    if sequential:
        told = [msg("a part of %(families)s families and %(victims)s victims: %(why)s", families=p.families,
                    victims=len(p.victims), why=p.why)
                for p in parts if p.method == "sequential" and p.why]  # fmt: skip
        mib = format(memory_bound(max_states, V) / 2**20, ".0f")
        if told:
            message = msg("too many joint assignments to enumerate in part of the event: the sequential route was "
                          "used there (one assignment, no posterior probabilities) - %(told)s; enumeration memory "
                          "is bounded by about %(mib)s MiB per part", told=joined(told), mib=mib)
        else:
            message = msg("too many joint assignments to enumerate in part of the event: the sequential route was "
                          "used there (one assignment, no posterior probabilities); enumeration memory is bounded "
                          "by about %(mib)s MiB per part", mib=mib)
    return JointResult(victims, missing, rows, loglik, lik.loglik0, posterior, pairing, method,
                       neglected, visited, pruned, count, len(parts), message)  # fmt: skip


def _k_best(scores: list[np.ndarray], k: int) -> list[tuple[int, ...]]:
    """The k index tuples with the largest sums of scores[c][i_c] (each list sorted best
    first), best first; ties in a stable order."""
    if not scores:
        return [()]
    start = tuple(0 for _ in scores)
    total = lambda t: sum(float(s[i]) for s, i in zip(scores, t, strict=True))  # noqa: E731
    heap = [(-total(start), start)]
    seen = {start}
    out: list[tuple[int, ...]] = []
    while heap and len(out) < k:
        neg, t = heapq.heappop(heap)
        out.append(t)
        for c in range(len(t)):
            if t[c] + 1 < len(scores[c]):
                nxt = t[:c] + (t[c] + 1,) + t[c + 1 :]
                if nxt not in seen:
                    seen.add(nxt)
                    heapq.heappush(heap, (-total(nxt), nxt))
    return out


def _enumerate(
    families: list[FamilyOptions],
    vindex: Mapping[str, int],
    missing_index: Mapping[str, int],
    n_victims: int,
    tolerance: float,
    max_states: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float, int] | None:
    """Breadth-first over families with victim bitsets; None if `max_states` is exceeded.

    Returns (assignments (N, V) into the event's missing list, -1 none; ll = sum of the
    family log LRs; score = ll plus prior weights; neglected = dropped mass in units of
    exp(reference); reference = best score seen while building; visited)."""
    words = max(1, (n_victims + 63) // 64)
    # Mass of the completions from family k on, conflicts ignored (an upper bound):
    # prod_{j>=k} sum_o exp(score_jo), in logs.
    log_mass = np.array([_logsumexp(f.score) for f in families] + [0.0])
    suffix_mass = np.cumsum(log_mass[::-1])[::-1]
    masks = np.zeros((1, words), dtype=np.uint64)
    score = np.zeros(1)
    ll = np.zeros(1)
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
        new_parent, new_option, new_score, new_ll, new_masks = [], [], [], [], []
        for o in range(len(family.pairs)):
            ok = ~np.any(masks & omasks[o], axis=1)
            idx = np.flatnonzero(ok)
            s = score[idx] + family.score[o]
            bound = s + suffix_mass[k + 1]
            if log_tol > -math.inf:
                drop = bound < reference + log_tol
                if drop.any():
                    neglected += float(np.exp(bound[drop] - reference).sum())
                    idx, s = idx[~drop], s[~drop]
            new_parent.append(idx)
            new_option.append(np.full(len(idx), o, dtype=np.int32))
            new_score.append(s)
            new_ll.append(ll[idx] + family.log_lr[o])
            new_masks.append(masks[idx] | omasks[o])
            visited += len(idx)
            if visited > VISITED_FACTOR * max_states:
                return None
        score = np.concatenate(new_score)
        ll = np.concatenate(new_ll)
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
    return assignments, ll, score, neglected, reference, visited


def _logsumexp(values: np.ndarray) -> float:
    top = float(np.max(values))
    return top + math.log(float(np.exp(values - top).sum()))


def sequential(
    problem: DVIProblem,
    lik: EventLikelihood | None = None,
    *,
    min_log_lr: float = 0.0,
) -> JointResult:
    """The sequential route for the whole event: repeatedly fix the identification with the
    largest LR given those already fixed (the victim's profile then counts as the missing
    person's in its family), while that LR exceeds exp(min_log_lr). One assignment, no
    posteriors."""
    lik = lik or EventLikelihood(problem)
    victims, missing = problem.victim_ids, problem.missing_ids
    pair = pairwise_log_lr(lik)
    candidates: dict[str, list[str]] = {m: [] for m in missing}
    single: dict[tuple[str, str], float] = {}
    for i, v in enumerate(victims):
        for j, m in enumerate(missing):
            if np.isfinite(pair[i, j]):
                candidates[m].append(v)
                single[(m, v)] = float(pair[i, j])
    vindex = {v: i for i, v in enumerate(victims)}
    mindex = {m: j for j, m in enumerate(missing)}
    fams = [f.family_id for f in problem.families]
    row, ll = _sequential_rows(lik, fams, candidates, single, vindex, mindex, min_log_lr)
    part = _Part(row, np.array([ll]), np.array([ll]), "sequential", math.nan,
                 len(single), sorted(vindex.values()))  # fmt: skip
    pruned = int(np.sum(np.isneginf(pair)))
    return _combine(lik, [part], victims, missing, pruned, len(single), 1, 0.0)


def _sequential_rows(
    lik: EventLikelihood,
    fams: Sequence[str],
    candidates: Mapping[str, Sequence[str]],
    single: Mapping[tuple[str, str], float],
    vindex: Mapping[str, int],
    mindex: Mapping[str, int],
    min_log_lr: float = 0.0,
) -> tuple[np.ndarray, float]:
    """Greedy identifications within some families: (row (1, V), sum of family log LRs)."""
    wanted = set(fams)
    current = {(m, v): single[(m, v)] for m, vs in candidates.items()
               if lik.family_of(m) in wanted for v in vs}  # fmt: skip
    fixed: dict[str, dict[str, str]] = {f: {} for f in fams}
    row = np.full((1, len(vindex)), -1, dtype=np.int32)
    while current:
        (m, v), best = max(current.items(), key=lambda item: item[1])
        if best <= min_log_lr:
            break
        family = lik.family_of(m)
        base = lik.family_log_lr(family, fixed[family])
        fixed[family][m] = v
        row[0, vindex[v]] = mindex[m]
        current = {k: s for k, s in current.items() if k[0] != m and k[1] != v}
        for key in [k for k in current if lik.family_of(k[0]) == family]:
            score = lik.family_log_lr(family, {**fixed[family], key[0]: key[1]})
            if score == -math.inf:
                del current[key]
            else:
                current[key] = score - (base + best)
    total = sum(lik.family_log_lr(f, placed) for f, placed in fixed.items() if placed)
    return row, float(total)
