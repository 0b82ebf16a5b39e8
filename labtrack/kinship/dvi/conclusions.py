"""Automated conclusions in the classes of dvir's `dviSolve` (Vigeland & Egeland), stated
thresholds:

- `THRESHOLD` = 1e4: an LR (or GLR) above it is a match;
- `THRESHOLD2` = 1e3: in a family with one (remaining) missing person, the second step;
- `MAX_INCOMP` = 2: a pairing with more incompatible markers (LR 0 at that marker) is
  excluded.

Steps, in dvir's order:
1. *Nonidentifiable*: a missing person unrelated (no common ancestor) to every typed reference
   and to the other missing persons of the family.
2. Repeat: *Excluded* (victims excluded against every missing person, missing persons excluded
   against every victim, pairings with more than MAX_INCOMP incompatible markers removed;
   incompatibilities are counted without mutation, as forrel's findExclusions does); stop when
   nothing changes. Then *Undisputed*: pairwise LR > THRESHOLD and at least THRESHOLD times
   every other allowed pairwise LR of that victim and of that missing person (dvir's `relax`
   rule, which is what dviSolve 3.3.0 reports); the victim's profile then counts as the missing
   person's in its family; stop when none.
3. Per remaining family: one missing person left: LR > THRESHOLD2 for exactly one victim:
   *Probable*; for several: *Disputed*; for none: *No match*. Several missing persons left: the
   family's joint assignments are ranked; a victim whose GLR for a missing person (best
   assignment with the pairing against the best without it) is >= THRESHOLD is a *Match
   (GLR)*; two top assignments that differ only by swapping (or by which of two missing persons
   one victim is) with GLR >= THRESHOLD against the first other assignment: *Symmetric match*;
   the family's other missing persons: *Inconclusive GLR*.
4. Victims without a conclusion: *No match* (or *Disputed* if their best LR exceeds
   THRESHOLD) when none of their candidates is still open, else *Inconclusive*.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from labtrack.kinship.dvi.joint import DEFAULT_MAX_PLACEMENTS
from labtrack.kinship.dvi.likelihood import EventLikelihood
from labtrack.kinship.dvi.problem import NOBODY, DVIProblem

THRESHOLD = 1e4
THRESHOLD2 = 1e3
MAX_INCOMP = 2
_EPS = math.sqrt(np.finfo(float).eps)

UNDISPUTED = "Undisputed"
MATCH_GLR = "Match (GLR)"
SYMMETRIC = "Symmetric match"
PROBABLE = "Probable"
DISPUTED = "Disputed"
NO_MATCH = "No match"
EXCLUDED = "Excluded"
NONIDENTIFIABLE = "Nonidentifiable"
INCONCLUSIVE = "Inconclusive"
INCONCLUSIVE_GLR = "Inconclusive GLR"


@dataclass(frozen=True)
class Conclusion:
    """One line of the conclusions: `side` "AM" (per missing person) or "PM" (per victim);
    `lr`, `glr` NaN when not part of the conclusion; `victim` / `missing` "" when none."""

    side: str
    family_id: str
    missing: str
    victim: str
    lr: float
    glr: float
    conclusion: str
    comment: str


class _State:
    def __init__(self, problem: DVIProblem, lik: EventLikelihood) -> None:
        self.problem = problem
        self.lik = lik
        self.plain = EventLikelihood(problem, mutation=False) if _has_mutation(problem) else lik
        self.victims = list(problem.victim_ids)
        self.missing = list(problem.missing_ids)
        self.cand = {v: {c for c in problem.pairings.get(v, ()) if c != NOBODY}
                     for v in self.victims}  # fmt: skip
        self.fixed: dict[str, dict[str, str]] = {f.family_id: {} for f in problem.families}
        self._base: dict[str, float] = {}
        self._single: dict[tuple[int, str], dict[str, np.ndarray]] = {}

    def single(self, plain: bool, m: str) -> dict[str, np.ndarray]:
        """victim -> per-marker log LR of victim = m alone (nothing fixed in the family),
        with (plain=False) or without (plain=True) mutation; computed once per missing
        person for every victim allowed to be m."""
        key = (int(plain), m)
        if key not in self._single:
            victims = [v for v in self.problem.victim_ids if m in self.problem.pairings[v]]
            lik = self.plain if plain else self.lik
            table = lik.pair_marker_log_lrs(m, victims)
            self._single[key] = dict(zip(victims, table, strict=True))
        return self._single[key]

    def base(self, family: str) -> float:
        key = family + "|" + repr(sorted(self.fixed[family].items()))
        if key not in self._base:
            self._base[key] = self.lik.family_log_lr(family, self.fixed[family])
        return self._base[key]

    def log_lr(self, v: str, m: str) -> float:
        """Pairwise log LR of v = m given the identifications fixed in m's family."""
        family = self.lik.family_of(m)
        if not self.fixed[family]:
            return float(self.single(False, m)[v].sum())
        score = self.lik.family_log_lr(family, {**self.fixed[family], m: v})
        return score - self.base(family) if score > -math.inf else -math.inf

    def incompatible(self, v: str, m: str) -> int:
        """Markers where v = m is impossible without mutation (forrel's findExclusions)."""
        family = self.lik.family_of(m)
        if not self.fixed[family]:
            return int(np.sum(np.isneginf(self.single(True, m)[v])))
        with_v = self.plain.marker_logliks(family, {**self.fixed[family], m: v})
        without = self.plain.marker_logliks(family, self.fixed[family])
        return int(np.sum(np.isneginf(with_v) & np.isfinite(without)))

    def pairs(self) -> list[tuple[str, str]]:
        open_m = set(self.missing)
        return [(v, m) for v in self.victims for m in sorted(self.cand[v] & open_m,
                                                               key=self.missing.index)]


