"""Text forms of LR results for CSV output (exchange format): exact, and explicit about
exclusions (-inf) and undefined values (empty)."""

from __future__ import annotations

import math

from labtrack.kinship.lr import CaseLR, LocusLR

CASE_COLUMNS = [
    "case_id",
    "log10_lr",
    "lr",
    "loci_used",
    "loci_lr_zero",
    "undefined_loci",
    "unseen_alleles",
]
LOCUS_COLUMNS = [
    "case_id",
    "marker",
    "lr",
    "log10_lr",
    "used",
    "unseen_alleles",
    "lik_h1",
    "lik_h2",
    "flag",
]
SEPARATOR = "|"


def format_number(value: float) -> str:
    """Shortest exact text of a float; '' for NaN (undefined), 'inf' / '-inf' spelled out."""
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(float(value))


def format_lr_from_log10(log10_lr: float) -> str:
    """The LR as text from its log10, without overflow (1e400 is written, not 'inf')."""
    if math.isnan(log10_lr):
        return ""
    if log10_lr == -math.inf:
        return "0"
    if log10_lr == math.inf:
        return "inf"
    if abs(log10_lr) < 300:
        return repr(10.0**log10_lr)
    exponent = math.floor(log10_lr)
    mantissa = 10.0 ** (log10_lr - exponent)
    return f"{mantissa!r}e{exponent:+d}"


def case_row(result: CaseLR) -> dict[str, str]:
    """One line of the LR output file."""
    return {
        "case_id": result.case_id,
        "log10_lr": format_number(result.log10_lr),
        "lr": format_lr_from_log10(result.log10_lr),
        "loci_used": str(result.loci_used),
        "loci_lr_zero": str(result.loci_lr_zero),
        "undefined_loci": SEPARATOR.join(result.undefined_loci),
        "unseen_alleles": SEPARATOR.join(result.unseen_alleles),
    }


def locus_rows(result: CaseLR) -> list[dict[str, str]]:
    """Lines of the per-locus file: every locus, then the skipped markers (flagged)."""
    rows = [_locus_row(result.case_id, locus) for locus in result.loci]
    for marker in result.skipped_markers:
        rows.append(
            {
                "case_id": result.case_id,
                "marker": marker,
                "lr": "1.0",
                "log10_lr": "0.0",
                "used": "0",
                "unseen_alleles": "",
                "lik_h1": "",
                "lik_h2": "",
                "flag": "not_in_frequency_table",
            }
        )
    return rows


def _locus_row(case_id: str, locus: LocusLR) -> dict[str, str]:
    return {
        "case_id": case_id,
        "marker": locus.marker,
        "lr": format_number(locus.lr),
        "log10_lr": format_number(locus.log10_lr),
        "used": "1" if locus.used else "0",
        "unseen_alleles": SEPARATOR.join(locus.unseen_alleles),
        "lik_h1": format_number(locus.lik_h1),
        "lik_h2": format_number(locus.lik_h2),
        "flag": locus.flag,
    }
