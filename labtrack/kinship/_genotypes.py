"""Enumeration of unordered genotypes in `genotype_index` order."""

from __future__ import annotations

import numpy as np


def genotype_alleles(n_alleles: int) -> tuple[np.ndarray, np.ndarray]:
    """Allele indices (i, j), i <= j, of every genotype in `genotype_index` order
    ((0,0), (0,1), (1,1), (0,2), ...); each int array of shape (n_alleles (n_alleles+1) / 2,)."""
    j = np.repeat(np.arange(n_alleles), np.arange(1, n_alleles + 1))
    i = np.concatenate([np.arange(k + 1) for k in range(n_alleles)]) if n_alleles else j
    return i, j
