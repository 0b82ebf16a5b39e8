"""The exact path keeps what it worked out for one case and reuses it for the next (peeling plans,
elimination programs, structures, observation probabilities): its numbers must be the numbers of
the computation built afresh for every call, to the last bit, because a stored candidate is
reproduced bit for bit from its snapshot (`labtrack kinship reproduce`), alone."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from labtrack.imports.exchange import read_freqs, read_genotypes, read_pedigrees
from labtrack.kinship import _elimination, _lumped_tables, _partitions, _peeling, _structure, likelihood, lr, tables
from labtrack.kinship._peeling import peel, peel_direct
from labtrack.kinship._shapes import SHAPES
from labtrack.kinship._structure import relevant_structure
from labtrack.kinship.candidates import EvidenceChunk, evidence_chunk, find_candidates
from labtrack.kinship.dropout import DropModel
from labtrack.kinship.mutation import MutationModel, Transmission, equal_matrix, stepwise_matrix
from labtrack.kinship.simulate import shape_pedigree, simulate

ROOT = Path(__file__).resolve().parents[3]
FREQS = ROOT / "fixtures" / "freqs" / "nist1036.csv"
MUTATION = MutationModel("stepwise", 0.002)
DROP = DropModel(0.05)


def _forget() -> None:
    """Drop everything the exact path kept (a fresh process)."""
    _peeling._PLANS.clear()
    _elimination._PROGRAMS.clear()
    _structure._relevant_structure.cache_clear()
    lr._OBSERVED.clear()
    likelihood._LUMPABLE.clear()
    _peeling._TRANSMISSIONS.clear()


@pytest.fixture
def afresh(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """Switch the engine to the computation built afresh on every call (no plans, no programs)."""

    def switch() -> None:
        for module in (likelihood, lr, _partitions, _lumped_tables, tables):
            monkeypatch.setattr(module, "peel", peel_direct)
        _forget()

    return switch


def _grave(tmp_path: Path, mutation: MutationModel | None) -> list[tuple[int, EvidenceChunk]]:
    """A simulated grave with mutations, one-seen loci, untyped loci and rare alleles, read back
    through the exchange files as a run reads them; the evidence chunks its search makes under
    the lab's default models (without mutation: loci that exclude)."""
    data = simulate(40, 40, 15, 3, read_freqs(FREQS), mutation_rate=0.03, one_seen_rate=0.3, rare_rate=0.02,
                    remains_missing_rate=0.08, reference_missing_rate=0.05)
    data.write(tmp_path)
    table = read_freqs(tmp_path / "freqs.csv")
    genotypes = read_genotypes(tmp_path / "genotypes.csv")
    pedigrees = list(read_pedigrees(tmp_path / "pedigrees.csv").values())
    remains = [line for line in (tmp_path / "remains.txt").read_text().split() if line]
    chunks: list[tuple[int, EvidenceChunk]] = []

    def keep(fn, items):  # noqa: ANN001, ANN202 - the evidence map: keep the chunks, compute nothing
        chunks.extend(items)
        return [fn(item) for item in items]

    find_candidates(table, pedigrees, genotypes, remains, top_k=3, report_log10_lr=1.0, near_k=3,
                    mutation=mutation, drop=DROP, evidence_map=keep)
    return chunks


def test_a_chunk_with_warm_plans_gives_the_numbers_of_each_candidate_computed_alone_afresh(
        tmp_path: Path, afresh) -> None:  # noqa: ANN001
    graves = [_grave(tmp_path / "stepwise", MUTATION), _grave(tmp_path / "drop-out only", None)]
    _forget()
    together = [[evidence_chunk(item)[1] for item in chunks] for chunks in graves]  # plans reused throughout
    found = [[c for outcome in outcomes for c in outcome.candidates] for outcomes in together]
    rows = [row for candidates in found for c in candidates for row in c.per_locus]
    # what the comparison covers: loci read as consistent only through a mutation or a drop-out,
    # loci that exclude under the run's models (near misses), loci the remains did not type, one allele seen
    assert {"consistent", "mutation", "dropout", "not_compared"} <= {row.get("reading") for row in rows}
    assert any(c.near_miss and c.excluded_loci for c in found[1])
    assert any(row["remains"] is not None and len(row["remains"]) == 1 for row in rows)
    assert all(len({c.family_id for c in candidates}) >= 20 for candidates in found)

    afresh()
    for chunks, outcomes, candidates in zip(graves, together, found, strict=True):
        alone = []
        for position, chunk in chunks:
            for task in chunk.tasks:  # one candidate at a time, nothing kept from the one before
                _forget()
                alone.append(evidence_chunk((position, replace(chunk, tasks=(task,))))[1])
        assert [c for outcome in alone for c in outcome.candidates] == candidates  # every number, bit for bit
        assert [p for outcome in alone for p in outcome.problems] == [p for o in outcomes for p in o.problems]


