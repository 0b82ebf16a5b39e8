"""Joint DVI timings: the largest public dataset (KETPch4, dvir) and simulated closed events.

python -m benchmarks.dvi_joint --victims 200 --families 150 --loci 20 [--mutation-rate 0.002]
    [--max-states 200000]

Reports per run: seconds for the pairwise LRs (`EventLikelihood` + `pairwise_log_lr`), the joint
enumeration (`joint`) and the conclusions (`solve`); the route taken (exact / branch-and-bound /
sequential), independent parts, assignments scored and partial assignments visited, the bound on
the posterior mass left out, and for simulated events how many true identifications the best
assignment makes (and how many of its identifications are wrong); the peak memory NumPy and
Python allocated during the joint enumeration (tracemalloc) against `memory_bound(max_states)`,
the bound the app states (its events use max_states = 200,000).
"""

from __future__ import annotations

import argparse
import json
import math
import time
import tracemalloc
from pathlib import Path

from labtrack.imports.dvi_dataset import read_dvi_dataset
from labtrack.imports.exchange import read_freqs
from labtrack.kinship.dvi import EventLikelihood, joint, pairwise_log_lr, solve
from labtrack.kinship.dvi.joint import DEFAULT_MAX_STATES, memory_bound
from labtrack.kinship.dvi.problem import DVIProblem
from labtrack.kinship.dvi.simulate import simulate_event

ROOT = Path(__file__).resolve().parents[1]


def run(problem: DVIProblem, truth: dict[str, str] | None = None,
        min_lr: float = 0.0, max_states: int = DEFAULT_MAX_STATES) -> dict[str, object]:
    t0 = time.perf_counter()
    lik = EventLikelihood(problem)
    pairwise_log_lr(lik)
    t1 = time.perf_counter()
    tracemalloc.start()
    result = joint(problem, lik, min_log_lr=math.log(min_lr) if min_lr > 0 else -math.inf,
                   max_states=max_states)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    t2 = time.perf_counter()
    solve(problem, lik)
    t3 = time.perf_counter()
    out: dict[str, object] = {
        "victims": len(problem.victims), "missing": len(problem.missing_ids),
        "families": len(problem.families), "markers": len(problem.markers),
        "pairwise_s": round(t1 - t0, 2), "joint_s": round(t2 - t1, 2),
        "conclusions_s": round(t3 - t2, 2), "route": result.method,
        "parts": result.components, "assignments": result.n_assignments,
        "visited": result.visited, "pairings_excluded": result.pruned_pairings,
        "neglected_mass": result.neglected_mass, "min_lr": min_lr, "max_states": max_states,
        "joint_peak_mib": round(peak / 2**20, 1),
        "memory_bound_mib": round(memory_bound(max_states, len(problem.victims)) / 2**20, 1),
    }  # fmt: skip
    if truth is not None:
        best = {v: result.missing[j] for v, j in zip(result.victims, result.assignments[0],
                                                      strict=True) if j >= 0}  # fmt: skip
        out["true_identified"] = sum(best.get(v) == m for v, m in truth.items())
        out["true_total"] = len(truth)
        out["wrong"] = sum(1 for v, m in best.items() if truth.get(v) != m)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--victims", type=int, default=200)
    parser.add_argument("--families", type=int, default=150)
    parser.add_argument("--loci", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--mutation-rate", type=float, default=0.0)
    parser.add_argument("--min-lr", type=float, default=0.0,
                        help="pairwise LR floor (as labtrack kinship dvi --min-lr)")
    parser.add_argument("--max-states", type=int, default=DEFAULT_MAX_STATES,
                        help="partial assignments kept per part before the sequential route")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    rows = {"KETPch4": run(read_dvi_dataset(ROOT / "tests/data/dvi-public/KETPch4"), max_states=args.max_states)}
    table = read_freqs(ROOT / "fixtures/freqs/nist1036.csv")
    event = simulate_event(args.victims, args.families, args.loci, args.seed, table,
                           mutation_rate=args.mutation_rate)  # fmt: skip
    rows["simulated"] = run(event.problem, event.truth, args.min_lr, args.max_states)
    for name, row in rows.items():
        print(name, json.dumps(row))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
