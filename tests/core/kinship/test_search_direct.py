"""Remains-to-remains direct matches equal an all-pairs brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from labtrack.kinship.reassociation import direct_matches, genotype_log10_probabilities


def brute(g, weights, min_overlap, max_mismatches):
    out = {}
    for a, b in itertools.combinations(range(g.shape[0]), 2):
        typed = (g[a] >= 0) & (g[b] >= 0)
        mism = typed & (g[a] != g[b])
        if typed.sum() >= min_overlap and mism.sum() <= max_mismatches:
            lr = sum(-weights[k][g[a, k]] for k in range(g.shape[1]) if typed[k] and not mism[k])
            out[(a, b)] = (lr, int(typed.sum()), tuple(np.flatnonzero(mism)))
    return out


@pytest.mark.parametrize(("min_overlap", "max_mismatches"), [(6, 0), (5, 1), (4, 2)])
def test_direct_matches_equal_brute_force(min_overlap, max_mismatches):
    rng = np.random.default_rng(3)
    n_loci, sizes = 8, [3, 3, 6, 3, 10, 3, 3, 6]
    base = np.stack([rng.integers(0, s, 30) for s in sizes], axis=1)
    g = np.concatenate([base, base[:15], base[:10]])  # duplicates and triplicates
    noise = rng.random(g.shape)
    g[noise < 0.1] = -1  # partial profiles
    flip = noise > 0.95  # typing differences
    g[flip] = (g[flip] + 1) % 3
    freqs = [rng.dirichlet(np.ones(n)) for n in (2, 2, 3, 2, 4, 2, 2, 3)]
    weights = [genotype_log10_probabilities(f) for f in freqs]
    got = direct_matches(
        g, weights, min_overlap=min_overlap, max_mismatches=max_mismatches, key_loci=1
    )
    want = brute(g, weights, min_overlap, max_mismatches)
    pairs = list(zip(got.first.tolist(), got.second.tolist(), strict=True))
    assert pairs == sorted(want)
    for i, pair in enumerate(pairs):
        lr, overlap, mism = want[pair]
        assert got.log10_lr[i] == pytest.approx(lr)
        assert got.overlap[i] == overlap
        assert tuple(np.flatnonzero(got.mismatched[i])) == mism
    assert n_loci == g.shape[1]


def test_wider_keys_find_the_near_complete_duplicates():
    rng = np.random.default_rng(4)
    sizes = [50] * 20
    base = np.stack([rng.integers(0, s, 400) for s in sizes], axis=1)
    g = np.concatenate([base, base[:40]])
    g[400:410, :3] = -1  # duplicates with some loci lost
    weights = [np.full(50, -2.0)] * 20
    got = direct_matches(g, weights, min_overlap=12, key_loci=3)
    pairs = set(zip(got.first.tolist(), got.second.tolist(), strict=True))
    assert pairs == {(i, 400 + i) for i in range(40)}
    assert got.log10_lr[:10].tolist() == [34.0] * 10
    assert got.log10_lr[10:].tolist() == [40.0] * 30


def test_genotype_probabilities():
    p = genotype_log10_probabilities(np.array([0.2, 0.8]))
    np.testing.assert_allclose(10**p, [0.04, 0.32, 0.64])


def _brute_with_dropout(g, seen, sizes, weights, min_overlap, max_mismatches):  # noqa: ANN001, ANN202
    """All pairs, from the alleles: a locus agrees if the genotypes are equal, or if one profile
    shows one allele that the other carries (or both show one allele)."""
    from labtrack.kinship._genotypes import genotype_alleles

    out = {}
    for a, b in itertools.combinations(range(g.shape[0]), 2):
        typed = (g[a] >= 0) & (g[b] >= 0)
        mism, drop = [], []
        lr = 0.0
        for k in np.flatnonzero(typed):
            i, j = genotype_alleles(sizes[k])
            ga, gb = {int(i[g[a, k]]), int(j[g[a, k]])}, {int(i[g[b, k]]), int(j[g[b, k]])}
            if seen[a, k] or seen[b, k]:
                agree = (seen[a, k] and seen[b, k]) or (seen[a, k] and ga <= gb) or (seen[b, k] and gb <= ga)
                (drop if agree else mism).append(k)
            elif g[a, k] != g[b, k]:
                mism.append(k)
            else:
                lr -= weights[k][g[a, k]]
        if typed.sum() >= min_overlap and len(mism) <= max_mismatches:
            out[(a, b)] = (lr, tuple(mism), tuple(drop))
    return out


@pytest.mark.parametrize("max_mismatches", [0, 1])
def test_a_dropped_allele_is_not_a_mismatch(max_mismatches):
    """Body parts of one person, one typed from poor bone (one allele seen at some loci), still
    match; the drop-out loci are named and add nothing to the LR; the result equals brute force."""
    rng = np.random.default_rng(11)
    n = [3, 4, 3, 5, 3, 4, 3, 3]  # alleles per locus
    genotypes = np.stack([rng.integers(0, s * (s + 1) // 2, 25) for s in n], axis=1)
    from labtrack.kinship._genotypes import genotype_alleles
    from labtrack.kinship.tables import genotype_index

    copies = genotypes[:12].copy()
    seen = np.zeros((37, len(n)), dtype=bool)
    for r in range(12):  # the second typing of the first 12 shows one allele at 2 loci
        for k in rng.choice(len(n), 2, replace=False):
            i, j = genotype_alleles(n[k])
            kept = int(rng.choice([i[copies[r, k]], j[copies[r, k]]]))
            copies[r, k] = genotype_index(kept, kept)
            seen[25 + r, k] = True
    g = np.concatenate([genotypes, copies])
    weights = [genotype_log10_probabilities(rng.dirichlet(np.ones(s))) for s in n]
    got = direct_matches(g, weights, min_overlap=6, max_mismatches=max_mismatches, key_loci=1, one_seen=seen)
    want = _brute_with_dropout(g, seen, n, weights, 6, max_mismatches)
    pairs = list(zip(got.first.tolist(), got.second.tolist(), strict=True))
    assert sorted(pairs) == sorted(want)
    for k, pair in enumerate(pairs):
        lr, mism, drop = want[pair]
        assert got.log10_lr[k] == pytest.approx(lr)
        assert tuple(np.flatnonzero(got.mismatched[k])) == mism
        assert tuple(np.flatnonzero(got.dropout[k])) == drop
    for r in range(12):  # every re-typed body part is found with its original
        assert (r, 25 + r) in pairs
    without = direct_matches(g, weights, min_overlap=6, max_mismatches=0, key_loci=1)
    assert all((r, 25 + r) not in zip(without.first.tolist(), without.second.tolist(), strict=True)
               for r in range(12) if seen[25 + r].any() and (g[r] != g[25 + r]).any())
