"""The evidence-step benchmark times the candidates a match run would report (the timings
themselves are for ``benchmarks/README.md``, not for a test)."""

from __future__ import annotations

from benchmarks import evidence_step


def test_it_times_every_candidate_the_run_recomputes() -> None:
    figures = evidence_step.run(40, 40, loci=12)
    assert figures["recomputed"] >= figures["candidates"] > 10  # screened families, then reported ones
    assert figures["cpu_s"] > 0 and figures["cpu_ms_per_candidate"] >= figures["cpu_ms_per_recomputed"] > 0
    assert len(figures["load_average"]) == 2
