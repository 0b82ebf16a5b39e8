"""Posterior probability of identity from a likelihood ratio and a prior."""

from __future__ import annotations

import numpy as np

#: Posterior needed for a DNA-led identification (large DNA-led programmes).
IDENTIFICATION_THRESHOLD = 0.9995


def search_prior(n_missing: int) -> float:
    """Default prior: 1 / number of missing persons in the search."""
    if n_missing < 1:
        raise ValueError("the search needs at least one missing person")
    return 1.0 / n_missing


def posterior(lr: float | np.ndarray, prior: float | np.ndarray) -> float | np.ndarray:
    """P(identity | data) = LR prior / (LR prior + 1 - prior), elementwise.

    lr : LR >= 0, may be inf (-> 1 when prior > 0), 0 (-> 0) or NaN (-> NaN, undefined)
    prior : in [0, 1]; prior 0 gives 0 and prior 1 gives 1 (NaN when LR = 0 contradicts it)
    Returns a float for scalar input, else float64 array of the broadcast shape.
    """
    lr_arr = np.asarray(lr, dtype=np.float64)
    prior_arr = np.asarray(prior, dtype=np.float64)
    if np.any((prior_arr < 0) | (prior_arr > 1)):
        raise ValueError("prior must be in [0, 1]")
    if np.any(lr_arr < 0):
        raise ValueError("a likelihood ratio cannot be negative")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        odds = lr_arr * prior_arr
        result = odds / (odds + (1.0 - prior_arr))
        result = np.where(np.isinf(lr_arr) & (prior_arr > 0), 1.0, result)
        result = np.where((lr_arr == 0) & (prior_arr < 1), 0.0, result)
        result = np.where((prior_arr == 1) & (lr_arr > 0), 1.0, result)
        result = np.where(np.isnan(lr_arr), np.nan, result)
    if result.ndim == 0:
        return float(result)
    return result


def posterior_from_log10(
    log10_lr: float | np.ndarray, prior: float | np.ndarray
) -> float | np.ndarray:
    """`posterior` from log10 LR, without overflow for huge LRs (log10 -inf -> 0, NaN -> NaN)."""
    log10_arr = np.asarray(log10_lr, dtype=np.float64)
    prior_arr = np.asarray(prior, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_prior_odds = np.log10(prior_arr) - np.log10(1.0 - prior_arr)
        log_odds = log10_arr + log_prior_odds
        result = 1.0 / (1.0 + 10.0 ** (-log_odds))
        result = np.where(np.isnan(log10_arr), np.nan, result)
    if result.ndim == 0:
        return float(result)
    return result


def is_identified(
    posterior_value: float | np.ndarray, threshold: float = IDENTIFICATION_THRESHOLD
) -> bool | np.ndarray:
    """Posterior at or above the identification threshold (NaN is never identified)."""
    result = np.asarray(posterior_value, dtype=np.float64) >= threshold
    if result.ndim == 0:
        return bool(result)
    return result
