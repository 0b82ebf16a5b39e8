"""The peeling engine against brute-force enumeration of every ordered genotype of every
person (tiny allele set), with and without mutation, on pedigree shapes with loops too."""

import itertools

import numpy as np
import pytest

from labtrack.kinship import Pedigree, Person, equal_matrix, pedigree_likelihood, stepwise_matrix

P = Person
SHAPES = [
    Pedigree.build("half", [P("F", sex=1), P("M1", sex=2), P("M2", sex=2),
                            P("A", "F", "M1"), P("MP", "F", "M2", missing=True)]),
    Pedigree.build("grand", [P("G", sex=1), P("W", sex=2), P("C", "G", "W", 2),
                             P("H", sex=1), P("MP", "H", "C", missing=True)]),
    # double first cousins' style loop: two siblings married to two siblings
    Pedigree.build("loop", [P("F", sex=1), P("M", sex=2), P("A", "F", "M", 1),
                            P("B", "F", "M", 2), P("MP", "A", "B", missing=True)]),
]


def balding_nichols(alleles: list[int], freqs: np.ndarray, theta: float) -> float:
    """Sequential Balding–Nichols probability of a list of founder alleles."""
    prob = 1.0
    for k, a in enumerate(alleles):
        seen = alleles[:k].count(a)
        prob *= (seen * theta + (1 - theta) * freqs[a]) / (1 + (k - 1) * theta)
    return prob


def brute_force(
    pedigree: Pedigree, typed: dict, freqs: np.ndarray, m: np.ndarray, theta: float = 0.0
) -> float:
    n = len(freqs)
    persons = pedigree.persons
    index = {p.person_id: k for k, p in enumerate(persons)}
    total = 0.0
    for genotypes in itertools.product(itertools.product(range(n), repeat=2), repeat=len(persons)):
        prob = 1.0
        founder_alleles: list[int] = []
        for k, person in enumerate(persons):
            pat, mat = genotypes[k]
            if person.person_id in typed and sorted(typed[person.person_id]) != sorted((pat, mat)):
                prob = 0.0
                break
            if person.is_founder:
                founder_alleles += [pat, mat]
            else:
                f = genotypes[index[person.father_id]]
                mo = genotypes[index[person.mother_id]]
                prob *= 0.5 * (m[f[0], pat] + m[f[1], pat]) * 0.5 * (m[mo[0], mat] + m[mo[1], mat])
        if prob:
            total += prob * balding_nichols(founder_alleles, freqs, theta)
    return total


def _mutation(model: str) -> np.ndarray | None:
    """The transmission matrix of a model over the three alleles 10, 11, 11.2 (None: no mutation)."""
    return {
        "none": None,
        "equal": equal_matrix(3, 0.05),
        "stepwise": stepwise_matrix(["10", "11", "11.2"], 0.05, 0.01, 0.5),
    }[model]


def _random_typed(rng: np.random.Generator, pedigree: Pedigree) -> dict[str, tuple[int, int]]:
    """Three persons of the pedigree typed with random genotypes over three alleles."""
    ids = pedigree.person_ids
    chosen = rng.choice(len(ids), size=3, replace=False)
    return {ids[k]: tuple(int(a) for a in rng.integers(0, 3, size=2)) for k in chosen}


@pytest.mark.parametrize("pedigree", SHAPES, ids=lambda p: p.family_id)
@pytest.mark.parametrize("model", ["none", "equal", "stepwise"])
def test_peeling_equals_brute_force(pedigree: Pedigree, model: str) -> None:
    rng = np.random.default_rng(7)
    freqs = np.array([0.2, 0.3, 0.5])
    matrix = _mutation(model)
    for _ in range(4):
        typed = _random_typed(rng, pedigree)
        expected = brute_force(pedigree, typed, freqs, np.eye(3) if matrix is None else matrix)
        got = pedigree_likelihood(pedigree, typed, freqs, mutation=matrix)
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("pedigree", SHAPES, ids=lambda p: p.family_id)
@pytest.mark.parametrize("model", ["none", "equal", "stepwise"])
def test_theta_with_and_without_mutation_equals_brute_force(pedigree: Pedigree, model: str) -> None:
    """theta alone (inheritance vectors) and theta with mutation (founder-allele partitions)."""
    rng = np.random.default_rng(11)
    freqs = np.array([0.2, 0.3, 0.5])
    theta = 0.05
    matrix = _mutation(model)
    for _ in range(3):
        typed = _random_typed(rng, pedigree)
        m = np.eye(3) if matrix is None else matrix
        expected = brute_force(pedigree, typed, freqs, m, theta)
        got = pedigree_likelihood(pedigree, typed, freqs, theta=theta, mutation=matrix)
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-300)
