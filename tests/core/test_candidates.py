"""Candidates of a blind search carry the exact case LR and per-locus evidence."""

from __future__ import annotations

import json
import math
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labtrack.imports.exchange import read_freqs, read_genotypes, read_pedigrees
from labtrack.kinship.candidates import Candidate, find_candidates, ranked_by_exact_lr
from labtrack.kinship.dropout import DropModel
from labtrack.kinship.freqs import FrequencyTable
from labtrack.kinship.lr import case_lr
from labtrack.kinship.mutation import MutationModel
from labtrack.kinship.pedigree import Pedigree, Person
from labtrack.kinship.search import score_pairs
from labtrack.kinship.search_tables import prepare_search

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "kinship-public"
FREQS = ROOT / "fixtures" / "freqs" / "nist1036.csv"


def _public() -> tuple:
    table = read_freqs(FREQS)
    genotypes = read_genotypes(DATA / "genotypes.csv")
    pedigrees = list(read_pedigrees(DATA / "pedigrees.csv").values())
    remains = sorted(s for s in genotypes if "-RM" in s)
    return table, genotypes, pedigrees, remains


def test_true_relatives_are_reported_with_the_exact_case_lr() -> None:
    table, genotypes, pedigrees, remains = _public()
    expected = pd.read_csv(DATA / "expected" / "baseline.csv", comment="#")
    stages: list[str] = []
    candidates = find_candidates(table, pedigrees, genotypes, remains, top_k=3, report_log10_lr=4.0,
                                 progress=lambda stage, done, total: stages.append(stage))
    found = {(c.remains_sample_id, c.family_id): c for c in candidates}
    for row in expected.itertuples():
        if row.log10_lr >= 4.0:
            candidate = found[(row.unknown_sample_id, row.case_id)]
            assert math.isclose(candidate.log10_lr, row.log10_lr, abs_tol=1e-6)
            assert candidate.loci_used == row.loci_used
    assert all(c.log10_lr >= 4.0 for c in candidates)
    assert {"tables", "search", "evidence"} <= set(stages)


def test_per_locus_rows_show_genotypes_and_flags() -> None:
    table, genotypes, pedigrees, remains = _public()
    candidates = find_candidates(table, pedigrees, genotypes, ["PUB-RM008"], report_log10_lr=20.0)
    best = next(c for c in candidates if c.family_id == "PUB-008")
    assert best.rank == 1 and best.posterior > 0.9999
    rows = {row["marker"]: row for row in best.per_locus}
    d3 = rows["D3S1358"]
    assert d3["remains"] == list(genotypes["PUB-RM008"]["D3S1358"])
    assert set(d3["relatives"]) == {"F", "M", "S1"}
    assert d3["lr"] > 0 and d3["used"] is True
    assert math.isclose(sum(r["log10_lr"] for r in best.per_locus if r["log10_lr"] is not None),
                        best.log10_lr, abs_tol=1e-9)
    # a candidate carries its rows as the JSON text that is stored (a full run holds 236,000 of them)
    assert json.loads(best.per_locus_json) == best.per_locus and len(best.per_locus) == len(rows)
    assert len(pickle.dumps(best)) < len(best.per_locus_json) + 1000


def test_no_families_or_remains_gives_no_candidates() -> None:
    table, genotypes, pedigrees, remains = _public()
    assert find_candidates(table, [], genotypes, remains) == []
    assert find_candidates(table, pedigrees, genotypes, []) == []


def _degraded_son() -> tuple:
    """PUB-RM008 (the son of PUB-008's typed father and mother) as bone gives it: one locus
    mutated one step away from what his father gave, another showing only his mother's allele."""
    table, genotypes, pedigrees, remains = _public()
    genotypes = {s: dict(p) for s, p in genotypes.items()}
    son, father, mother = (genotypes[s] for s in ("PUB-RM008", "PUB-REF008-B", "PUB-REF008-A"))
    mutated = dropped = None
    for marker in sorted(set(son) & set(father) & set(mother)):
        x, y = son[marker]
        fa, mo = set(father[marker]), set(mother[marker])
        if x in mo and x not in fa:
            x, y = y, x
        if marker not in table or x not in fa or x in mo or y not in mo or y in fa:
            continue
        if mutated is None and x.isdigit() and str(int(x) + 1) not in fa | mo | {y}:
            son[marker] = (str(int(x) + 1), y)
            mutated = marker
        elif dropped is None:
            son[marker] = (y,)
            dropped = marker
    assert mutated and dropped
    return table, genotypes, pedigrees, remains, mutated, dropped


