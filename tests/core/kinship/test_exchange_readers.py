"""Exchange-format readers: typed results, and every problem reported with file, row, field."""

from pathlib import Path

import numpy as np
import pytest

from labtrack.imports.exchange import read_cases, read_freqs, read_genotypes, read_pedigrees
from labtrack.kinship import InputError, canonical_marker

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data" / "kinship-public"
FREQS = ROOT / "fixtures" / "freqs" / "nist1036.csv"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(exc: pytest.ExceptionInfo[InputError]) -> set[tuple[int | None, str]]:
    return {(p.row, p.field) for p in exc.value.problems}


def test_public_files_read() -> None:
    table = read_freqs(FREQS)
    alleles, freqs = table.alleles_and_freqs("VWA")
    assert "17" in alleles and freqs.sum() == pytest.approx(1.0)
    genotypes = read_genotypes(DATA / "genotypes.csv")
    assert genotypes["PUB-RM001"]["vWA"] == ("16", "17")
    pedigrees = read_pedigrees(DATA / "pedigrees.csv")
    assert pedigrees["PUB-005"].missing_person_id == "MP"
    assert pedigrees["PUB-008"].typed_person_ids == ("F", "M", "S1")
    cases = read_cases(DATA / "cases.csv")
    assert [c.case_id for c in cases][:2] == ["PUB-001", "PUB-002"]


@pytest.mark.parametrize(
    ("name", "key"),
    [("vWA", "vWA"), ("VWA", "vWA"), ("Penta E", "Penta_E"), ("PENTA_E", "Penta_E"),
     ("Penta_E", "Penta_E"), ("d8s1179", "D8S1179"), ("New Locus-1", "NEW_LOCUS_1")],
)
def test_marker_names_are_canonical(name: str, key: str) -> None:
    assert canonical_marker(name) == key


def test_unseen_allele_rule(tmp_path: Path) -> None:
    """Unseen allele: 5 / (2N), then the marker's frequencies are divided by their sum."""
    path = write(
        tmp_path, "f.csv",
        "# comment\nmarker,allele,frequency,count,n_alleles\nM,1,0.5,50,100\nM,2,0.5,50,100\n",
    )
    result = read_freqs(path).for_case("M", ["1", "3"])
    assert result.alleles == ("1", "2", "3") and result.unseen == ("3",)
    np.testing.assert_allclose(result.freqs, np.array([0.5, 0.5, 0.05]) / 1.05)
    assert read_freqs(path).for_case("M", ["1", "2"]).unseen == ()


def test_min_freq_without_n_alleles(tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", "marker,allele,frequency\nM,1,0.6\nM,2,0.4\n")
    with pytest.raises(InputError, match="no n_alleles"):
        read_freqs(path).for_case("M", ["9"])
    result = read_freqs(path, min_freq=0.01).for_case("M", ["9"])
    np.testing.assert_allclose(result.freqs, np.array([0.6, 0.4, 0.01]) / 1.01)


def test_bad_frequencies_are_all_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path, "f.csv",
        "marker,allele,frequency\nA,1,0.5\nA,2,0\nB,1,-0.1\nB,2,abc\nC,1,0.3\nC,2,0.3\n",
    )
    with pytest.raises(InputError) as exc:
        read_freqs(path)
    found = problems(exc)
    assert {(3, "frequency"), (4, "frequency"), (5, "frequency")} <= found
    messages = " ".join(p.message for p in exc.value.problems)
    assert "sum to" in messages  # C sums to 0.6
    assert all(p.file == "f.csv" for p in exc.value.problems)


def test_bad_genotypes(tmp_path: Path) -> None:
    path = write(
        tmp_path, "g.csv",
        "sample_id,marker,allele1,allele2\nS1,vWA,,14\nS1,VWA,14,15\nS1,vWA,16,17\n,TH01,6,7\n"
        "S1,vwa,15,14\nS2,DXS10135,18,19\n",
    )
    with pytest.raises(InputError) as exc:
        read_genotypes(path)
    assert {(2, "allele1"), (4, "marker"), (5, "sample_id"), (7, "marker")} == problems(exc)
    assert "X-chromosome marker" in str(exc.value)


def test_an_empty_allele2_means_one_allele_seen(tmp_path: Path) -> None:
    path = write(tmp_path, "g.csv", "sample_id,marker,allele1,allele2\nS1,vWA,14,\nS1,TH01,6,6\n")
    assert read_genotypes(path) == {"S1": {"vWA": ("14",), "TH01": ("6", "6")}}


def test_missing_column(tmp_path: Path) -> None:
    path = write(tmp_path, "g.csv", "sample,marker,allele1,allele2\nS1,vWA,14,15\n")
    with pytest.raises(InputError) as exc:
        read_genotypes(path)
    assert (1, "sample_id") in problems(exc)


PEDIGREE_HEADER = "family_id,person_id,father_id,mother_id,sex,sample_id,missing\n"


