"""Everything a match run computes with, in one place.

``MatchParameters`` is stored as JSON on each run (``MatchRun.params_json``) and copied into
each candidate's snapshot; ``engine_kwargs()`` is what is passed, by keyword, to the kinship
engine. A new model setting (mutation model and rates, drop-out and drop-in probabilities) is
one new field here, with its check in ``problems()``: nothing else needs to change.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from labtrack.core.errors import ProblemList


@dataclass(frozen=True)
class MatchParameters:
    """theta: Fst (Balding–Nichols); top_k: candidates kept per remains; report_log10_lr: the
    reporting threshold; prior: prior probability that a remains is a given family's missing
    person (None: 1 / number of families searched, i.e. "one of the families, all alike")."""

    theta: float = 0.0
    top_k: int = 5
    report_log10_lr: float = 3.0
    prior: float | None = None

    def problems(self) -> ProblemList:
        found = ProblemList()
        if not 0.0 <= self.theta < 0.5:
            found.add("theta must be between 0 and 0.5", field="theta")
        if not 1 <= self.top_k <= 100:
            found.add("top-k must be between 1 and 100", field="top_k")
        if self.report_log10_lr < 0:
            found.add("the reporting threshold must be an LR of at least 1 (log10 ≥ 0)", field="report_log10_lr")
        if self.prior is not None and not 0.0 < self.prior < 1.0:
            found.add("the prior of identity must be above 0 and below 1", field="prior")
        return found

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> MatchParameters:
        """Read stored parameters; keys this version does not know (e.g. ``dask`` of older runs)
        are left out."""
        value = json.loads(text or "{}")
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in value.items() if k in known})

    def engine_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``labtrack.kinship.candidates.find_candidates``."""
        return {"theta": self.theta, "top_k": self.top_k, "report_log10_lr": self.report_log10_lr,
                "prior": self.prior}
