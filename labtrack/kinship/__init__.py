"""Exact kinship likelihood engine (pure core: NumPy, pandas, stdlib only).

Public API: frequency tables, pedigrees, mutation models, single-locus pedigree likelihoods,
case likelihood ratios and posteriors, direct (identity) matching, and LR tables over all
genotypes of the missing person for the blind search.
"""

from labtrack.kinship.freqs import (
    FrequencyTable,
    MarkerFrequencies,
    MarkerTable,
    marker_frequencies,
)
from labtrack.kinship.markers import canonical_marker, marker_key
from labtrack.kinship.pedigree import FEMALE, MALE, UNKNOWN_SEX, Pedigree, Person
from labtrack.kinship.problems import InputError, InputProblem

__all__ = [
    "FEMALE",
    "MALE",
    "UNKNOWN_SEX",
    "FrequencyTable",
    "InputError",
    "InputProblem",
    "MarkerFrequencies",
    "MarkerTable",
    "Pedigree",
    "Person",
    "canonical_marker",
    "marker_frequencies",
    "marker_key",
]