def solve(
    problem: DVIProblem,
    lik: EventLikelihood | None = None,
    *,
    threshold: float = THRESHOLD,
    threshold2: float = THRESHOLD2,
    max_incomp: int = MAX_INCOMP,
) -> list[Conclusion]:
    """Conclusions for every missing person (AM) and every victim (PM); see the module doc."""
    lik = lik or EventLikelihood(problem)
    state = _State(problem, lik)
    out: list[Conclusion] = []
    _nonidentifiable(state, out)
    iteration = 0
    while True:
        iteration += 1
        if not _exclusions(state, out, max_incomp):
            break
        if not _undisputed(state, out, threshold, iteration):
            break
    _am_driven(state, out, threshold, threshold2)
    return _ordered(problem, out)


def _nonidentifiable(state: _State, out: list[Conclusion]) -> None:
    for family in state.problem.families:
        parents = {p.person_id: (p.father_id, p.mother_id) for p in family.pedigree.persons}
        others = set(family.references) | set(family.missing)
        for m in family.missing:
            mine = _ancestors(parents, m)
            if all(not (mine & _ancestors(parents, x)) for x in others - {m}):
                state.missing.remove(m)
                out.append(Conclusion("AM", family.family_id, m, "", math.nan, math.nan,
                                      NONIDENTIFIABLE, "unrelated to the references"))


def _ancestors(parents: dict[str, tuple[str | None, str | None]], pid: str) -> set[str]:
    """The person and all their ancestors."""
    seen: set[str] = set()
    stack = [pid]
    while stack:
        x = stack.pop()
        if x not in seen:
            seen.add(x)
            stack += [q for q in parents[x] if q]
    return seen


def _exclusions(state: _State, out: list[Conclusion], max_incomp: int) -> bool:
    counts = {(v, m): state.incompatible(v, m) for v, m in state.pairs()}
    changed = False
    for v in list(state.victims):
        mine = [c for (w, _), c in counts.items() if w == v]
        low = min(mine) if mine else math.inf
        if low > max_incomp:
            state.victims.remove(v)
            changed = True
            text = "no compatible pairings" if low == math.inf else f"min {low} incons"
            out.append(Conclusion("PM", "", "", v, math.nan, math.nan, EXCLUDED, text))
    for m in list(state.missing):
        mine = [c for (_, n), c in counts.items() if n == m]
        low = min(mine) if mine else math.inf
        if low > max_incomp:
            state.missing.remove(m)
            changed = True
            text = "no compatible pairings" if low == math.inf else f"min {low} incons"
            out.append(Conclusion("AM", state.lik.family_of(m), m, "", math.nan, math.nan,
                                  EXCLUDED, text))
    for (v, m), c in counts.items():
        if c > max_incomp:
            state.cand[v].discard(m)
            changed = True
    return changed


def _undisputed(state: _State, out: list[Conclusion], threshold: float, step: int) -> bool:
    found_any = False
    while True:
        lr = {(v, m): math.exp(state.log_lr(v, m)) for v, m in state.pairs()}
        found = []
        for (v, m), value in lr.items():
            if value <= threshold:
                continue
            others = [x for (w, n), x in lr.items() if (w == v) != (n == m)]
            if all(x <= value / threshold for x in others):
                found.append((v, m, value))
        if not found:
            return found_any
        found_any = True
        for v, m, value in found:
            family = state.lik.family_of(m)
            for side in ("AM", "PM"):
                out.append(Conclusion(side, family, m, v, value, math.nan, UNDISPUTED,
                                      f"Step {step}"))
            state.fixed[family][m] = v
            state.victims.remove(v)
            state.missing.remove(m)
        if not state.victims or not state.missing:
            return True