@pytest.mark.parametrize(
    ("rows", "field", "message"),
    [
        ("F1,A,,,1,S1,0\nF1,MP,A,B,1,,1\n", "mother_id", "not a person of the family"),
        ("F1,A,,,2,S1,0\nF1,B,,,2,,0\nF1,MP,A,B,1,,1\n", "father_id", "has sex female"),
        ("F1,A,,,1,S1,0\nF1,B,,,1,,0\nF1,MP,A,B,1,,1\n", "mother_id", "has sex male"),
        ("F1,A,,,1,S1,1\nF1,MP,,,1,,1\n", "missing", "2 missing persons"),
        ("F1,A,,,1,S1,0\n", "missing", "no missing person"),
        ("F1,A,MP,B,1,S1,0\nF1,B,,,2,,0\nF1,MP,A,B,1,,1\n", "person_id", "own ancestor"),
        ("F1,A,A,B,1,S1,0\nF1,B,,,2,,0\nF1,MP,,,1,,1\n", "father_id", "own father"),
        ("F1,A,,,1,S1,0\nF1,MP,A,,1,,1\n", "mother_id", "one parent only"),
        ("F1,A,,,X,S1,0\nF1,MP,,,1,,1\n", "sex", "not 1/M"),
        ("F1,A,,,1,S1,0\nF1,A,,,1,,1\n", "person_id", "twice"),
    ],
)
def test_bad_pedigrees(tmp_path: Path, rows: str, field: str, message: str) -> None:
    path = write(tmp_path, "p.csv", PEDIGREE_HEADER + rows)
    with pytest.raises(InputError) as exc:
        read_pedigrees(path)
    assert any(p.field == field and message in p.message for p in exc.value.problems), (
        exc.value.problems
    )


def test_every_family_is_checked(tmp_path: Path) -> None:
    path = write(
        tmp_path, "p.csv",
        PEDIGREE_HEADER
        + "F1,A,,,1,S1,0\nF1,MP,A,Z,1,,1\nF2,B,,,1,S2,0\nF2,MP,,,1,,1\nF2,X,,,1,,1\n",
    )
    with pytest.raises(InputError) as exc:
        read_pedigrees(path)
    assert {p.row for p in exc.value.problems} >= {3}
    assert any("F2" in p.message for p in exc.value.problems)


def test_sex_letters_and_blank_unknown(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", PEDIGREE_HEADER + "F1,A,,,M,S1,0\nF1,B,,,F,,0\n"
                 "F1,MP,A,B,,,1\n")
    pedigree = read_pedigrees(path)["F1"]
    assert [p.sex for p in pedigree.persons] == [1, 2, 0]


def test_bad_cases(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "case_id,family_id,unknown_sample_id\nC1,F1,\nC1,F1,S\n")
    with pytest.raises(InputError) as exc:
        read_cases(path)
    assert {(2, "unknown_sample_id"), (3, "case_id")} <= problems(exc)


GENOTYPES_PLAIN = "sample_id,marker,allele1,allele2\nS1,vWA,16,17\nS1,TH01,,6\nS2,VWA,15,15\n"


@pytest.mark.parametrize(
    ("text", "bad_row"),
    [
        (GENOTYPES_PLAIN.replace(",,6\n", ",6,9.3\n"), None),  # plain file: row n = line n
        (GENOTYPES_PLAIN, 3),
        ("# export of 2026-11-21\n\n" + GENOTYPES_PLAIN, 5),  # comment and blank line first
        (GENOTYPES_PLAIN.replace("\n", "\r\n"), 3),  # Windows line ends
        ("sample_id , marker,allele1,allele2\n S1 ,vWA , 16,17\t\nS1,TH01,,6\nS2,VWA,15,15", 3),
        (GENOTYPES_PLAIN + "   \n", 3),  # trailing whitespace-only line
    ],
)
def test_genotype_rows_are_numbered_by_file_line(tmp_path: Path, text: str, bad_row: int | None) -> None:
    """Large machine-written files take a fast path; comments, blank lines, CR LF and padded
    values take the careful one. Both give the same genotypes and the same line numbers."""
    path = write(tmp_path, "genotypes.csv", text)
    if bad_row is None:
        assert read_genotypes(path) == {"S1": {"vWA": ("16", "17"), "TH01": ("6", "9.3")},
                                        "S2": {"vWA": ("15", "15")}}
        return
    with pytest.raises(InputError) as exc:
        read_genotypes(path)
    assert problems(exc) == {(bad_row, "allele1")}
    assert "genotypes.csv" in str(exc.value)


def test_padded_values_are_stripped(tmp_path: Path) -> None:
    path = write(tmp_path, "genotypes.csv", "sample_id,marker,allele1,allele2\n S1 ,vWA\t, 16 ,\u00a017\n")
    assert read_genotypes(path) == {"S1": {"vWA": ("16", "17")}}