def _random_typed(rng: np.random.Generator, people: list[int], batch: int, n: int) -> dict[int, np.ndarray]:
    return {i: rng.integers(0, n, size=(batch, 2)) for i in people}


def _transmission(rng: np.random.Generator, n: int) -> Transmission:
    """Different matrices for mothers and fathers (rows summing to 1)."""
    female, male = rng.random((n, n)) + np.eye(n) * n, rng.random((n, n)) + np.eye(n) * 2 * n
    return Transmission(female / female.sum(axis=1, keepdims=True), male / male.sum(axis=1, keepdims=True))


@pytest.mark.parametrize("shape", SHAPES, ids=lambda shape: shape.name)
def test_peel_with_its_plan_equals_peel_built_afresh_to_the_last_bit(shape) -> None:  # noqa: ANN001
    rng = np.random.default_rng(7)
    pedigree = shape_pedigree(shape)
    structure = relevant_structure(pedigree, [*pedigree.typed_person_ids, pedigree.missing_person_id])
    query = structure.index(pedigree.missing_person_id)
    typed_ids = [structure.index(p) for p in pedigree.typed_person_ids]
    founders = [i for i in range(structure.size) if structure.is_founder(i)]
    for n in (2, 5, 9):
        freqs = rng.dirichlet(np.ones(n))
        for batch in (1, 4):
            for mutation in (None, _transmission(rng, n), rng.dirichlet(np.ones(n), size=n)):
                cases = [  # (typed, query, freqs, ties)
                    (_random_typed(rng, typed_ids, batch, n), query, freqs, ()),
                    (_random_typed(rng, typed_ids[:1], batch, n), None, freqs, ()),
                    (_random_typed(rng, typed_ids, batch, n), None, rng.dirichlet(np.ones(n), size=batch), ()),
                ]
                if len(founders) >= 2:  # two founder alleles identical by descent (theta's partitions)
                    ties = (((founders[0], 0), (founders[1], 1)),)
                    cases.append((_random_typed(rng, typed_ids, batch, n), query, freqs, ties))
                for typed, asked, frequencies, ties in cases:
                    for _ in range(2):  # the first call makes the plan, the second replays it
                        planned = peel(structure, typed, frequencies, mutation, query=asked, batch=batch, ties=ties)
                        direct = peel_direct(structure, typed, frequencies, mutation, query=asked, batch=batch,
                                             ties=ties)
                        assert planned.shape == direct.shape
                        assert np.array_equal(planned, direct), (shape.name, n, batch, asked, ties)
                        assert planned.tobytes() == direct.tobytes()


def test_lumping_is_decided_again_for_a_matrix_that_may_have_changed() -> None:
    freqs = np.full(5, 0.2)
    typed = {0: (0, 1)}
    matrix = equal_matrix(5, 0.01)  # writable: lumpable now, then changed in place
    assert len(likelihood.lumped(freqs, matrix, typed)[0]) == 3
    matrix[3, 0] += 0.1
    assert len(likelihood.lumped(freqs, matrix, typed)[0]) == 5  # not lumpable any more: not lumped
    fixed = stepwise_matrix([str(a) for a in range(10, 15)], 0.01)
    fixed.flags.writeable = False  # as the models' cached matrices: the answer is kept
    first = likelihood.lumped(freqs, fixed, typed)
    assert len(first[0]) == 5 and likelihood.lumped(freqs, fixed, typed)[0].tobytes() == first[0].tobytes()