def _am_driven(state: _State, out: list[Conclusion], threshold: float, threshold2: float) -> None:
    lr = {(v, m): math.exp(state.log_lr(v, m)) for v, m in state.pairs()}
    concluded_victims: set[str] = set()
    open_missing: set[str] = set()
    closed_missing: set[str] = set()
    for family in state.problem.families:
        fid = family.family_id
        left = [m for m in family.missing if m in state.missing]
        if not left:
            continue
        if len(left) == 1:
            m = left[0]
            closed_missing.add(m)
            concluded_victims |= _simple(fid, m, lr, threshold2, out)
            continue
        done = _complex(state, fid, left, lr, threshold, out)
        concluded_victims |= {v for v, _ in done if v}
        too_large = {n for v, n in done if not v}  # rows already written
        for m in left:
            if m in {n for v, n in done if v}:
                closed_missing.add(m)
            else:
                open_missing.add(m)
                if m not in too_large:
                    out.append(Conclusion("AM", fid, m, "", math.nan, math.nan,
                                          INCONCLUSIVE_GLR, ""))
    for v in state.victims:
        if v in concluded_victims:
            continue
        mine = {m: x for (w, m), x in lr.items() if w == v}
        if any(m in open_missing for m in mine):
            out.append(Conclusion("PM", "", "", v, math.nan, math.nan, INCONCLUSIVE, ""))
        elif not mine:
            out.append(Conclusion("PM", "", "", v, math.nan, math.nan, NO_MATCH,
                                  "No remaining pairings"))
        else:
            best = max(mine, key=lambda m: mine[m])
            kind = DISPUTED if mine[best] > threshold else NO_MATCH
            out.append(Conclusion("PM", "", "", v, math.nan, math.nan, kind,
                                  f"Best: {best} (LR={_g(mine[best], 3)})"))


def _simple(
    fid: str, m: str, lr: dict[tuple[str, str], float], threshold2: float, out: list[Conclusion]
) -> set[str]:
    lrs = {v: x for (v, n), x in lr.items() if n == m}
    if not lrs:
        out.append(Conclusion("AM", fid, m, "", math.nan, math.nan, NO_MATCH,
                              "No remaining pairings"))
        return set()
    best = max(lrs, key=lambda v: lrs[v])
    high = {v: x for v, x in lrs.items() if x > threshold2}
    if len(high) > 1:
        also = ", ".join(f"{v} (LR={_g(x, 2)})" for v, x in high.items() if v != best)
        concl, comment = DISPUTED, f"Also: {also}"
    elif len(high) == 1:
        rest = {v: x for v, x in lrs.items() if v != best}
        runner = max(rest, key=lambda v: rest[v]) if rest else None
        comment = f"Runner-up: {runner} (LR={_g(rest[runner], 2)})" if runner else "Runner-up: -"
        concl = PROBABLE
    else:
        out.append(Conclusion("AM", fid, m, "", math.nan, math.nan, NO_MATCH,
                              f"Best: {best} (LR={_g(lrs[best], 2)})"))
        return set()
    for side in ("AM", "PM"):
        out.append(Conclusion(side, fid, m, best, lrs[best], math.nan, concl, comment))
    return {best}


def _complex(
    state: _State,
    fid: str,
    left: list[str],
    lr: dict[tuple[str, str], float],
    threshold: float,
    out: list[Conclusion],
) -> set[tuple[str, str]]:
    """Joint analysis of one family: Match (GLR) and Symmetric match; returns the (victim,
    missing) pairs concluded."""
    victims = [v for v in state.victims if state.cand[v] & set(left)]
    options = _family_table(state, fid, left, victims)
    if options is None:
        for m in left:
            out.append(Conclusion("AM", fid, m, "", math.nan, math.nan, INCONCLUSIVE_GLR,
                                  "too many placements for a joint analysis of the family"))
        return {("", m) for m in left}
    if not options:
        return set()
    loglik = np.array([s for s, _ in options])
    table = [a for _, a in options]
    found: list[tuple[str, str, float]] = []
    for v in victims:
        column = [a.get(v, NOBODY) for a in table]
        if len(set(column)) < 2:
            continue
        for m in left:
            if m not in column:
                continue
            numer = column.index(m)
            denom = next(k for k, c in enumerate(column) if c != column[0]) if numer == 0 else 0
            glr = math.exp(loglik[numer] - loglik[denom])
            if glr >= threshold - _EPS:
                found.append((v, m, glr))
    done: set[tuple[str, str]] = set()
    comment = "Joint analysis {" + ",".join(left) + "}"
    for v, m, glr in found:
        for side in ("AM", "PM"):
            out.append(Conclusion(side, fid, m, v, lr.get((v, m), math.nan), glr, MATCH_GLR,
                                  comment))
        done.add((v, m))
    rest_v = [v for v in victims if v not in {x for x, _ in done}]
    if len(table) >= 3 and rest_v:
        done |= _symmetric(fid, left, rest_v, table, loglik, threshold, out)
    return done


