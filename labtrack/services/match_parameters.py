"""Everything a match run computes with, in one place.

``MatchParameters`` is stored as JSON on each run (``MatchRun.params_json``) and copied into
each candidate's snapshot; ``engine_kwargs()`` is what is passed, by keyword, to the kinship
engine. A new model setting (mutation model and rates, drop-out and drop-in probabilities) is
one new field here, with its check in ``problems()``: nothing else needs to change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from labtrack.core.errors import ProblemList
from labtrack.core.messages import Message, msg
from labtrack.imports.mutation_rates import MutationRates
from labtrack.kinship.dropout import DropModel
from labtrack.kinship.mutation import MODELS, MutationModel
from labtrack.services.mutation_rate_tables import NO_TABLE, load_table, table_names

#: Mutation model choices of a run ("none": no mutation).
MUTATION_MODELS = ("none", *MODELS)
#: The keys a run stored before mutation and drop models existed: such a run used none.
_BEFORE_MODELS = {"mutation_model": "none", "dropout": 0.0, "dropin": 0.0, "near_k": 0}


@dataclass(frozen=True)
class MatchParameters:
    """theta: Fst (Balding–Nichols); top_k: candidates kept per remains; report_log10_lr: the
    reporting threshold; prior: prior probability that a remains is a given family's missing
    person (None: 1 / number of families searched, i.e. "one of the families, all alike").

    Real bone (issue: no true relative silently excluded): mutation_model / mutation_rate (per
    meiosis; mutation_rate_female / _male replace it for that sex), stepwise mutation_rate2 and
    mutation_range; mutation_rate_table: a shipped per-marker table (``fixtures/mutation_rates``,
    by name; its maternal and paternal rates replace the rates above at its markers, the others
    keep mutation_rate) or "none"; dropout / dropin of the remains profiles (one allele seen may be a
    heterozygote whose other allele dropped out); near_k: families per remains excluded by one
    or two loci only, kept as near misses for an analyst. The defaults are the lab's (on), see
    `lab_default`; runs stored before these existed read as "no models"."""

    theta: float = 0.0
    top_k: int = 5
    report_log10_lr: float = 3.0
    prior: float | None = None
    mutation_model: str = "stepwise"
    mutation_rate: float = 0.002
    mutation_rate_female: float | None = None
    mutation_rate_male: float | None = None
    mutation_rate2: float = 1e-6
    mutation_range: float = 0.1
    mutation_rate_table: str = NO_TABLE
    dropout: float = 0.05
    dropin: float = 0.0
    near_k: int = 3

    @classmethod
    def lab_default(cls, config: Mapping[str, Any], **chosen: Any) -> MatchParameters:
        """The lab's defaults (LABTRACK_MUTATION_MODEL, _MUTATION_RATE, _DROPOUT, _DROPIN; see
        config.py), overridden by what a run chose (None values are ignored)."""
        base = {
            "mutation_model": config.get("MUTATION_MODEL", cls.mutation_model),
            "mutation_rate": config.get("MUTATION_RATE", cls.mutation_rate),
            "dropout": config.get("DROPOUT", cls.dropout),
            "dropin": config.get("DROPIN", cls.dropin),
        }
        base.update({k: v for k, v in chosen.items() if v is not None})
        return cls(**base)

    def mutation(self, table: MutationRates | None = None) -> MutationModel | None:
        """The mutation model of the run (None: no mutation). ``table``: the per-marker rates to use
        instead of reading the shipped table the run names (a snapshot's numbers)."""
        if self.mutation_model == "none":
            return None
        if self.mutation_rate_table != NO_TABLE:
            try:
                table = table or load_table(self.mutation_rate_table)
            except KeyError:
                raise ValueError(f"no mutation-rate table {self.mutation_rate_table!r}") from None
            return MutationModel(self.mutation_model, table.female, self.mutation_rate2, self.mutation_range,
                                 default_rate=self.mutation_rate, female_rate=table.female, male_rate=table.male)
        return MutationModel(self.mutation_model, self.mutation_rate, self.mutation_rate2, self.mutation_range,
                             female_rate=self.mutation_rate_female, male_rate=self.mutation_rate_male)

    def drop(self) -> DropModel | None:
        """The drop-out/drop-in model of the remains (None: one allele seen read as a homozygote)."""
        model = DropModel(self.dropout, self.dropin)
        return model if model.is_active else None

    def describe(self) -> Message:
        """One line for pages and reports (English as text; the web shows it in the reader's language)."""
        drop = self.drop()
        if self.mutation_model == "none":
            mutation_text = msg("no mutation model")
        elif self.mutation_rate_table != NO_TABLE:
            mutation_text = msg("mutation: %(model)s, rates per marker from the table %(table)s (other markers "
                                "%(rate)s), rate2 %(rate2)s, range %(range)s", model=self.mutation_model,
                                table=self.mutation_rate_table, rate=format(self.mutation_rate, "g"),
                                rate2=format(self.mutation_rate2, "g"), range=format(self.mutation_range, "g"))
        else:
            mutation_text = msg("mutation: %(model)s", model=self.mutation().describe())  # type: ignore[union-attr]
        return msg("%(mutation)s; %(drop)s", mutation=mutation_text,
                   drop=msg("drop-out %(dropout)s (homozygote %(hom)s), drop-in %(dropin)s",
                            dropout=format(drop.dropout, "g"), hom=format(drop.hom, "g"),
                            dropin=format(drop.dropin, "g")) if drop else msg("no drop-out model"))

    def problems(self) -> ProblemList:
        found = ProblemList()
        if not 0.0 <= self.theta < 0.5:
            found.add(msg("theta must be between 0 and 0.5"), field="theta")
        if not 1 <= self.top_k <= 100:
            found.add(msg("top-k must be between 1 and 100"), field="top_k")
        if self.report_log10_lr < 0:
            found.add(msg("the reporting threshold must be an LR of at least 1 (log10 ≥ 0)"), field="report_log10_lr")
        if self.prior is not None and not 0.0 < self.prior < 1.0:
            found.add(msg("the prior of identity must be above 0 and below 1"), field="prior")
        if self.mutation_model not in MUTATION_MODELS:
            found.add(msg("unknown mutation model %(model)s; expected one of %(models)s",
                          model=repr(self.mutation_model), models=", ".join(MUTATION_MODELS)), field="mutation_model")
        for name in ("mutation_rate", "mutation_rate_female", "mutation_rate_male", "mutation_rate2",
                     "mutation_range", "dropout", "dropin"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value < 1.0:
                found.add(msg("%(name)s must be at least 0 and below 1", name=name.replace("_", " ")), field=name)
        if self.mutation_rate_table != NO_TABLE and self.mutation_rate_table not in table_names():
            found.add(msg("unknown mutation-rate table %(table)s; expected none or one of %(tables)s",
                          table=repr(self.mutation_rate_table), tables=", ".join(table_names())),
                      field="mutation_rate_table")
        if not 0 <= self.near_k <= 20:
            found.add(msg("near misses kept per remains must be between 0 and 20"), field="near_k")
        return found

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> MatchParameters:
        """Read stored parameters; keys this version does not know (e.g. ``dask`` of older runs)
        are left out."""
        value = json.loads(text or "{}")
        known = {f.name for f in fields(cls)}
        if value and "mutation_model" not in value:
            value = _BEFORE_MODELS | value
        return cls(**{k: v for k, v in value.items() if k in known})

    def engine_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``labtrack.kinship.candidates.find_candidates``."""
        return {"theta": self.theta, "top_k": self.top_k, "report_log10_lr": self.report_log10_lr,
                "prior": self.prior, "mutation": self.mutation(), "drop": self.drop(), "near_k": self.near_k}
