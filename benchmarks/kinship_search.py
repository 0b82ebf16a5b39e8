"""Blind-search benchmark: simulate families and remains, build the family tables, search all
remains against all families, and report times, peak memory and recovery of the truth.

Not a test; not run in CI. Usage (from the repository root):

    python -m benchmarks.kinship_search --families 100000 --remains 100000 --loci 20
    python -m benchmarks.kinship_search --families 10000 --remains 10000 --dask local
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from labtrack.imports.exchange import read_freqs
from labtrack.kinship.reassociation import direct_matches, genotype_log10_probabilities
from labtrack.kinship.search import query, search
from labtrack.kinship.search_tables import build_search_tables
from labtrack.kinship.simulate import search_inputs, simulate

FREQS = Path(__file__).resolve().parents[1] / "fixtures" / "freqs" / "nist1036.csv"


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far (Linux: ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=100_000)
    parser.add_argument("--remains", type=int, default=100_000)
    parser.add_argument("--loci", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dask", default=None, help="'local' or a scheduler address")
    parser.add_argument("--no-direct", action="store_true", help="skip remains-to-remains")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args()

    report: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores",
        "families": args.families,
        "remains": args.remains,
        "loci": args.loci,
    }
    table = read_freqs(FREQS)
    t = time.perf_counter()
    data = simulate(args.families, args.remains, args.loci, args.seed, table)
    groups, freqs, genotypes = search_inputs(data, table)
    report["simulate_s"] = round(time.perf_counter() - t, 2)

    t, cpu = time.perf_counter(), time.process_time()
    tables = build_search_tables(groups, freqs, list(data.family_ids), n_threads=args.threads)
    report["table_build_s"] = round(time.perf_counter() - t, 2)
    report["table_build_cpu_s"] = round(time.process_time() - cpu, 2)
    report["table_gb"] = round(sum(b.nbytes for b in tables.blocks) / 1024**3, 2)
    report["genotype_rows"] = int(tables.offsets[-1])
    report["rss_after_tables_gb"] = round(peak_rss_gb(), 2)

    t, cpu = time.perf_counter(), time.process_time()
    if args.dask:
        from labtrack.kinship.distributed import dask_client, search_dask

        with dask_client(args.dask, n_workers=args.threads) as client:
            t = time.perf_counter()
            result = search_dask(client, tables, genotypes, top_k=args.top)
    else:
        result = search(tables, genotypes, top_k=args.top, n_threads=args.threads)
    search_s = time.perf_counter() - t
    report["search_s"] = round(search_s, 2)
    report["search_cpu_s"] = round(time.process_time() - cpu, 2)  # this process (not Dask)
    report["load_average_1min"] = round(os.getloadavg()[0], 2)
    report["ns_per_pair"] = round(search_s / (args.remains * args.families) * 1e9, 2)
    report["peak_rss_gb"] = round(peak_rss_gb(), 2)

    truth = data.remains_family
    related = truth >= 0
    top1 = result.remains_top.index[:, 0] == truth
    top10 = (result.remains_top.index == truth[:, None]).any(axis=1)
    report["related_remains"] = int(related.sum())
    report["top1_recovery"] = round(float(top1[related].mean()), 4)
    report["top10_recovery"] = round(float(top10[related].mean()), 4)
    shapes = np.array([s.name for s in data.shapes])[data.family_shape[truth[related]]]
    report["top1_by_shape"] = {
        name: round(float(top1[related][shapes == name].mean()), 3) for name in np.unique(shapes)
    }
    unrelated = ~related
    if unrelated.any():
        best = result.remains_top.scores[unrelated, 0]
        report["unrelated_best_log10_lr_p99"] = round(float(np.percentile(best, 99)), 2)

    latencies = []
    for r in range(min(20, args.remains)):
        t = time.perf_counter()
        query(tables, genotypes[r])
        latencies.append(time.perf_counter() - t)
    report["one_remains_ms_median"] = round(float(np.median(latencies)) * 1e3, 2)

    if not args.no_direct:
        weights = [genotype_log10_probabilities(f.freqs) for f in freqs]
        t = time.perf_counter()
        matches = direct_matches(genotypes, weights)
        report["direct_matches_s"] = round(time.perf_counter() - t, 2)
        report["direct_matches"] = len(matches)
    report["final_peak_rss_gb"] = round(peak_rss_gb(), 2)

    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
