"""Familias .fam files against pedFamilias::readFam 0.2.4 and forrel 1.8.1 / dvir 3.3.0
(tests/data/familias-public): every person, sex, genotype, frequency and mutation model as
parsed, the log-likelihood of every hypothesis per marker, and DVI pairwise LRs; bad files
refused with the line and the reason."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from labtrack.cli.familias import familias
from labtrack.core.errors import InputError
from labtrack.kinship.familias import FamFile, FamPedigree, parse_fam

DATA = Path(__file__).resolve().parents[2] / "data" / "familias-public"
FILES = sorted(p.stem for p in (DATA / "fam").glob("*.fam"))


def load(name: str) -> FamFile:
    return parse_fam((DATA / "fam" / f"{name}.fam").read_bytes().decode("latin-1"), name)


def expected(name: str) -> dict:
    return json.loads((DATA / "expected" / f"{name}.json").read_text())


def flat(node: dict) -> tuple[set[tuple[str, str, str, int]], dict[str, dict[str, list[str]]]]:
    """All persons (id, fid, mid, sex) and genotypes of a pedigree node (components merged)."""
    if node["kind"] == "ped":
        persons = {(p["id"], p["fid"], p["mid"], p["sex"]) for p in node["persons"]}
        genotypes = node["genotypes"] if isinstance(node["genotypes"], dict) else {}
        return persons, genotypes
    persons: set[tuple[str, str, str, int]] = set()
    genotypes: dict[str, dict[str, list[str]]] = {}
    for child in node["items"].values():
        p, g = flat(child)
        persons |= p
        genotypes.update(g)
    return persons, genotypes


def ours(ped: FamPedigree) -> set[tuple[str, str, str, int]]:
    return {(p.person_id, p.father_id or "0", p.mother_id or "0", p.sex) for p in ped.persons}


@pytest.mark.parametrize("name", FILES)
def test_database_as_parsed(name: str) -> None:
    fam, exp = load(name), expected(name)
    assert fam.version == exp["params"]["version"]
    assert fam.dvi == exp["params"]["dvi"]
    assert fam.theta == exp["params"]["theta"]
    assert fam.database_name == exp["params"]["dbName"]
    sizes = exp["params"]["dbSize"]
    sizes = sizes if isinstance(sizes, list) else [sizes]
    assert [x.database_size for x in fam.loci] == sizes
    assert [x.name for x in fam.loci] == [m["name"] for m in exp["database"]]
    for locus, want in zip(fam.loci, exp["database"], strict=True):
        assert list(locus.alleles) == want["alleles"]
        assert locus.freqs.tolist() == want["afreq"]
        mut = want["mutation"]
        assert (locus.transmission() is None) == (mut is None)
        if mut is None:
            continue
        for sex, model in (("female", locus.female), ("male", locus.male)):
            assert model.model == mut[sex]["model"]
            assert model.rate == mut[sex]["rate"]
            assert model.rate2 == mut[sex]["rate2"]
            assert model.range == mut[sex]["range"]
            matrix = model.matrix(locus.alleles, locus.freqs / locus.freqs.sum())
            want_matrix = np.array(mut[sex]["matrix"], dtype=float)
            assert mut[sex]["alleles"] == list(locus.alleles)
            got = np.eye(len(locus.alleles)) if matrix is None else matrix
            np.testing.assert_allclose(got, want_matrix, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", FILES)
def test_pedigrees_persons_and_genotypes(name: str) -> None:
    fam, exp = load(name), expected(name)
    tree = exp["pedigrees"]
    if not fam.dvi:
        assert [p.name for p in fam.pedigrees] == tree["names"]
        for ped in fam.pedigrees:
            persons, genotypes = flat(tree["items"][ped.name])
            assert ours(ped) == persons
            typed = {p.person_id: p.genotypes for p in fam.persons if p.genotypes}
            in_ped = {pid for pid, *_ in persons}
            assert {k: v for k, v in typed.items() if k in in_ped}.keys() == genotypes.keys()
            for pid, loci in genotypes.items():
                assert {m: list(g) for m, g in typed[pid].items()} == loci
        return
    victims, vgeno = flat(tree["items"]["Unidentified persons"])
    assert {(p.person_id, "0", "0", p.sex) for p in fam.unidentified} == victims
    for p in fam.unidentified:
        assert {m: list(g) for m, g in p.genotypes.items()} == vgeno[p.person_id]
    for family in fam.families:
        node = tree["items"][family.name]
        names = node["names"] if node["kind"] == "list" else [family.pedigrees[-1].name]
        assert [p.name for p in family.pedigrees][-len(names):] == names
        for ped in family.pedigrees:
            if ped.name not in names:
                continue
            sub = node["items"][ped.name] if node["kind"] == "list" else node
            persons, genotypes = flat(sub)
            assert ours(ped) == persons
            typed = {p.person_id: p.genotypes for p in family.persons if p.genotypes}
            for pid, loci in genotypes.items():
                assert {m: list(g) for m, g in typed[pid].items()} == loci


def lr_table() -> pd.DataFrame:
    lines = [x for x in (DATA / "expected" / "familias_lr.csv").read_text().splitlines(True)
             if not x.startswith("#")]  # fmt: skip
    from io import StringIO

    return pd.read_csv(StringIO("".join(lines)), dtype=str, keep_default_na=False)


def value(text: str) -> float:
    return {"-Inf": -math.inf, "Inf": math.inf, "-inf": -math.inf, "inf": math.inf}.get(
        text, float(text) if text else math.nan)


@pytest.mark.parametrize("name", FILES)
def test_likelihoods_and_lrs(name: str, tmp_path: Path) -> None:
    out = tmp_path / "lr.csv"
    result = CliRunner().invoke(familias, ["lr", str(DATA / "fam" / f"{name}.fam"), "--out",
                                           str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out, dtype=str, keep_default_na=False).set_index(["hypothesis", "marker"])
    exp = lr_table()
    exp = exp[exp["file"] == name]
    checked = 0
    for row in exp.itertuples():
        if row.kind == "loglik":
            mine, want = value(got.loc[(row.numerator, row.marker), "loglik"]), value(row.loglik)
        else:
            mine, want = value(got.loc[(row.numerator, row.marker), "log10_lr"]), value(
                row.log10_LR)
        if math.isinf(want):
            assert mine == want, (row.numerator, row.marker)
        else:
            assert mine == pytest.approx(want, abs=1e-6), (row.numerator, row.marker)
        checked += 1
    assert checked == len(exp) > 0


def test_dvi_file_becomes_a_dvi_dataset(tmp_path: Path) -> None:
    fam = DATA / "fam" / "dvir__inst__extdata__dvi-example.fam"
    result = CliRunner().invoke(familias, ["read", str(fam), "--out", str(tmp_path / "ds")])
    assert result.exit_code == 0, result.output
    peds = pd.read_csv(tmp_path / "ds" / "pedigrees.csv", dtype=str, keep_default_na=False)
    assert sorted(peds.loc[peds["missing"] == "1", "person_id"]) == ["M1", "M2", "M3"]
    victims = pd.read_csv(tmp_path / "ds" / "victims.csv", dtype=str)
    assert victims["sample_id"].tolist() == ["V1", "V2", "V3"]
    from labtrack.imports.dvi_dataset import read_dvi_dataset

    problem = read_dvi_dataset(tmp_path / "ds")
    assert problem.missing_ids == ("M1", "M2", "M3")


def bad(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bad.fam"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(familias, ["lr", str(path), "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.csv").exists()
    return result.output


def test_bad_files(tmp_path: Path) -> None:
    text = (DATA / "fam" / "pedFamilias__inst__extdata__paternity.fam").read_text("latin-1")
    lines = text.splitlines()
    out = bad(tmp_path, "\n".join(lines[:300]))
    assert "truncated" in out and "line" in out
    out = bad(tmp_path, "\n".join([*lines[:2], "9.9", *lines[3:]]))
    assert "unknown Familias version '9.9'" in out
    # H1 gets CH -> AF as well: AF is then his own ancestor
    k = lines.index('"H1"')
    looped = [*lines[: k + 3], "3", *lines[k + 4 : k + 8], "2", "0", *lines[k + 8 :]]
    out = bad(tmp_path, "\n".join(looped))
    assert "own ancestor" in out
    # H1 gets MO (female) and a second female parent for CH: two mothers
    twice = [*lines[: k + 3], "3", *lines[k + 4 : k + 8], "1", "2", *lines[k + 8 :]]
    twice[twice.index('"MO"') + 4] = "#FALSE#"
    out = bad(tmp_path, "\n".join(twice).replace('"AF"\n#FALSE#\n-1\n#FALSE#\n#TRUE#',
                                                  '"AF"\n#FALSE#\n-1\n#FALSE#\n#FALSE#'))
    assert "has two mothers" in out
    with pytest.raises(InputError):
        parse_fam("hello\n", "x.fam")


@pytest.mark.parametrize("name", [n for n in FILES if "dvi" not in n.lower()
                                  and "KETPex498" not in n])  # fmt: skip
def test_written_files_read_back(name: str) -> None:
    """format_fam then parse_fam: the same persons, genotypes, database and likelihoods."""
    from labtrack.kinship.familias import format_fam, hypothesis_logliks

    fam = load(name)
    back = parse_fam(format_fam(fam), "written.fam")
    assert [(p.person_id, p.sex, dict(p.genotypes)) for p in back.persons] == [
        (p.person_id, p.sex, dict(p.genotypes)) for p in fam.persons]
    for a, b in zip(fam.loci, back.loci, strict=True):
        assert (a.name, a.alleles, a.female, a.male, a.database_size) == (
            b.name, b.alleles, b.female, b.male, b.database_size)
        assert a.freqs.tolist() == b.freqs.tolist()
    genotypes = {p.person_id: p.genotypes for p in fam.persons}
    assert [p.name for p in back.pedigrees] == [p.name for p in fam.pedigrees]
    for a, b in zip(fam.pedigrees, back.pedigrees, strict=True):
        assert hypothesis_logliks(fam, a, genotypes) == hypothesis_logliks(back, b, genotypes)


def test_a_family_written_from_exchange_files(tmp_path: Path) -> None:
    power = DATA.parent / "power-public"
    out = tmp_path / "family.fam"
    result = CliRunner().invoke(familias, [
        "write", "--freqs", str(power / "freqs.csv"), "--genotypes", str(power / "genotypes.csv"),
        "--pedigrees", str(power / "pedigrees.csv"), "--family", "paternal_grandparents",
        "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    fam = parse_fam(out.read_text(), out.name)
    assert [p.name for p in fam.pedigrees] == ["paternal_grandparents"]
    typed = {p.person_id for p in fam.persons if p.genotypes}
    assert typed == {"GF", "GM"}
    ped = fam.pedigrees[0]
    assert {(p.person_id, p.father_id, p.mother_id) for p in ped.persons} >= {
        ("F", "GF", "GM"), ("MP", "F", "M")}
    gf = next(p for p in fam.persons if p.person_id == "GF")
    from labtrack.imports.exchange import read_genotypes

    assert dict(gf.genotypes) == read_genotypes(power / "genotypes.csv")["paternal_grandparents:GF"]


def test_database_only_and_relations_only_files(tmp_path: Path) -> None:
    """A file with a database only is read as such (and has no hypotheses to compute); a file
    with persons but no pedigree list takes its known relations as the one pedigree, as
    pedFamilias does."""
    from dataclasses import replace

    from labtrack.kinship.familias import format_fam

    fam = load("pedFamilias__inst__extdata__paternity")
    database = parse_fam(format_fam(replace(fam, persons=(), pedigrees=())), "db.fam")
    assert database.kind == "database" and len(database.loci) == len(fam.loci)
    path = tmp_path / "db.fam"
    path.write_text(format_fam(replace(fam, persons=(), pedigrees=())), encoding="utf-8")
    result = CliRunner().invoke(familias, ["lr", str(path), "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 1 and "no pedigree hypotheses" in result.output
    persons_only = parse_fam(format_fam(replace(fam, pedigrees=())), "p.fam")
    assert [p.name for p in persons_only.pedigrees] == ["pedigree"]
    assert {p.person_id for p in persons_only.pedigrees[0].persons} == {"AF", "MO", "CH"}
