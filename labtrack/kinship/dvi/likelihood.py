"""Likelihoods of a DVI event through the pedigree likelihood engine
(`labtrack.kinship.likelihood.pedigree_likelihood`).

The likelihood of a joint assignment factorises over families: with every victim placed at the
missing person it is assigned to, P(all data) = prod_f P(references of f and the victims placed
in f) * prod_(unassigned victims) P(victim as an unrelated person). Hence

    loglik(assignment) = loglik0 + sum_f log LR_f(S_f)

where loglik0 is the log-likelihood when nobody is identified and LR_f(S) = P(refs_f, S) /
(P(refs_f) prod_(v in S) P(v)) is the family's LR for its part S of the assignment (for one
victim, the pairwise LR). Natural logs throughout; -inf for an impossible assignment.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from labtrack.core.errors import InputError, InputProblem
from labtrack.kinship.dvi.problem import DVIFamily, DVIProblem, MarkerModel
from labtrack.kinship.likelihood import pedigree_likelihood
from labtrack.kinship.mutation import Transmission
from labtrack.kinship.pedigree import Pedigree
from labtrack.kinship.tables import genotype_index, mp_lr_table

IndexGenotype = tuple[int, int]


def transmission_matrix(model: MarkerModel) -> np.ndarray | Transmission | None:
    """The mutation of this marker for the engine: None (no mutation), one matrix (both sexes
    alike) or a `Transmission` with the female and male matrices (a sex without a model does
    not mutate)."""
    female, male = model.female, model.male
    if female is None and male is None:
        return None
    n = len(model.freqs.alleles)
    female = np.eye(n) if female is None else female
    male = np.eye(n) if male is None else male
    if np.array_equal(female, male):
        return female
    return Transmission(female=female, male=male)


class _GivenMatrix:
    """The marker's given mutation matrix (both sexes) in the shape `mp_lr_table` asks of a
    `MutationModel` (`transmission`, and `rate_for`/`matrix`)."""

    kind = "given"

    def __init__(self, matrix: np.ndarray) -> None:
        self._matrix = matrix

    def transmission(self, marker: str, alleles: Sequence[str], freqs: np.ndarray) -> Transmission:
        return Transmission(female=self._matrix, male=self._matrix)

    def rate_for(self, marker: str, sex: str | None = None) -> float:
        return float(1.0 - np.min(np.diag(self._matrix)))

    def matrix(
        self, marker: str, alleles: Sequence[str], freqs: np.ndarray, sex: str | None = None
    ) -> np.ndarray:
        return self._matrix


class EventLikelihood:
    """Cached per-family, per-marker log-likelihoods of a DVI event."""

    def __init__(self, problem: DVIProblem, *, mutation: bool = True) -> None:
        """mutation : False ignores the mutation models (exclusion counts, as forrel's
        findExclusions does)."""
        self.problem = problem
        self.families = {f.family_id: f for f in problem.families}
        self._family_of = {m: f.family_id for f in problem.families for m in f.missing}
        self._matrices = [
            transmission_matrix(model) if mutation else None for model in problem.markers
        ]
        self._index = [
            {a: k for k, a in enumerate(model.freqs.alleles)} for model in problem.markers
        ]
        self._geno: dict[str, list[IndexGenotype | None]] = {}
        samples = set(problem.victim_ids) | {
            s for f in problem.families for s in f.references.values()
        }
        for sample in samples:
            self._geno[sample] = [self._genotype(sample, k) for k in range(len(problem.markers))]
        #: natural log of P(victim's profile) as an unrelated person, per victim
        self.victim_loglik = {v: self._unrelated(v) for v in problem.victim_ids}
        self._cache: dict[tuple[str, int, tuple[tuple[str, IndexGenotype], ...]], float] = {}
        #: natural log of P(references) per family (nobody placed)
        self.family_base = {f.family_id: self.family_loglik(f.family_id, {}) for f in problem.families}
        bad = [
            InputProblem(file="pedigrees", field="sample_id",
                         message=f"family {f}: the references contradict the pedigree at "
                         f"{', '.join(self._impossible_markers(f))}")
            for f, value in self.family_base.items() if value == -math.inf
        ]  # fmt: skip
        if bad:
            raise InputError(bad)
        self._pair_cache: dict[str, tuple[tuple[str, ...], np.ndarray]] = {}

    def _impossible_markers(self, family_id: str) -> list[str]:
        values = self.marker_logliks(family_id, {})
        return [self.problem.markers[k].marker for k in np.flatnonzero(np.isneginf(values))]

    def pair_marker_log_lrs(self, missing_id: str, victims: Sequence[str]) -> np.ndarray:
        """Per-marker natural-log LR of each victim alone at `missing_id` (the family's other
        missing persons untyped): float64 (V, n_markers); 0 where the victim is untyped.

        Markers with no mutation or one matrix for both sexes use the engine's LR table of
        every genotype of the missing person (`mp_lr_table`, one call per marker); markers with
        different female and male matrices the pedigree likelihood per distinct victim
        genotype. Equal to `marker_log_lrs` for one victim (tested)."""
        family = self.families[self._family_of[missing_id]]
        pedigree = Pedigree(family.family_id, tuple(
            replace(p, missing=p.person_id == missing_id) for p in family.pedigree.persons))
        out = np.zeros((len(victims), len(self._matrices)))
        for k, model in enumerate(self.problem.markers):
            rows = [(i, g) for i, v in enumerate(victims) if (g := self._geno[v][k]) is not None]
            if not rows:
                continue
            matrix = self._matrices[k]
            if not isinstance(matrix, Transmission):
                relatives = {pid: self.problem.genotypes[s][model.marker]
                             for pid, s in family.references.items()
                             if model.marker in self.problem.genotypes.get(s, {})}  # fmt: skip
                table = mp_lr_table(
                    pedigree, relatives, model.freqs.alleles, model.freqs.freqs,
                    mutation=None if matrix is None else _GivenMatrix(matrix),  # type: ignore[arg-type]
                    marker=model.marker,
                )
                index = np.array([genotype_index(g[0], g[1]) for _, g in rows])
                with np.errstate(divide="ignore"):
                    out[[i for i, _ in rows], k] = np.log(table[index])
                continue
            base = self._marker(family, k, {})
            p = model.freqs.freqs
            for i, g in rows:
                lik = self._marker(family, k, {missing_id: victims[i]})
                hw = math.log((1.0 if g[0] == g[1] else 2.0) * p[g[0]] * p[g[1]])
                out[i, k] = lik - base - hw if lik > -math.inf else -math.inf
        return out

    def _genotype(self, sample: str, k: int) -> IndexGenotype | None:
        marker = self.problem.markers[k].marker
        g = self.problem.genotypes.get(sample, {}).get(marker)
        if g is None:
            return None
        index = self._index[k]
        return (index[g[0]], index[g[1]])

    def _unrelated(self, victim: str) -> float:
        total = 0.0
        for k, g in enumerate(self._geno[victim]):
            if g is None:
                continue
            p = self.problem.markers[k].freqs.freqs
            total += math.log((1.0 if g[0] == g[1] else 2.0) * p[g[0]] * p[g[1]])
        return total

    @property
    def loglik0(self) -> float:
        """Log-likelihood of all data when no victim is identified."""
        return float(sum(self.family_base.values()) + sum(self.victim_loglik.values()))

    def family_of(self, missing_id: str) -> str:
        return self._family_of[missing_id]

    def marker_logliks(self, family_id: str, placed: Mapping[str, str]) -> np.ndarray:
        """log P(references of the family and the victims placed at its missing persons), per
        marker: float64 (n_markers,). placed : missing person id -> victim sample id."""
        family = self.families[family_id]
        return np.array([self._marker(family, k, placed) for k in range(len(self._matrices))])

    def family_loglik(self, family_id: str, placed: Mapping[str, str]) -> float:
        """Sum over markers of `marker_logliks`."""
        family = self.families[family_id]
        return float(sum(self._marker(family, k, placed) for k in range(len(self._matrices))))

    def family_log_lr(self, family_id: str, placed: Mapping[str, str]) -> float:
        """log LR_f(placed): natural log; 0 for nobody placed; -inf when excluded."""
        if not placed:
            return 0.0
        lik = self.family_loglik(family_id, placed)
        if lik == -math.inf:
            return -math.inf
        unrelated = sum(self.victim_loglik[v] for v in placed.values())
        return lik - self.family_base[family_id] - unrelated

    def marker_log_lrs(self, family_id: str, placed: Mapping[str, str]) -> np.ndarray:
        """Per-marker log LR of `placed` (natural log), float64 (n_markers,)."""
        base = self.marker_logliks(family_id, {})
        lik = self.marker_logliks(family_id, placed)
        unrelated = np.zeros(len(self._matrices))
        for v in placed.values():
            for k, g in enumerate(self._geno[v]):
                if g is not None:
                    p = self.problem.markers[k].freqs.freqs
                    unrelated[k] += math.log((1.0 if g[0] == g[1] else 2.0) * p[g[0]] * p[g[1]])
        with np.errstate(invalid="ignore"):
            return lik - base - unrelated

    def _marker(self, family: DVIFamily, k: int, placed: Mapping[str, str]) -> float:
        victims = tuple(
            sorted((m, g) for m, v in placed.items() if (g := self._geno[v][k]) is not None)
        )
        key = (family.family_id, k, victims)
        value = self._cache.get(key)
        if value is not None:
            return value
        typed: dict[str, IndexGenotype] = {}
        for pid, sample in family.references.items():
            g = self._geno[sample][k]
            if g is not None:
                typed[pid] = g
        typed.update(victims)
        if not typed:
            value = 0.0
        else:
            lik = pedigree_likelihood(
                family.pedigree,
                typed,
                self.problem.markers[k].freqs.freqs,
                mutation=self._matrices[k],
            )
            value = math.log(lik) if lik > 0 else -math.inf
        self._cache[key] = value
        return value
