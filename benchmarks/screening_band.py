"""How much exact work the screening margin asks for as the families grow: of each remains' top-k
search slots, how many score at or above the screen (the reporting threshold minus
`SCREEN_MARGIN_LOG10`) and so are recomputed exactly, and, for a sample of those between the screen
and the threshold, how far the exact case LR lies from the search's score.

Usage (from the repository root)::

    python -m benchmarks.screening_band --families 20000 --remains 1000 --json out.json

Simulates a grave (`kinship.simulate`: 12 family shapes, NIST 1036, 20 loci, seed 11 as
`match_run_in_app`), writes and reads back its exchange files, builds the family tables and runs
the search with the lab's default models (`MatchParameters()`: stepwise mutation 0.002, drop-out
0.05, top 5, near misses 3, report from log10 LR 3), counts the slots per remains at or above
log10 1.5, 2, 2.5 and 3, then recomputes the exact case LR (`kinship.lr.case_lr`, as the evidence
step does) of up to ``--sample`` slots between the screen and the threshold and reports the exact
minus the search's log10 LR (mean, extremes, 99th percentile of its size) and how many of them
reach the threshold exactly.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FREQS = ROOT / "fixtures" / "freqs" / "nist1036.csv"


def run(families: int, remains: int, *, sample: int = 300, loci: int = 20, seed: int = 11) -> dict[str, Any]:
    """The slots over each cut and the exact-minus-search differences in the band (see the module docstring)."""
    from labtrack.imports.exchange import read_freqs, read_genotypes, read_pedigrees
    from labtrack.kinship.candidates import SCREEN_MARGIN_LOG10
    from labtrack.kinship.lr import case_lr
    from labtrack.kinship.search import search
    from labtrack.kinship.search_tables import prepare_search
    from labtrack.kinship.simulate import simulate
    from labtrack.services.match_parameters import MatchParameters

    table = read_freqs(FREQS)
    data = simulate(families, remains, loci, seed, table)
    directory = Path(tempfile.mkdtemp(prefix="bench-screen-"))
    data.write(directory)
    genotypes = read_genotypes(directory / "genotypes.csv")
    pedigrees = list(read_pedigrees(directory / "pedigrees.csv").values())
    remains_ids = [str(r) for r in data.remains_ids]
    params = MatchParameters()
    models = params.engine_kwargs()
    threshold = params.report_log10_lr
    screen = threshold - SCREEN_MARGIN_LOG10
    started = time.perf_counter()
    prepared = prepare_search(table, pedigrees, dict(genotypes), remains_ids, theta=params.theta,
                              mutation=models["mutation"], drop=models["drop"])
    result = search(prepared.tables, prepared.rows, top_k=params.top_k, near_k=params.near_k)
    figures: dict[str, Any] = {"families": len(pedigrees), "remains": len(remains_ids), "top_k": params.top_k,
                               "threshold": threshold, "screen": screen,
                               "tables_and_search_s": round(time.perf_counter() - started, 1)}
    scores, index = result.remains_top.scores, result.remains_top.index
    figures["slots_per_remains"] = {f">={cut:g}": round(float((scores >= cut).sum()) / len(remains_ids), 3)
                                    for cut in (1.5, 2.0, 2.5, 3.0)}
    band = np.argwhere((scores >= screen) & (scores < threshold) & (index >= 0))
    rng = np.random.default_rng(seed)
    chosen = band[rng.choice(len(band), size=min(sample, len(band)), replace=False)] if len(band) else band
    differences, reached = [], 0
    started = time.process_time()
    for r, k in chosen:
        case = case_lr(pedigrees[int(index[r, k])], genotypes, remains_ids[r], table, theta=params.theta,
                       mutation=models["mutation"], drop=models["drop"])
        differences.append(case.log10_lr - float(scores[r, k]))
        reached += case.log10_lr >= threshold
    spread = np.asarray(differences)
    figures["band"] = {
        "slots": len(band), "sampled": len(chosen), "reached_threshold_exactly": int(reached),
        "exact_cpu_ms_each": round(1000 * (time.process_time() - started) / max(1, len(chosen)), 2),
        **({"exact_minus_search_mean": round(float(spread.mean()), 4),
            "exact_minus_search_min": round(float(spread.min()), 4),
            "exact_minus_search_max": round(float(spread.max()), 4),
            "size_p99": round(float(np.quantile(np.abs(spread), 0.99)), 4)} if len(spread) else {})}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=20_000)
    parser.add_argument("--remains", type=int, default=1_000)
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    figures = run(args.families, args.remains, sample=args.sample, seed=args.seed)
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