def test_a_mutated_son_with_a_dropped_allele_is_found_and_each_locus_says_why() -> None:
    from labtrack.kinship.dropout import DropModel
    from labtrack.kinship.mutation import MutationModel

    table, genotypes, pedigrees, remains, mutated, dropped = _degraded_son()
    # without the models the true family is excluded: it must come back as a near miss
    plain = find_candidates(table, pedigrees, genotypes, ["PUB-RM008"], report_log10_lr=2.0, near_k=5)
    assert not [c for c in plain if c.family_id == "PUB-008" and not c.near_miss]
    near = next(c for c in plain if c.family_id == "PUB-008" and c.near_miss)
    assert set(near.excluded_loci) == {mutated, dropped}
    assert near.posterior == 0.0
    readings = {row["marker"]: row["reading"] for row in near.per_locus}
    assert readings[mutated] == "mutation" and readings[dropped] == "dropout"
    # with the models it is the first candidate, and the two loci are flagged with the reason
    found = find_candidates(table, pedigrees, genotypes, ["PUB-RM008"], report_log10_lr=2.0,
                            mutation=MutationModel("stepwise", 0.002), drop=DropModel(0.1))
    best = next(c for c in found if c.family_id == "PUB-008")
    assert best.rank == 1 and not best.near_miss and best.log10_lr > 15
    rows = {row["marker"]: row for row in best.per_locus}
    assert rows[mutated]["reading"] == "mutation" and rows[mutated]["steps"] == 1.0
    assert rows[dropped]["reading"] == "dropout" and rows[dropped]["remains"] == list(genotypes["PUB-RM008"][dropped])
    assert {row["marker"] for row in best.flagged_loci} == {mutated, dropped}
    assert all(r["reading"] in ("consistent", "not_compared") for m, r in rows.items() if m not in (mutated, dropped))


