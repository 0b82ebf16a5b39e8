"""CSV rows of a DVI analysis (`labtrack kinship dvi`): pairwise LRs, ranked joint
assignments, posterior pairing probabilities and conclusions. Numbers are exact (`repr`),
`-inf` for exclusions and empty for undefined values."""

from __future__ import annotations

import math

import numpy as np

from labtrack.kinship.dvi.conclusions import Conclusion
from labtrack.kinship.dvi.joint import JointResult
from labtrack.kinship.dvi.problem import NOBODY, DVIProblem

PAIRWISE_COLUMNS = ["victim", "missing_person_id", "family_id", "log10_lr"]
CONCLUSION_COLUMNS = [
    "side", "family_id", "missing_person_id", "victim", "lr", "glr", "conclusion", "comment",
]  # fmt: skip


def number(value: float) -> str:
    """Exact text of a float; '' for NaN, 'inf'/'-inf' spelled out."""
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(float(value))


def pairwise_rows(problem: DVIProblem, log_lr: np.ndarray) -> list[dict[str, str]]:
    """One row per allowed (victim, missing person) pairing, log10 LR."""
    rows = []
    for i, v in enumerate(problem.victim_ids):
        for j, m in enumerate(problem.missing_ids):
            if np.isnan(log_lr[i, j]):
                continue
            rows.append({"victim": v, "missing_person_id": m,
                         "family_id": problem.family_of(m).family_id,
                         "log10_lr": number(log_lr[i, j] / math.log(10))})  # fmt: skip
    return rows


def joint_columns(result: JointResult) -> list[str]:
    return ["rank", *result.victims, "loglik", "log10_lr_vs_best", "log10_lr_vs_null",
            "posterior"]  # fmt: skip


def joint_rows(result: JointResult, top: int) -> list[dict[str, str]]:
    """The `top` best assignments: rank, per victim its missing person or `*`, loglik
    (natural log), log10 LR against the best and against nobody identified, posterior."""
    post = result.posterior()
    vs_best, vs_null = result.log10_lr_vs_best(), result.log10_lr_vs_null()
    rows = []
    for k in range(min(top, len(result.loglik))):
        row = {"rank": str(k + 1)}
        for v, j in zip(result.victims, result.assignments[k], strict=True):
            row[v] = result.missing[j] if j >= 0 else NOBODY
        row.update(loglik=number(result.loglik[k]), log10_lr_vs_best=number(vs_best[k]),
                   log10_lr_vs_null=number(vs_null[k]), posterior=number(post[k]))  # fmt: skip
        rows.append(row)
    return rows


def marginal_columns(result: JointResult) -> list[str]:
    return ["victim", *result.missing, NOBODY]


def marginal_rows(result: JointResult) -> list[dict[str, str]]:
    """Posterior pairing probabilities per victim (each missing person, and `*`)."""
    table = result.marginals()
    cols = [*result.missing, NOBODY]
    return [
        {"victim": v, **{c: number(table[i, k]) for k, c in enumerate(cols)}}
        for i, v in enumerate(result.victims)
    ]


def conclusion_rows(conclusions: list[Conclusion]) -> list[dict[str, str]]:
    return [
        {"side": c.side, "family_id": c.family_id, "missing_person_id": c.missing,
         "victim": c.victim, "lr": number(c.lr), "glr": number(c.glr),
         "conclusion": c.conclusion, "comment": c.comment}  # fmt: skip
        for c in conclusions
    ]
