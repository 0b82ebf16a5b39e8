"""Identification power of a family's references (forrel's missingPersonEP/IP), and the gain
from typing one more relative.

- **Exclusion power (EP)** at a marker: the probability that a random unrelated person is
  excluded (LR 0) by the typed references: EP_m = sum_g P(g) [LR_m(g) = 0] over every genotype g
  (population probabilities P(g), theta 0). In total EP = 1 - prod_m (1 - EP_m); the expected
  number of excluding markers is sum_m EP_m. Exact.
- **Inclusion power (IP)**: the missing person is simulated given the references, marker by
  marker from P(g | references) = LR_m(g) P(g) (exact conditional draws), and IP(t) is the share
  of simulations whose total LR is >= t; the mean LR and the log10 LR distribution likewise.
- The LR of every genotype comes from the engine's LR tables (`mp_lr_table(s)`), so EP, IP and
  the case LRs of `labtrack kinship lr` agree by construction.
- **What if**: for an untyped relative (existing in the pedigree, or a new full sibling, a new
  child, a spouse and a new child, a new parent), the relative's genotypes are drawn given the
  references, then EP and IP are computed with the relative typed; the expected EP and IP over
  those draws, and the gains, are ranked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from labtrack.kinship.freqs import FrequencyTable, MarkerFrequencies
from labtrack.kinship.markers import canonical_marker
from labtrack.kinship.mutation import MutationModel
from labtrack.kinship.pedigree import FEMALE, MALE, Pedigree, Person
from labtrack.kinship.tables import (
    genotype_alleles,
    mp_lr_tables,
    unrelated_genotype_probabilities,
)

Genotype = tuple[str, str]
#: LR thresholds of the inclusion power.
THRESHOLDS: tuple[float, ...] = (1.0, 10.0, 100.0, 1e3, 1e4, 1e6, 1e9)


@dataclass(frozen=True)
class Power:
    """EP/IP of one family with its references.

    markers : the markers used (typed in at least one reference and in the frequency table)
    ep : float64 (L,), exclusion power per marker
    log10_lr : float64 (nsim,), total log10 LR of each simulated true missing person
    """

    family_id: str
    markers: tuple[str, ...]
    ep: np.ndarray
    log10_lr: np.ndarray

    @property
    def ep_total(self) -> float:
        return float(1.0 - np.prod(1.0 - self.ep))

    @property
    def expected_mismatch(self) -> float:
        return float(np.sum(self.ep))

    def ip(self, threshold: float) -> float:
        """Share of simulated true missing persons with LR >= threshold."""
        return float(np.mean(self.log10_lr >= math.log10(threshold) - 1e-12))

    @property
    def mean_log10_lr(self) -> float:
        return float(np.mean(self.log10_lr))

    @property
    def mean_lr(self) -> float:
        return float(np.mean(10.0**self.log10_lr))


@dataclass(frozen=True)
class WhatIf:
    """The expected power if `label` were typed (`added` persons new to the pedigree)."""

    label: str
    typed: tuple[str, ...]
    ep_total: float
    ip: dict[float, float]
    mean_log10_lr: float
    ep_gain: float
    ip_gain: dict[float, float]


@dataclass(frozen=True)
class _Marker:
    freqs: MarkerFrequencies
    refs: dict[str, tuple[int, int]]  # person -> allele indices


def power(
    pedigree: Pedigree,
    genotypes: Mapping[str, Mapping[str, Genotype]],
    table: FrequencyTable,
    *,
    nsim: int,
    seed: int,
    mutation: MutationModel | None = None,
) -> Power:
    """EP per marker and total, and `nsim` simulated true missing persons' LRs (see module).

    genotypes : sample_id -> {marker -> (allele, allele)}; the references are the pedigree's
        typed persons (`sample_id`s, missing person excluded)
    """
    markers = _markers(pedigree, genotypes, table)
    rng = np.random.default_rng(seed)
    ep = np.empty(len(markers))
    total = np.zeros(nsim)
    typed = list(pedigree.typed_person_ids)
    for k, m in enumerate(markers):
        geno = np.array([m.refs.get(p, (-1, -1)) for p in typed], dtype=np.intp).reshape(-1, 2)
        ped, geno = _only_typed(pedigree, typed, geno)
        lr = mp_lr_tables(ped, geno[None], m.freqs.freqs, mutation=mutation,
                          marker=m.freqs.marker)[0]  # fmt: skip
        _check(lr, pedigree.family_id, m.freqs.marker)
        hw = unrelated_genotype_probabilities(m.freqs.freqs)
        ep[k] = float(np.sum(hw[lr == 0]))
        draws = _draw(np.broadcast_to(lr * hw, (nsim, len(hw))), rng)
        total += np.log10(lr[draws])
    return Power(pedigree.family_id, tuple(m.freqs.marker for m in markers), ep, total)


def what_if(
    pedigree: Pedigree,
    genotypes: Mapping[str, Mapping[str, Genotype]],
    table: FrequencyTable,
    *,
    nsim: int,
    seed: int,
    mutation: MutationModel | None = None,
    baseline: Power | None = None,
) -> list[WhatIf]:
    """Expected EP/IP if each untyped relative (or a new one) were typed, best first (by IP
    at LR >= 1e4, then the mean log10 LR, then EP). `nsim` draws of the relative and the missing person each."""
    base = baseline or power(pedigree, genotypes, table, nsim=nsim, seed=seed, mutation=mutation)
    markers = _markers(pedigree, genotypes, table)
    out = []
    for label, variant, targets in candidates(pedigree):
        rng = np.random.default_rng(seed)
        ep = np.zeros((nsim, len(markers)))
        total = np.zeros(nsim)
        for k, m in enumerate(markers):
            typed = list(pedigree.typed_person_ids)
            geno = np.broadcast_to(
                np.array([m.refs.get(p, (-1, -1)) for p in typed], dtype=np.intp),
                (nsim, len(typed), 2),
            )
            for target in targets:  # draw the new relatives one at a time, given the others
                drawn, _ = _conditional(variant, typed, geno, target, m, rng, mutation)
                typed = [*typed, target]
                geno = np.concatenate([geno, drawn[:, None, :]], axis=1)
            hw = unrelated_genotype_probabilities(m.freqs.freqs)
            draws, lr = _conditional(variant, typed, geno, variant.missing_person_id, m, rng,
                                     mutation, want_lr=True)  # fmt: skip
            ep[:, k] = np.where(lr == 0, hw[None, :], 0.0).sum(axis=1)
            total += np.log10(np.take_along_axis(lr, _index(draws, len(hw))[:, None], 1)[:, 0])
        ep_total = 1.0 - np.prod(1.0 - ep, axis=1)
        ip = {t: float(np.mean(total >= math.log10(t) - 1e-12)) for t in THRESHOLDS}
        out.append(WhatIf(
            label, tuple(targets), float(np.mean(ep_total)), ip, float(np.mean(total)),
            float(np.mean(ep_total)) - base.ep_total,
            {t: ip[t] - base.ip(t) for t in THRESHOLDS},
        ))  # fmt: skip
    out.sort(key=lambda w: (-w.ip[1e4], -w.mean_log10_lr, -w.ep_total, w.label))
    return out


def candidates(pedigree: Pedigree) -> list[tuple[str, Pedigree, list[str]]]:
    """(label, pedigree with the relative(s) added if new, persons to type) for every untyped
    relative of the missing person and for a new full sibling, child, spouse and child, parent."""
    mp = pedigree.person(pedigree.missing_person_id)
    typed = set(pedigree.typed_person_ids)
    ancestors = _ancestors(pedigree)
    mine = ancestors[mp.person_id]
    out: list[tuple[str, Pedigree, list[str]]] = []
    for p in pedigree.persons:
        if p.person_id == mp.person_id or p.person_id in typed:
            continue
        related = bool(mine & ancestors[p.person_id]) or mp.person_id in ancestors[p.person_id]
        if related:
            out.append((p.person_id, _typed_copy(pedigree, [p.person_id]), [p.person_id]))
    if not mp.is_founder:
        sib = Person("new_full_sibling", mp.father_id, mp.mother_id, MALE)
        out.append(("new full sibling", _typed_copy(pedigree, [], [sib]), [sib.person_id]))
    else:
        father = Person("new_father", None, None, MALE)
        mother = Person("new_mother", None, None, FEMALE)
        moved = _typed_copy(pedigree, [], [father, mother],
                            parents={mp.person_id: ("new_father", "new_mother")})  # fmt: skip
        out.append(("new parent", moved, ["new_father"]))
    spouse_sex = FEMALE if mp.sex == MALE else MALE
    spouse = Person("new_spouse", None, None, spouse_sex)
    father, mother = ((mp.person_id, "new_spouse") if mp.sex != FEMALE
                      else ("new_spouse", mp.person_id))  # fmt: skip
    child = Person("new_child", father, mother, MALE)
    variant = _typed_copy(pedigree, [], [spouse, child])
    out.append(("new child", variant, ["new_child"]))
    out.append(("spouse and new child", variant, ["new_spouse", "new_child"]))
    return out


# -- helpers ---------------------------------------------------------------------------------
def _markers(
    pedigree: Pedigree, genotypes: Mapping[str, Mapping[str, Genotype]], table: FrequencyTable
) -> list[_Marker]:
    samples = pedigree.sample_of()
    refs: dict[str, dict[str, Genotype]] = {}
    for pid, sample in samples.items():
        for marker, g in genotypes.get(sample, {}).items():
            refs.setdefault(canonical_marker(marker), {})[pid] = g
    out = []
    for marker in sorted(m for m in refs if m in table):
        observed = [a for g in refs[marker].values() for a in g]
        mf = table.for_case(marker, observed)
        index = {a: k for k, a in enumerate(mf.alleles)}
        out.append(_Marker(mf, {p: (index[g[0]], index[g[1]]) for p, g in refs[marker].items()}))
    return out


def _only_typed(
    pedigree: Pedigree, typed: Sequence[str], geno: np.ndarray
) -> tuple[Pedigree, np.ndarray]:
    """The pedigree with exactly the persons typed at this marker (genotype >= 0), and their
    genotypes (T, 2) in the new pedigree's `typed_person_ids` order."""
    keep = [k for k in range(len(typed)) if geno[k][0] >= 0]
    ped = _typed_copy(pedigree, [typed[k] for k in keep])
    position = {typed[k]: k for k in keep}
    return ped, np.asarray(geno)[[position[p] for p in ped.typed_person_ids]].reshape(-1, 2)