def test_the_evidence_step_in_chunks_on_a_dask_cluster_gives_the_same_candidates(monkeypatch) -> None:  # noqa: ANN001
    from labtrack.kinship import candidates as module
    from labtrack.kinship.distributed import dask_client, evidence_map

    table, genotypes, pedigrees, remains = _public()
    alone = find_candidates(table, pedigrees, genotypes, remains, top_k=5, report_log10_lr=0.0)
    monkeypatch.setattr(module, "EVIDENCE_CHUNK", 3)  # several chunks, finishing in any order
    done: list[tuple[int, int]] = []
    with dask_client("local", n_workers=2) as client:
        spread = find_candidates(table, pedigrees, genotypes, remains, top_k=5, report_log10_lr=0.0,
                                 evidence_map=evidence_map(client),
                                 progress=lambda stage, d, t: done.append((d, t)) if stage == "evidence" else None)
    assert len(alone) > 6 and spread == alone  # same candidates, same order, same numbers
    total = done[-1][1]
    assert done[-1] == (total, total) and len(done) == -(-total // 3)  # one report per chunk


def test_a_case_the_exact_engine_refuses_is_skipped_and_named(monkeypatch) -> None:  # noqa: ANN001
    from labtrack.kinship import candidates as module

    table, genotypes, pedigrees, remains = _public()
    alone = find_candidates(table, pedigrees, genotypes, remains, top_k=3, report_log10_lr=2.0)
    refused = alone[0].family_id
    real = module.case_lr

    def refusing(pedigree, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if pedigree.family_id == refused:
            raise ValueError("theta with too many non-founders")
        return real(pedigree, *args, **kwargs)

    monkeypatch.setattr(module, "case_lr", refusing)
    problems: list[str] = []
    found = find_candidates(table, pedigrees, genotypes, remains, top_k=3, report_log10_lr=2.0, problems=problems)
    assert [c for c in alone if c.family_id != refused] == found  # the rest of the batch is intact
    assert problems and all(f"against family {refused} was skipped" in p for p in problems)
    assert "theta with too many non-founders" in problems[0]
    said = problems[0]  # a message (id and parameters): the run page says it in the reader's language
    assert said.id.startswith("remains %(remains)s against family %(family)s was skipped")  # type: ignore[attr-defined]
    assert said.params["family"] == refused  # type: ignore[attr-defined]


def _four_mothers(samples: list[str]) -> Pedigree:
    """The missing man and four children by four mothers, the children typed: 10 founder alleles
    with him, 12 once an unrelated man takes his place (hypothesis 2)."""
    persons = [Person("MP", sex=1, missing=True)]
    for k, sample in enumerate(samples):
        persons += [Person(f"W{k}", sex=2), Person(f"C{k}", "MP", f"W{k}", sex=1, sample_id=sample)]
    return Pedigree.build("BIG-001", persons)


def test_a_family_beyond_the_theta_engine_is_skipped_and_named() -> None:
    """theta with a mutation model: a family with more founder alleles than the partition sum takes
    is skipped with its reason in the problems; the others are searched and reported as usual.
    Without a problems list to say it in, the search refuses instead of dropping the family."""
    table, genotypes, pedigrees, _ = _public()
    chosen = [p for p in pedigrees if p.family_id == "PUB-008"]
    references = sorted(s for s in genotypes if "-REF" in s)[:4]
    big = _four_mothers(references)
    model = MutationModel("stepwise", 0.002)
    problems: list[str] = []
    candidates = find_candidates(table, [*chosen, big], genotypes, ["PUB-RM008"], theta=0.01, mutation=model,
                                 report_log10_lr=4.0, problems=problems)
    assert [c.family_id for c in candidates] == ["PUB-008"]
    assert len(problems) == 1 and "family BIG-001 was skipped" in problems[0] and "12 here, at most 10" in problems[0]
    with pytest.raises(ValueError, match="BIG-001"):
        find_candidates(table, [*chosen, big], genotypes, ["PUB-RM008"], theta=0.01, mutation=model)
    # theta alone sums over inheritance vectors: this family is within its limits
    assert find_candidates(table, [*chosen, big], genotypes, ["PUB-RM008"], theta=0.01, report_log10_lr=4.0,
                           problems=(alone := [])) and alone == []


def test_theta_with_mutation_and_drop_out_the_search_equals_the_exact_lr() -> None:
    """The search tables under theta, a sex-specific stepwise model and drop-out give every
    remains-family pair the exact case LR. The stepwise matrix is built over the search's alleles
    (every profile of the search, unseen ones added to the frequencies) where the case LR takes the
    case's own: that moves a log10 LR by up to about 0.02 here with or without theta (the tables
    themselves equal the exact LR to 1e-9 on one alphabet: test_lr_tables). What theta adds must
    not move it further."""
    table, genotypes, pedigrees, remains = _public()
    pedigrees, remains = pedigrees[:6], remains[:6]
    model = MutationModel("stepwise", 0.0, female_rate=0.003, male_rate=0.01)
    drop = DropModel(0.1, 0.02)
    r_idx, f_idx = np.divmod(np.arange(len(remains) * len(pedigrees)), len(pedigrees))
    gap = {}
    for theta in (0.0, 0.02):
        prepared = prepare_search(table, pedigrees, genotypes, remains, theta=theta, mutation=model, drop=drop)
        got = score_pairs(prepared.tables, prepared.rows, r_idx, f_idx)
        exact = [case_lr(pedigrees[f], genotypes, remains[r], table, theta=theta, mutation=model, drop=drop).log10_lr
                 for r, f in zip(r_idx, f_idx, strict=True)]
        assert np.all(np.isfinite(got)) and np.all(np.isfinite(exact))
        gap[theta] = np.asarray(got, dtype=np.float64) - np.asarray(exact)
    assert np.abs(gap[0.02]).max() < 0.03
    np.testing.assert_allclose(gap[0.02], gap[0.0], atol=2e-3)


def _alphabet_gap_case() -> tuple:
    """A mother and her missing son, the son found in a grave with a mutated allele at TPOX (mother
    8/8, son 9/9) and a rare shared allele at D8S1179. Three other remains carry six alleles the
    table lacks at TPOX, so the search's TPOX alphabet has ten alleles where the case has four:
    under the equal model the search reads the mutation as rate/9, the exact case LR as rate/3,
    and the search scores the son about half a log10 unit below his exact LR."""
    table = FrequencyTable.from_rows(
        [("TPOX", a, 0.25, 1000) for a in ("8", "9", "10", "11")]
        + [("D8S1179", "7", 0.001, 1000), ("D8S1179", "12", 0.999, 1000)]
    )
    family = Pedigree.build("FAM-1", [Person("FA", sex=1), Person("MO", sex=2, sample_id="REF-MO"),
                                      Person("MP", "FA", "MO", sex=1, missing=True)])
    genotypes = {
        "REF-MO": {"TPOX": ("8", "8"), "D8S1179": ("7", "7")},
        "RM-SON": {"TPOX": ("9", "9"), "D8S1179": ("7", "7")},
        "RM-X1": {"TPOX": ("5", "6"), "D8S1179": ("12", "12")},
        "RM-X2": {"TPOX": ("13", "14"), "D8S1179": ("12", "12")},
        "RM-X3": {"TPOX": ("15", "16"), "D8S1179": ("12", "12")},
    }
    remains = ["RM-SON", "RM-X1", "RM-X2", "RM-X3"]
    model = MutationModel("equal", 0.005)
    exact = case_lr(family, genotypes, "RM-SON", table, mutation=model).log10_lr
    prepared = prepare_search(table, [family], genotypes, remains, mutation=model)
    search_score = float(score_pairs(prepared.tables, prepared.rows, np.array([0]), np.array([0]))[0])
    return table, family, genotypes, remains, model, exact, search_score


def test_a_family_just_below_the_threshold_in_the_search_is_recomputed_and_reported(monkeypatch) -> None:  # noqa: ANN001
    """Whether a candidate is reported is decided by its exact case LR, not by the search's
    screening score: a family the search puts just below the threshold (its alphabet differs from
    the case's) is recomputed and reported with the exact LR. Without the screening margin the
    same family would vanish without a word."""
    import labtrack.kinship.candidates as candidates_module

    table, family, genotypes, remains, model, exact, search_score = _alphabet_gap_case()
    assert 0.3 < exact - search_score < 0.5          # the gap this test is about
    threshold = (exact + search_score) / 2            # between the two
    problems: list[str] = []
    found = find_candidates(table, [family], genotypes, remains, mutation=model, report_log10_lr=threshold,
                            problems=problems)
    assert [(c.remains_sample_id, c.family_id) for c in found] == [("RM-SON", "FAM-1")]
    assert math.isclose(found[0].log10_lr, exact, abs_tol=1e-12) and found[0].rank == 1
    assert problems == []                             # the gap is within half the margin
    monkeypatch.setattr(candidates_module, "SCREEN_MARGIN_LOG10", 0.0)
    assert find_candidates(table, [family], genotypes, remains, mutation=model, report_log10_lr=threshold) == []


def test_a_search_score_far_from_the_exact_lr_is_named_in_the_problems(monkeypatch) -> None:  # noqa: ANN001
    """A recomputed candidate whose exact LR lies more than half the margin from its search score
    says so in the run's problems: a margin too small for a search never passes silently."""
    import labtrack.kinship.candidates as candidates_module

    table, family, genotypes, remains, model, exact, search_score = _alphabet_gap_case()
    monkeypatch.setattr(candidates_module, "SCREEN_MARGIN_LOG10", 0.5)
    problems: list[str] = []
    found = find_candidates(table, [family], genotypes, remains, mutation=model, report_log10_lr=exact - 0.1,
                            problems=problems)
    assert [c.family_id for c in found] == ["FAM-1"]
    assert len(problems) == 1
    assert "remains RM-SON against family FAM-1" in problems[0]
    assert f"{exact:.3f}" in problems[0] and f"{search_score:.3f}" in problems[0]


def test_ranks_follow_the_exact_lr_not_the_screening_score() -> None:
    def candidate(remains: str, family: str, rank: int, log10: float, near: bool = False) -> Candidate:
        return Candidate(remains, family, rank, log10, 0.5, 0.5, 10, near_miss=near)

    ranked = ranked_by_exact_lr([candidate("R1", "A", 1, 5.0), candidate("R1", "B", 2, 5.3),
                                 candidate("R2", "C", 1, 4.0), candidate("R1", "N", 1, 3.0, near=True)])
    assert [(c.family_id, c.rank) for c in ranked] == [("A", 2), ("B", 1), ("C", 1), ("N", 1)]
