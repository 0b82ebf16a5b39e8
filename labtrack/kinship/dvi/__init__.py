"""Joint disaster-victim identification (closed events), pure core.

- `DVIProblem` (problem.py): victims, families with one or more missing persons, pairings,
  per-marker frequencies and mutation matrices; checked on construction.
- `EventLikelihood` (likelihood.py): per-family likelihoods through the pedigree engine.
- `joint`, `pairwise_log_lr`, `sequential` (joint.py): pruning of impossible pairings, per-family
  options, enumeration with branch and bound, posteriors and pairing probabilities; the
  sequential route when exact enumeration is too large.
- `solve` (conclusions.py): conclusions in dvir's classes with stated thresholds.
- `report` (report.py): the CSV rows of `labtrack kinship dvi`.
"""

from labtrack.kinship.dvi.conclusions import MAX_INCOMP, THRESHOLD, THRESHOLD2, Conclusion, solve
from labtrack.kinship.dvi.joint import (
    DEFAULT_MAX_STATES,
    DEFAULT_TOLERANCE,
    FamilyOptions,
    JointResult,
    family_options,
    joint,
    pairwise_log_lr,
    sequential,
)
from labtrack.kinship.dvi.likelihood import EventLikelihood
from labtrack.kinship.dvi.problem import (
    NOBODY,
    DVIFamily,
    DVIProblem,
    MarkerModel,
    MutationSpec,
    Victim,
)

__all__ = [
    "DEFAULT_MAX_STATES",
    "DEFAULT_TOLERANCE",
    "MAX_INCOMP",
    "NOBODY",
    "THRESHOLD",
    "THRESHOLD2",
    "Conclusion",
    "DVIFamily",
    "DVIProblem",
    "EventLikelihood",
    "FamilyOptions",
    "JointResult",
    "MarkerModel",
    "MutationSpec",
    "Victim",
    "family_options",
    "joint",
    "pairwise_log_lr",
    "sequential",
    "solve",
]