def _conditional(
    pedigree: Pedigree,
    typed: Sequence[str],
    geno: np.ndarray,
    target: str,
    marker: _Marker,
    rng: np.random.Generator,
    mutation: MutationModel | None,
    *,
    want_lr: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw `target`'s genotype given the typed persons, per row of geno (n, T, 2). Returns
    (allele indices (n, 2) or genotype indices (n,) when want_lr, LR tables (n, G))."""
    n = geno.shape[0]
    present = [k for k in range(len(typed)) if (geno[:, k, 0] >= 0).all()]
    ids = [typed[k] for k in present]
    ped = _typed_copy(pedigree, ids, missing=target)
    order = [ids.index(p) for p in ped.typed_person_ids]
    sub = geno[:, present][:, order]
    lr = mp_lr_tables(ped, sub, marker.freqs.freqs, mutation=mutation, marker=marker.freqs.marker)
    _check(lr, pedigree.family_id, marker.freqs.marker)
    hw = unrelated_genotype_probabilities(marker.freqs.freqs)
    draws = _draw(lr * hw[None, :], rng)
    if want_lr:
        return draws, lr
    i, j = genotype_alleles(len(marker.freqs.freqs))
    return np.stack([i[draws], j[draws]], axis=1).reshape(n, 2), lr


def _draw(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One index per row of weights (n, G), proportional to the row."""
    cumulative = np.cumsum(weights, axis=1)
    u = rng.random(weights.shape[0]) * cumulative[:, -1]
    return np.minimum((cumulative < u[:, None]).sum(axis=1), weights.shape[1] - 1)


def _index(draws: np.ndarray, size: int) -> np.ndarray:
    return np.minimum(draws, size - 1)


def _check(lr: np.ndarray, family: str, marker: str) -> None:
    if np.isnan(lr).any():
        raise ValueError(f"family {family}, marker {marker}: the references contradict their "
                         "pedigree (Mendelian inconsistency)")


def _typed_copy(
    pedigree: Pedigree,
    typed: Sequence[str],
    added: Sequence[Person] = (),
    *,
    missing: str | None = None,
    parents: Mapping[str, tuple[str, str]] | None = None,
) -> Pedigree:
    """A copy where exactly `typed` carry samples (id = person id), `missing` (default: the
    pedigree's) is the missing person, with `added` persons and re-parented persons."""
    missing = missing or pedigree.missing_person_id
    wanted = set(typed)
    persons = []
    for p in [*pedigree.persons, *added]:
        fa, mo = (parents or {}).get(p.person_id, (p.father_id, p.mother_id))
        persons.append(replace(p, father_id=fa, mother_id=mo,
                               sample_id=p.person_id if p.person_id in wanted else None,
                               missing=p.person_id == missing))  # fmt: skip
    return Pedigree.build(pedigree.family_id, persons)


def _ancestors(pedigree: Pedigree) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for p in pedigree.persons:  # parents first
        mine = {p.person_id}
        for q in (p.father_id, p.mother_id):
            if q:
                mine |= out[q]
        out[p.person_id] = mine
    return out
