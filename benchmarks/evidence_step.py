"""The evidence step of a match run alone: CPU seconds per candidate of the exact case LR and
per-locus readings (`kinship.candidates.evidence_chunk`) under the lab's default models.

Usage (from the repository root)::

    python -m benchmarks.evidence_step --families 2000 --remains 2000 --json out.json
    # the same with another checkout's engine (e.g. before a change): its labtrack first on the path
    PYTHONPATH=/path/to/other/checkout python benchmarks/evidence_step.py --families 2000 --remains 2000

Simulates a grave (`kinship.simulate`: 12 family shapes, NIST 1036, 20 loci, seed 11 as
`match_run_in_app`), writes and reads back its exchange files, runs the search as a match run
does (`find_candidates` with `MatchParameters()`: stepwise mutation 0.002, drop-out 0.05, top 5,
near misses 3, report from log10 LR 3), its evidence step in this one process, chunk after
chunk, and reports the CPU seconds of that step (`time.process_time`) per candidate recomputed
and per candidate reported, with the load average before and after. The search and the family
tables are not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FREQS = ROOT / "fixtures" / "freqs" / "nist1036.csv"


def run(families: int, remains: int, loci: int = 20, seed: int = 11) -> dict[str, Any]:
    """Search a simulated grave as a match run does and time its evidence step (see the module
    docstring)."""
    from labtrack.imports.exchange import read_freqs, read_genotypes, read_pedigrees
    from labtrack.kinship.candidates import find_candidates
    from labtrack.kinship.simulate import simulate
    from labtrack.services.match_parameters import MatchParameters

    with tempfile.TemporaryDirectory(prefix="bench-evidence-") as work:
        files = Path(work)
        simulate(families, remains, loci, seed, read_freqs(FREQS)).write(files)
        table = read_freqs(files / "freqs.csv")
        genotypes = read_genotypes(files / "genotypes.csv")
        pedigrees = list(read_pedigrees(files / "pedigrees.csv").values())
        ids = [line for line in (files / "remains.txt").read_text().split() if line]
    spent = {"cpu_s": 0.0, "wall_s": 0.0, "recomputed": 0}
    load = []

    def timed(fn: Any, items: list[Any]) -> Iterator[Any]:
        """The evidence step in this process, one chunk after the other, timed."""
        load.append(os.getloadavg()[0])
        for item in items:
            cpu, wall = time.process_time(), time.perf_counter()
            outcome = fn(item)
            spent["cpu_s"] += time.process_time() - cpu
            spent["wall_s"] += time.perf_counter() - wall
            spent["recomputed"] += len(item[1].tasks)
            yield outcome
        load.append(os.getloadavg()[0])

    found = find_candidates(table, pedigrees, genotypes, ids, **MatchParameters().engine_kwargs(), evidence_map=timed)
    return {"recomputed": spent["recomputed"], "candidates": len(found), "cpu_s": round(spent["cpu_s"], 2),
            "wall_s": round(spent["wall_s"], 2),
            "cpu_ms_per_recomputed": round(1000 * spent["cpu_s"] / max(spent["recomputed"], 1), 2),
            "cpu_ms_per_candidate": round(1000 * spent["cpu_s"] / max(len(found), 1), 2),
            "load_average": [round(value, 1) for value in load]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=2000)
    parser.add_argument("--remains", type=int, default=2000)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    figures = {"families": args.families, "remains": args.remains, **run(args.families, args.remains)}
    print(json.dumps(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
