"""Exact kinship likelihood engine (pure core: NumPy, pandas, stdlib only).

Public API: frequency tables with the unseen-allele rule, pedigrees, mutation models,
single-locus pedigree likelihoods, case likelihood ratios and posteriors, direct (identity)
matching, and LR tables over every genotype of the missing person for the blind search.
"""

from labtrack.core.errors import InputError, InputProblem
from labtrack.kinship.direct import DirectMatch, direct_match, match_probability
from labtrack.kinship.freqs import (
    FrequencyTable,
    MarkerFrequencies,
    MarkerTable,
    marker_frequencies,
)
from labtrack.kinship.likelihood import pedigree_likelihood
from labtrack.kinship.lr import CaseLR, LocusLR, case_lr, locus_lr
from labtrack.kinship.markers import canonical_marker, marker_key
from labtrack.kinship.mutation import (
    MutationModel,
    equal_matrix,
    proportional_matrix,
    stepwise_matrix,
)
from labtrack.kinship.pedigree import FEMALE, MALE, UNKNOWN_SEX, Pedigree, Person
from labtrack.kinship.posterior import (
    IDENTIFICATION_THRESHOLD,
    is_identified,
    posterior,
    posterior_from_log10,
    search_prior,
)
from labtrack.kinship.reassociation import DirectMatches, direct_matches
from labtrack.kinship.search import SearchResult, SearchTables, query, score_pairs, search
from labtrack.kinship.search_tables import PreparedSearch, build_search_tables, prepare_search
from labtrack.kinship.simulate import SimulatedData, simulate
from labtrack.kinship.tables import (
    genotype_alleles,
    genotype_index,
    mp_lr_table,
    mp_lr_tables,
    n_genotypes,
    unrelated_genotype_probabilities,
)

__all__ = [
    "DirectMatches",
    "PreparedSearch",
    "SearchResult",
    "SearchTables",
    "SimulatedData",
    "build_search_tables",
    "direct_matches",
    "prepare_search",
    "query",
    "score_pairs",
    "search",
    "simulate",
    "FEMALE",
    "IDENTIFICATION_THRESHOLD",
    "MALE",
    "UNKNOWN_SEX",
    "CaseLR",
    "DirectMatch",
    "FrequencyTable",
    "InputError",
    "InputProblem",
    "LocusLR",
    "MarkerFrequencies",
    "MarkerTable",
    "MutationModel",
    "Pedigree",
    "Person",
    "canonical_marker",
    "case_lr",
    "direct_match",
    "equal_matrix",
    "genotype_alleles",
    "genotype_index",
    "is_identified",
    "locus_lr",
    "marker_frequencies",
    "marker_key",
    "match_probability",
    "mp_lr_table",
    "mp_lr_tables",
    "n_genotypes",
    "pedigree_likelihood",
    "posterior",
    "posterior_from_log10",
    "proportional_matrix",
    "search_prior",
    "stepwise_matrix",
    "unrelated_genotype_probabilities",
]
