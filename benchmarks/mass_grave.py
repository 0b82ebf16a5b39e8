"""Mass-grave benchmark: a degraded grave (mutations, one allele seen, failed loci) searched
without and with the kinship models, against the same grave simulated clean.

Reports, per scenario: top-1 recall per family shape, true families missing from the top 10,
true families lost to an exclusion (LR 0) and how many of those the near-miss lists name,
unrelated remains reaching posterior >= 99.95 % (and how many of them the minimum-evidence rule
would still let through), time and peak memory. Not a test; not run in CI. Usage:

    python -m benchmarks.mass_grave --families 100000 --remains 100000
    python -m benchmarks.mass_grave --families 3000 --remains 4000 --related-fraction 0.75
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np

from labtrack.imports.exchange import read_freqs
from labtrack.kinship.dropout import DropModel
from labtrack.kinship.mutation import MutationModel
from labtrack.kinship.posterior import posterior_from_log10
from labtrack.kinship.search import default_prior, score_pairs, search
from labtrack.kinship.search_observations import DropClasses, observation_codes_from_indices
from labtrack.kinship.search_tables import build_search_tables
from labtrack.kinship.simulate import SimulatedData, search_inputs, simulate

FREQS = Path(__file__).resolve().parents[1] / "fixtures" / "freqs" / "nist1036.csv"
#: Shapes the minimum-evidence rule accepts (a typed parent or child, or two full siblings).
STRONG_SHAPES = {"parent", "both_parents", "two_siblings", "mother_and_sibling", "child_and_spouse",
                 "spouse_and_children"}


def run(data: SimulatedData, table, mutation, drop, near_k: int, threads: int) -> dict:  # noqa: ANN001
    started = time.perf_counter()
    groups, freqs, _ = search_inputs(data, table)
    classes = DropClasses.build(drop)
    tables = build_search_tables(groups, freqs, list(data.family_ids), mutation=mutation, classes=classes,
                                 n_threads=threads)
    codes = observation_codes_from_indices(data.remains_genotypes, [len(f.alleles) for f in freqs], classes)
    built = time.perf_counter()
    result = search(tables, codes, top_k=10, n_threads=threads, near_k=near_k)
    searched = time.perf_counter()
    index, scores = result.remains_top.index, result.remains_top.scores
    truth = data.remains_family
    related = np.flatnonzero(truth >= 0)
    shapes = [s.name for s in data.shapes]
    rank = np.full(len(truth), -1)
    hits = index[related] == truth[related, None]
    found = hits.any(axis=1)
    rank[related[found]] = hits[found].argmax(axis=1) + 1
    true_scores = score_pairs(tables, codes, related, truth[related])
    excluded = related[np.isneginf(true_scores)]
    named = 0
    if result.near_top is not None and excluded.size:
        named = int((result.near_top.index[excluded] == truth[excluded, None]).any(axis=1).sum())
    per_shape = {}
    for s, name in enumerate(shapes):
        of_shape = related[data.family_shape[truth[related]] == s]
        if of_shape.size:
            per_shape[name] = {"n": int(of_shape.size), "top1": round(float((rank[of_shape] == 1).mean()), 4),
                               "not_in_top10": int((rank[of_shape] < 0).sum())}
    unrelated = np.flatnonzero(truth < 0)
    prior = default_prior(tables.n_families)
    post = np.asarray(posterior_from_log10(scores[unrelated, 0], prior)) if unrelated.size else np.array([])
    high = unrelated[post >= 0.9995] if unrelated.size else unrelated
    strong = [i for i in high if shapes[int(data.family_shape[index[i, 0]])] in STRONG_SHAPES]
    return {
        "tables_s": round(built - started, 1), "search_s": round(searched - built, 1),
        "per_shape": per_shape,
        "true_not_in_top10": int((rank[related] < 0).sum()),
        "true_lost_to_exclusion": int(excluded.size), "excluded_named_as_near_miss": named,
        "unrelated_comparisons": int(unrelated.size) * tables.n_families,
        "unrelated_posterior_ge_99_95": int(high.size), "of_which_pass_evidence_rule": len(strong),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--families", type=int, default=3000)
    parser.add_argument("--remains", type=int, default=4000)
    parser.add_argument("--loci", type=int, default=20)
    parser.add_argument("--related-fraction", type=float, default=0.75)
    parser.add_argument("--mutation-rate", type=float, default=0.003)
    parser.add_argument("--one-seen", type=float, default=0.15)
    parser.add_argument("--failed-loci", type=float, default=0.10)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--oracle", action="store_true",
                        help="also search with the simulation's own models (the recall ceiling)")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args()
    table = read_freqs(FREQS)
    common = {"related_fraction": args.related_fraction, "remains_missing_rate": args.failed_loci}
    clean = simulate(args.families, args.remains, args.loci, args.seed, table, **common)
    degraded = simulate(args.families, args.remains, args.loci, args.seed, table, **common,
                        mutation_rate=args.mutation_rate, one_seen_rate=args.one_seen)
    models = (MutationModel("stepwise", args.mutation_rate), DropModel(args.dropout))
    # the simulation's own models: one-step mutations only, and the drop-out probability d with
    # 2 d (1 - d) = the share of heterozygous loci showing one allele. Ranking by the exact LR
    # under the model that generated the data is the Bayes-optimal choice of the top family (flat
    # prior): no method ranks the true family first more often, so the recall of this scenario is
    # the ceiling that the information left in the degraded profiles allows.
    oracle_d = (1 - (1 - 2 * args.one_seen) ** 0.5) / 2
    oracle = (MutationModel("stepwise", args.mutation_rate, 0.0, 1e-9), DropModel(oracle_d))
    figures = {"setup": vars(args) | {"out": str(args.out) if args.out else None, "oracle_dropout": oracle_d}}
    scenarios = [
        ("clean grave, no models", clean, (None, None)),
        ("degraded grave, no models", degraded, (None, None)),
        ("degraded grave, with models", degraded, models),
    ]
    if args.oracle:
        scenarios.append(("degraded grave, the simulation's own models", degraded, oracle))
    for name, data, (mutation, drop) in scenarios:
        figures[name] = run(data, table, mutation, drop, near_k=5, threads=args.threads)
        print(name, json.dumps(figures[name], indent=1), flush=True)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print("peak RSS", figures["peak_rss_mb"], "MB")
    if args.out:
        args.out.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
