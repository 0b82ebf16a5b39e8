"""Joint DVI cross-checked by brute force on small simulated events: every assignment is
listed by itertools and scored directly (all families' pedigree likelihoods with the victims
placed, times the unplaced victims' population probabilities), independently of the per-family
decomposition, the pruning and the branch and bound."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from labtrack.core.errors import InputError
from labtrack.kinship.dvi import (
    NOBODY,
    DVIProblem,
    EventLikelihood,
    MutationSpec,
    Victim,
    joint,
    sequential,
)
from labtrack.kinship.freqs import FrequencyTable
from labtrack.kinship.likelihood import pedigree_likelihood
from labtrack.kinship.mutation import Transmission
from labtrack.kinship.pedigree import FEMALE, MALE, Person

# family shapes: (person, father, mother, sex, role) with role "ref", "mp" or ""
SHAPES = [
    [("FA", "", "", MALE, "ref"), ("MO", "", "", FEMALE, ""), ("S1", "FA", "MO", MALE, "mp"),
     ("S2", "FA", "MO", MALE, "mp")],
    [("GF", "", "", MALE, ""), ("GM", "", "", FEMALE, "ref"), ("P", "GF", "GM", MALE, "mp"),
     ("W", "", "", FEMALE, "ref"), ("C", "P", "W", FEMALE, "mp")],
    [("FA", "", "", MALE, "mp"), ("MO", "", "", FEMALE, "ref"), ("C", "FA", "MO", FEMALE, "ref")],
]  # fmt: skip


def simulate(seed: int, n_markers: int = 4, n_alleles: int = 4, extra_victims: int = 1):
    rng = np.random.default_rng(seed)
    alleles = [str(a) for a in range(1, n_alleles + 1)]
    freqs = {f"L{k}": rng.dirichlet(np.full(n_alleles, 2.0)) for k in range(n_markers)}
    table = FrequencyTable.from_rows(
        [(m, a, float(p), None) for m, f in freqs.items() for a, p in zip(alleles, f, strict=True)]
    )

    def founder() -> dict[str, tuple[str, str]]:
        return {m: tuple(sorted(rng.choice(alleles, 2, p=f))) for m, f in freqs.items()}

    families, genotypes, victims = {}, {}, []
    for s, shape in enumerate(SHAPES):
        fid = f"F{s + 1}"
        geno: dict[str, dict[str, tuple[str, str]]] = {}
        persons = []
        for pid, fa, mo, sex, role in shape:
            if fa:
                geno[pid] = {m: tuple(sorted((geno[fa][m][rng.integers(2)],
                                              geno[mo][m][rng.integers(2)])))
                             for m in freqs}  # fmt: skip
            else:
                geno[pid] = founder()
            sample = f"{fid}-{pid}" if role == "ref" else None
            if sample:
                genotypes[sample] = geno[pid]
            persons.append(Person(f"{fid}{pid}" if True else pid, f"{fid}{fa}" if fa else None,
                                  f"{fid}{mo}" if mo else None, sex, sample, role == "mp"))
            if role == "mp" and rng.random() < 0.8:
                vid = f"V{len(victims) + 1}"
                victims.append(Victim(vid, sex))
                genotypes[vid] = geno[pid]
        families[fid] = persons
    for _ in range(extra_victims):
        vid = f"V{len(victims) + 1}"
        victims.append(Victim(vid, int(rng.choice([MALE, FEMALE]))))
        genotypes[vid] = founder()
    order = rng.permutation(len(victims))
    return [victims[k] for k in order], families, genotypes, table


def brute_force(problem: DVIProblem) -> dict[tuple[str, ...], float]:
    """Every assignment -> natural-log likelihood of all data, scored from scratch."""
    victims = problem.victim_ids
    choices = [problem.pairings[v] for v in victims]
    out = {}
    cache: dict[tuple[object, ...], float] = {}

    def family_lik(family, k, typed, p, matrix) -> float:
        key = (family.family_id, k, tuple(sorted(typed.items())))
        if key not in cache:
            cache[key] = pedigree_likelihood(family.pedigree, typed, p, mutation=matrix)
        return cache[key]

    for combo in itertools.product(*choices):
        placed = [c for c in combo if c != NOBODY]
        if len(placed) != len(set(placed)):
            continue
        total = 0.0
        for k, model in enumerate(problem.markers):
            index = {a: i for i, a in enumerate(model.freqs.alleles)}
            p = model.freqs.freqs
            matrix = None if model.female is None else Transmission(model.female, model.male)
            for family in problem.families:
                typed = {}
                for pid, sample in family.references.items():
                    g = problem.genotypes[sample].get(model.marker)
                    if g:
                        typed[pid] = (index[g[0]], index[g[1]])
                for v, c in zip(victims, combo, strict=True):
                    if c in family.missing and model.marker in problem.genotypes[v]:
                        g = problem.genotypes[v][model.marker]
                        typed[c] = (index[g[0]], index[g[1]])
                lik = family_lik(family, k, typed, p, matrix) if typed else 1
                total += math.log(lik) if lik > 0 else -math.inf
            for v, c in zip(victims, combo, strict=True):
                g = problem.genotypes[v].get(model.marker)
                if c == NOBODY and g:
                    i, j = index[g[0]], index[g[1]]
                    total += math.log((1 if i == j else 2) * p[i] * p[j])
        out[combo] = total
    return out


def build(seed: int, mutation: bool = False) -> DVIProblem:
    """mutation: equal model, female rate 0.002 and male rate 0.01 (sex-specific)."""
    victims, families, genotypes, table = simulate(seed)
    spec = None
    if mutation:
        spec = {(m, sex): MutationSpec("equal", 0.01 if sex == MALE else 0.002)
                for m in table.marker_names() for sex in (MALE, FEMALE)}  # fmt: skip
    return DVIProblem.build(victims=victims, families=families, genotypes=genotypes,
                            freqs=table, mutation=spec)  # fmt: skip


def keyed(result) -> dict[tuple[str, ...], float]:
    return {
        tuple(result.missing[j] if j >= 0 else NOBODY for j in row): ll
        for row, ll in zip(result.assignments, result.loglik, strict=True)
    }


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("mutation", [False, True])
def test_exact_enumeration_equals_brute_force(seed: int, mutation: bool) -> None:
    problem = build(seed, mutation)
    truth = {k: v for k, v in brute_force(problem).items() if v > -math.inf}
    result = joint(problem, tolerance=0.0)
    got = keyed(result)
    assert set(got) == set(truth)
    for k, value in truth.items():
        assert got[k] == pytest.approx(value, abs=1e-9)
    # posteriors and pairing probabilities from the brute-force list
    values = np.array(list(truth.values()))
    weights = np.exp(values - values.max())
    post = dict(zip(truth, weights / weights.sum(), strict=True))
    marg = result.marginals()
    for i in range(len(problem.victim_ids)):
        for j, c in enumerate([*problem.missing_ids, NOBODY]):
            want = sum(w for k, w in post.items() if k[i] == c)
            assert marg[i, j] == pytest.approx(want, abs=1e-12)
    assert result.loglik[0] == pytest.approx(max(truth.values()), abs=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_branch_and_bound_bounds_what_it_leaves_out(seed: int) -> None:
    problem = build(seed, mutation=True)
    exact = joint(problem, tolerance=0.0)
    bounded = joint(problem, tolerance=1e-3)
    assert bounded.method == "branch-and-bound"
    assert bounded.loglik[0] == exact.loglik[0]
    assert (bounded.assignments[0] == exact.assignments[0]).all()
    # the posterior mass of the assignments left out is within the stated bound
    post = exact.posterior()
    listed = set(keyed(bounded))
    left_out = sum(p for k, p in zip(keyed(exact), post, strict=True) if k not in listed)
    assert left_out <= bounded.neglected_mass + 1e-15
    assert bounded.visited <= exact.visited


def test_sequential_route_when_too_large() -> None:
    problem = build(1)
    result = joint(problem, max_states=1)
    assert result.method == "sequential"
    assert "sequential" in result.message
    assert np.isnan(result.posterior()).all()
    direct = sequential(problem)
    assert (direct.assignments == result.assignments).all()
    # its log-likelihood is that of its assignment, scored by brute force
    truth = brute_force(problem)
    assert result.loglik[0] == pytest.approx(truth[next(iter(keyed(result)))], abs=1e-9)
    # every identification it makes has LR > 1 given the others
    assert result.loglik[0] >= result.loglik0


def test_a_large_part_is_stated_with_its_size_and_memory_bound_and_progress_is_reported() -> None:
    """The sequential route names the part that was too large (families, victims, why) and the
    memory bound of the enumeration; progress goes from 0 through each part, never backwards."""
    from labtrack.kinship.dvi.joint import VISITED_FACTOR, memory_bound

    problem = build(1)
    seen: list[tuple[float, str]] = []
    result = joint(problem, max_states=1, progress=lambda value, stage: seen.append((value, stage)))
    part = next(p for p in ("partial assignments", "possible placements") if p in result.message)
    assert part and "a part of " in result.message and " families and " in result.message
    assert "MiB per part" in result.message
    assert seen[0] == (0.0, "pairwise likelihood ratios")
    assert seen[0][1].id == "pairwise likelihood ratios"  # type: ignore[attr-defined]  # a message: said in the reader's language
    assert [v for v, _ in seen] == sorted(v for v, _ in seen)
    assert any(stage.startswith("part 1 of ") for _, stage in seen)
    assert result.message.id.startswith("too many joint assignments")  # type: ignore[attr-defined]
    # the bound counts every partial assignment the enumeration may build before giving up
    assert memory_bound(1000, 64) == VISITED_FACTOR * 1000 * 12 + 1000 * (8 + 16) * 3
    assert memory_bound(1000, 65) > memory_bound(1000, 64)
    exact = joint(problem)
    assert exact.method == "exact" and exact.message == ""


def test_victims_of_unknown_sex_when_allowed() -> None:
    """Remains whose sex could not be estimated may be any missing person (the app's events);
    elsewhere unknown sex stays an input problem."""
    victims, families, genotypes, table = simulate(2)
    unknown = [Victim(v.sample_id, 0) if k == 0 else v for k, v in enumerate(victims)]
    with pytest.raises(InputError, match="sex 0 is unknown"):
        DVIProblem.build(victims=unknown, families=families, genotypes=genotypes, freqs=table)
    problem = DVIProblem.build(victims=unknown, families=families, genotypes=genotypes, freqs=table,
                               allow_unknown_sex=True)
    first = unknown[0].sample_id
    assert set(problem.pairings[first]) == {*problem.missing_ids, NOBODY}
    truth = brute_force(problem)
    result = joint(problem, top=len(truth))
    assert result.method == "exact"
    assert result.loglik[0] == pytest.approx(max(truth.values()), abs=1e-9)


def test_bad_events_are_refused_with_reasons() -> None:
    victims, families, genotypes, table = simulate(0)
    families["F9"] = [Person("X", None, None, MALE, "F1-FA", False)]
    bad_victims = [*victims, Victim("V99", 0)]
    with pytest.raises(InputError) as info:
        DVIProblem.build(victims=bad_victims, families=families, genotypes=genotypes, freqs=table)
    text = str(info.value)
    assert "family F9: no missing person" in text
    assert "victim V99: sex 0 is unknown" in text
    assert "victim V99 has no genotypes" in text


def test_event_likelihood_decomposes() -> None:
    """loglik(assignment) = loglik0 + sum of the families' log LRs."""
    problem = build(3, mutation=True)
    lik = EventLikelihood(problem)
    truth = brute_force(problem)
    nobody = tuple(NOBODY for _ in problem.victim_ids)
    assert lik.loglik0 == pytest.approx(truth[nobody], abs=1e-9)


def test_stated_prior_and_independent_parts() -> None:
    """Posteriors with per-pairing prior weights equal the brute-force weights times the
    prior; the event splits into independent parts and the count of assignments is theirs."""
    problem = build(2, mutation=True)
    truth = {k: v for k, v in brute_force(problem).items() if v > -math.inf}
    victims = problem.victim_ids
    prior = {(v, NOBODY): math.log(0.3) for v in victims}
    prior |= {(v, m): math.log(0.7) for v in victims for m in problem.pairings[v] if m != NOBODY}
    result = joint(problem, prior=prior, tolerance=0.0)
    assert result.n_assignments == len(truth)
    weights = {k: v + sum(prior[(victims[i], c)] for i, c in enumerate(k))
               for k, v in truth.items()}  # fmt: skip
    top = max(weights.values())
    total = sum(math.exp(w - top) for w in weights.values())
    for k, p in zip(keyed(result), result.posterior(), strict=True):
        assert p == pytest.approx(math.exp(weights[k] - top) / total, abs=1e-12)
        assert keyed(result)[k] == pytest.approx(truth[k], abs=1e-9)  # loglik has no prior
