"""Sex-specific mutation and allelic drop-out/drop-in against brute-force enumeration of every
ordered genotype of every person (three alleles), on shapes with half-siblings, grandparents and
a loop: the father's matrix acts on paternal alleles, the mother's on maternal ones, and the
unknown's genotype is summed over with P(what was seen | genotype) written out allele by
allele."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from labtrack.kinship import Pedigree, Person, equal_matrix, pedigree_likelihood, stepwise_matrix
from labtrack.kinship.dropout import DropModel
from labtrack.kinship.freqs import MarkerFrequencies
from labtrack.kinship.lr import locus_lr
from labtrack.kinship.mutation import MutationModel, Transmission

P = Person
SHAPES = [
    Pedigree.build("half", [P("F", sex=1), P("M1", sex=2), P("M2", sex=2),
                            P("A", "F", "M1"), P("MP", "F", "M2", missing=True)]),
    Pedigree.build("grand", [P("G", sex=1), P("W", sex=2), P("C", "G", "W", 2),
                             P("H", sex=1), P("MP", "H", "C", missing=True)]),
    Pedigree.build("loop", [P("F", sex=1), P("M", sex=2), P("A", "F", "M", 1),
                            P("B", "F", "M", 2), P("MP", "A", "B", missing=True)]),
]
ALLELES = ("10", "11", "12")
FREQS = np.array([0.2, 0.3, 0.5])


def joint(pedigree: Pedigree, typed: dict, female: np.ndarray, male: np.ndarray, weight_of=None) -> float:
    """Sum over every ordered genotype of everyone; `weight_of(person, (pat, mat))` replaces the
    typed-or-not indicator for persons it knows (the unknown's observation)."""
    persons = pedigree.persons
    index = {p.person_id: k for k, p in enumerate(persons)}
    total = 0.0
    for genotypes in itertools.product(itertools.product(range(3), repeat=2), repeat=len(persons)):
        prob = 1.0
        for k, person in enumerate(persons):
            pat, mat = genotypes[k]
            if weight_of is not None and person.person_id in weight_of:
                prob *= weight_of[person.person_id](pat, mat)
            elif person.person_id in typed and sorted(typed[person.person_id]) != sorted((pat, mat)):
                prob = 0.0
            if prob == 0.0:
                break
            if person.is_founder:
                prob *= FREQS[pat] * FREQS[mat]
            else:
                f, mo = genotypes[index[person.father_id]], genotypes[index[person.mother_id]]
                prob *= 0.5 * (male[f[0], pat] + male[f[1], pat]) * 0.5 * (female[mo[0], mat] + female[mo[1], mat])
        total += prob
    return total


def seen_probability(seen: set[int], genotype: tuple[int, int], d: float, d_hom: float, c: float) -> float:
    """P(exactly `seen` | genotype), allele by allele (Haned et al. 2012 as relMix computes it)."""
    prob = 1.0
    for allele in range(3):
        copies = genotype.count(allele)
        dropout = {0: 1.0, 1: d, 2: d_hom}[copies]
        hidden = (1 - c * FREQS[allele]) * dropout
        prob *= (1 - hidden) if allele in seen else hidden
    return prob


@pytest.mark.parametrize("pedigree", SHAPES, ids=lambda p: p.family_id)
def test_female_and_male_matrices_act_on_their_own_transmissions(pedigree: Pedigree) -> None:
    female = equal_matrix(3, 0.02)
    male = stepwise_matrix(list(ALLELES), 0.2, 0.01, 0.5)
    rng = np.random.default_rng(3)
    for _ in range(4):
        ids = pedigree.person_ids
        chosen = rng.choice(len(ids), size=3, replace=False)
        typed = {ids[k]: tuple(int(a) for a in rng.integers(0, 3, size=2)) for k in chosen}
        expected = joint(pedigree, typed, female, male)
        got = pedigree_likelihood(pedigree, typed, FREQS, mutation=Transmission(female, male))
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-300)
        swapped = joint(pedigree, typed, male, female)
        if not np.isclose(expected, swapped, rtol=1e-9):
            assert not np.isclose(got, swapped, rtol=1e-9)  # the sexes are not interchangeable


def test_a_sex_specific_model_gives_its_rates_to_the_right_parent() -> None:
    model = MutationModel("equal", 0.0, female_rate=0.001, male_rate=0.004)
    pair = model.transmission("D3S1358", ALLELES, FREQS)
    assert pair is not None
    assert pair.female[0, 0] == pytest.approx(0.999) and pair.male[0, 0] == pytest.approx(0.996)
    assert MutationModel("equal", 0.0).transmission("D3S1358", ALLELES, FREQS) is None
    with pytest.raises(ValueError, match="male rate"):
        MutationModel("equal", 0.0, male_rate=1.2)


@pytest.mark.parametrize("pedigree", SHAPES, ids=lambda p: p.family_id)
@pytest.mark.parametrize(("d", "d_hom", "c"), [(0.1, 0.01, 0.0), (0.3, 0.05, 0.05), (0.0, 0.0, 0.1)])
@pytest.mark.parametrize("seen", [("11",), ("10", "12"), ("12",)])
def test_drop_out_and_drop_in_equal_brute_force(
    pedigree: Pedigree, d: float, d_hom: float, c: float, seen: tuple[str, ...]
) -> None:
    female = equal_matrix(3, 0.01)
    male = equal_matrix(3, 0.03)
    relatives = {pid: ("10", "11") for pid in pedigree.person_ids if pid in ("A", "C", "F")}
    relatives_index = {pid: (0, 1) for pid in relatives}
    seen_index = {ALLELES.index(a) for a in seen}

    def observed(pat: int, mat: int) -> float:
        return seen_probability(seen_index, (pat, mat), d, d_hom, c)

    h1 = joint(pedigree, relatives_index, female, male, {"MP": observed})
    references = joint(pedigree, relatives_index, female, male, {"MP": lambda pat, mat: 1.0})
    unrelated = sum(FREQS[x] * FREQS[y] * observed(x, y) for x in range(3) for y in range(3))
    freqs = MarkerFrequencies("TEST", ALLELES, FREQS)
    mutation = MutationModel("equal", 0.0, female_rate=0.01, male_rate=0.03)
    got = locus_lr(pedigree, relatives, seen, freqs, mutation=mutation, drop=DropModel(d, c, d_hom))
    assert got.lik_h1 == pytest.approx(h1, rel=1e-12)
    assert got.lik_h2 == pytest.approx(references * unrelated, rel=1e-12)
    assert got.drop_model and got.one_seen == (len(seen) == 1)


def test_a_homozygote_call_is_taken_as_typed_under_a_drop_model() -> None:
    pedigree = SHAPES[0]
    freqs = MarkerFrequencies("TEST", ALLELES, FREQS)
    relatives = {"A": ("10", "11")}
    called = locus_lr(pedigree, relatives, ("11", "11"), freqs, drop=DropModel(0.2))
    plain = locus_lr(pedigree, relatives, ("11", "11"), freqs)
    assert called.lr == pytest.approx(plain.lr, rel=1e-12)
    one_seen = locus_lr(pedigree, relatives, ("11",), freqs, drop=DropModel(0.2))
    assert one_seen.lr != pytest.approx(plain.lr, rel=1e-6)
    # without a model one allele seen is read as the homozygote
    assert locus_lr(pedigree, relatives, ("11",), freqs).lr == pytest.approx(plain.lr, rel=1e-12)