def _symmetric(
    fid: str,
    left: list[str],
    victims: list[str],
    table: list[dict[str, str]],
    loglik: np.ndarray,
    threshold: float,
    out: list[Conclusion],
) -> set[tuple[str, str]]:
    r1 = [table[0].get(v, NOBODY) for v in victims]
    r2 = [table[1].get(v, NOBODY) for v in victims]
    diffs = [k for k in range(len(victims)) if r1[k] != r2[k]]
    if not diffs or len(diffs) > 2 or any(NOBODY in (r1[k], r2[k]) for k in diffs):
        return set()
    if len(diffs) == 1:
        v = victims[diffs[0]]
        pair = [m for m in left if m in (r1[diffs[0]], r2[diffs[0]])]
        end = next((k for k, a in enumerate(table) if a.get(v, NOBODY) not in pair), None)
        vics = [v]
    elif {r1[k] for k in diffs} == {r2[k] for k in diffs}:
        vics = [victims[k] for k in diffs]
        pair = [m for m in left if m in {r1[k] for k in diffs}]
        end = next((k for k, a in enumerate(table)
                    if not all(a.get(w, NOBODY) in pair for w in vics)), None)  # fmt: skip
    else:
        return set()
    if end is None:
        return set()
    glr = math.exp(loglik[0] - loglik[end])
    if not glr >= threshold:
        return set()
    text = "{" + ", ".join(pair) + "} = {" + ", ".join(vics) + "}"
    for m in pair:
        out.append(Conclusion("AM", fid, m, "/".join(vics), math.nan, glr, SYMMETRIC, text))
    for v in vics:
        out.append(Conclusion("PM", fid, "/".join(pair), v, math.nan, glr, SYMMETRIC, text))
    return {(v, m) for v in vics for m in pair}


def _family_table(
    state: _State, fid: str, left: list[str], victims: list[str]
) -> list[tuple[float, dict[str, str]]] | None:
    """Every placement of the victims at the family's remaining missing persons with its
    log LR (given the fixed identifications), best first (ties in enumeration order); None
    when there are more than DEFAULT_MAX_PLACEMENTS."""
    lik = state.lik
    fixed = state.fixed[fid]
    base = state.base(fid)
    options: list[dict[str, str]] = [{}]
    for m in left:
        grown = []
        for option in options:
            for v in victims:
                if m in state.cand[v] and v not in option.values():
                    grown.append({**option, m: v})
        options += grown
        if len(options) > DEFAULT_MAX_PLACEMENTS:
            return None
    scored = []
    for option in options:
        score = lik.family_log_lr(fid, {**fixed, **option}) if option else base
        if score > -math.inf:
            scored.append((score - base, {v: m for m, v in option.items()}))
    order = sorted(range(len(scored)), key=lambda k: -scored[k][0])
    return [scored[k] for k in order]


def _has_mutation(problem: DVIProblem) -> bool:
    return any(m.female is not None or m.male is not None for m in problem.markers)


def _g(value: float, digits: int) -> str:
    """C's %.<digits>g, as R's sprintf writes it."""
    return f"{value:.{digits}g}"


def _ordered(problem: DVIProblem, rows: Iterable[Conclusion]) -> list[Conclusion]:
    fam = {f.family_id: k for k, f in enumerate(problem.families)}
    mis = {m: k for k, m in enumerate(problem.missing_ids)}
    vic = {v: k for k, v in enumerate(problem.victim_ids)}
    am = sorted((r for r in rows if r.side == "AM"),
                key=lambda r: (fam.get(r.family_id, 0), mis.get(r.missing, 0)))  # fmt: skip
    pm = sorted((r for r in rows if r.side == "PM"), key=lambda r: vic.get(r.victim, 0))
    return am + pm
