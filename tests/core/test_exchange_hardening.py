"""Exchange files (freqs, genotypes, pedigrees, cases) and the frequency and pedigree imports that
must not fool or flood their readers: values beyond the header on any row, over-long lines and
fields, control characters, quoted line breaks, repeated header names, files too large; every
refusal names file, row and field. (The profile readers' equivalents: test_import_hardening.py.)"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from labtrack.core.errors import InputError
from labtrack.imports import exchange, table_text
from labtrack.imports.frequencies import read_frequencies
from labtrack.imports.pedigrees import PedigreeRow, parents_first, read_pedigrees, validate_family

GENOTYPES = "sample_id,marker,allele1,allele2\n"
PEDIGREE = "family_id,person_id,father_id,mother_id,sex,sample_id,missing\n"
FREQS = "marker,allele,frequency\n"


def _refused(tmp_path: Path, reader: object, text: str | bytes, name: str = "g.csv") -> list[tuple]:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    with pytest.raises(InputError) as caught:
        reader(path)  # type: ignore[operator]
    return [(p.file, p.row, p.field, p.message) for p in caught.value.problems]


def test_an_extra_allele_on_the_first_row_is_refused_not_a_shift_of_every_column(tmp_path: Path) -> None:
    # pandas took the first column as the index: sample S1 vanished and D3S1358 became a sample
    [(file, row, _field, message)] = _refused(tmp_path, exchange.read_genotypes,
                                              GENOTYPES + "S1,D3S1358,15,16,17\nS1,vWA,14,18\n")
    assert (file, row) == ("g.csv", 2)
    assert message.startswith("the row has 5 fields but the header has 4: the values '17' beyond the header")


def test_an_extra_value_on_a_later_row_names_the_file_line_past_comments_and_blanks(tmp_path: Path) -> None:
    text = "# exported\n" + GENOTYPES + "S1,D3S1358,15,16\n\nS1,vWA,14,18,19\n"
    [(_file, row, _field, message)] = _refused(tmp_path, exchange.read_genotypes, text)
    assert row == 5 and "'19'" in message


def test_a_case_row_with_an_extra_value_is_refused(tmp_path: Path) -> None:
    # it was read as case F1 of family S1 (every value one column to the left)
    problems = _refused(tmp_path, exchange.read_cases, "case_id,family_id,unknown_sample_id\nC1,F1,S1,S2\n", "c.csv")
    assert problems[0][:2] == ("c.csv", 2) and "'S2'" in problems[0][3]


def test_empty_trailing_separators_are_harmless(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text(GENOTYPES + "S1,D3S1358,15,16,\nS1,vWA,14,,\n")
    assert exchange.read_genotypes(path) == {"S1": {"D3S1358": ("15", "16"), "vWA": ("14",)}}


@pytest.mark.parametrize(("bad", "what"), [("\x00", "a NUL byte"), ("\x07", "the control character U+0007"),
                                           ("\u2028", "the control character U+2028")])
def test_nul_and_control_characters_are_refused_with_the_row(tmp_path: Path, bad: str, what: str) -> None:
    [(_file, row, _field, message)] = _refused(tmp_path, exchange.read_genotypes,
                                               GENOTYPES + f"S1,D3S1358,15,16\nS1,vWA,1{bad}4,18\n")
    assert row == 3 and message.startswith(f"holds {what}")


def test_a_huge_single_line_is_refused_before_parsing_with_little_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"x," * 3_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(InputError) as caught:
            exchange.read_genotypes(path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    [problem] = caught.value.problems
    assert problem.row == 1 and "6,000,000 characters long (at most 65,536)" in problem.message
    assert peak < 80 * 1024 * 1024  # a few copies of the 6 MB text, not a parser's gigabytes


def test_an_over_long_value_is_refused_naming_row_and_field(tmp_path: Path) -> None:
    [(_file, row, field, message)] = _refused(tmp_path, exchange.read_genotypes,
                                              GENOTYPES + "S1,D3S1358,15,16\n" + "S" * 5000 + ",vWA,14,18\n")
    assert (row, field) == (3, "sample_id") and "5,000 characters long (at most 1,024)" in message


def test_a_quoted_value_may_not_span_lines(tmp_path: Path) -> None:
    [(_file, row, _field, message)] = _refused(tmp_path, exchange.read_pedigrees,
                                               PEDIGREE + 'F1,"MP\n",,,1,,1\n', "p.csv")
    assert row == 2 and "not closed on its line" in message


def test_a_column_named_twice_is_refused(tmp_path: Path) -> None:
    # pandas renamed the second allele2 to allele2.1 and its values were never read
    [(_file, row, field, message)] = _refused(tmp_path, exchange.read_genotypes,
                                              "sample_id,marker,allele1,allele2,allele2\nS1,D3S1358,15,16,17\n")
    assert (row, field) == (1, "allele2") and "appears twice" in message


def test_not_utf8_names_the_row(tmp_path: Path) -> None:
    [(_file, row, _field, message)] = _refused(tmp_path, exchange.read_freqs,
                                               FREQS.encode() + b"D3S1358,15,0.5\nD3S1358,\xff,0.5\n", "f.csv")
    assert row == 3 and message.startswith("the file is not UTF-8 text")


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table_text, "MAX_FILE_BYTES", 100)
    path = tmp_path / "g.csv"
    path.write_text(GENOTYPES + "S1,D3S1358,15,16\n" * 10)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read a file over the limit"))
    with pytest.raises(InputError, match=r"the file is 203 bytes; at most 100 are read at once"):
        exchange.read_genotypes(path)


def test_a_marker_with_more_alleles_than_any_str_has_is_refused(tmp_path: Path) -> None:
    alleles = [f"{bound}{repeats}.{tenth}" for bound in ("", "<", ">") for repeats in range(1, 100)
               for tenth in range(10)]  # every one a valid allele name: 2,970 of them
    rows = "".join(f"D3S1358,{allele},0.0005\n" for allele in alleles[:2001])
    problems = _refused(tmp_path, exchange.read_freqs, FREQS + rows, "f.csv")
    assert problems[0][1:3] == (1002, "allele") and "more than 1000 alleles" in problems[0][3]


def test_frequency_import_with_an_extra_value_is_a_problem_not_a_crash() -> None:
    # DictReader put the extra value under the key None: AttributeError ('list' has no strip)
    rows, problems = read_frequencies((FREQS + "D3S1358,15,0.5,0.2\nD3S1358,16,0.5\n").encode(), filename="f.csv")
    assert rows == [] and [(p.file, p.row) for p in problems] == [("f.csv", 2)]
    assert "the values '0.2' beyond the header" in problems[0].message


@pytest.mark.parametrize("read", [read_frequencies, read_pedigrees])
def test_a_field_over_the_csv_module_limit_is_a_problem_not_a_crash(read: object) -> None:
    # csv.Error "field larger than field limit (131072)": a 500 on the pedigree upload
    header = FREQS if read is read_frequencies else PEDIGREE
    raw = (header + '"' + "A" * 200_000 + '",1,1\n').encode()
    rows, problems = read(raw, filename="up.csv")  # type: ignore[operator]
    assert rows == [] and [(p.file, p.row) for p in problems] == [("up.csv", 2)]
    assert "200,006 characters long (at most 65,536)" in problems[0].message


@pytest.mark.parametrize("cell", ["MP\x00", "MP\x1b", "\"M\rP\""])
def test_pedigree_ids_with_control_characters_or_line_breaks_are_refused(cell: str) -> None:
    rows, problems = read_pedigrees((PEDIGREE + f"F1,{cell},,,1,,1\n").encode(), filename="p.csv")
    assert rows == [] and [(p.file, p.row) for p in problems] == [("p.csv", 2)]


def test_pedigree_loops_are_found_in_linear_time_and_only_the_people_in_them() -> None:
    # 30,000 generations: the check walked every person's ancestry (quadratic: hours, not ms)
    n = 30_000
    rows = [PedigreeRow("F", f"P{k}", f"P{k - 1}" if k else "", f"M{k - 1}" if k else "", "M", "", k == n - 1, k)
            for k in range(n)] + [PedigreeRow("F", f"M{k}", "", "", "F", "", False, n + k) for k in range(n)]
    assert validate_family(rows) == []
    looped = [PedigreeRow("F", "A", "B", "W", "M", "", False, 1), PedigreeRow("F", "B", "A", "W", "M", "", False, 2),
              PedigreeRow("F", "W", "", "", "F", "", False, 3),
              PedigreeRow("F", "C", "A", "W", "M", "", True, 4),  # a child of the loop: not in it
              PedigreeRow("F", "S", "S", "W", "M", "", False, 5)]  # their own father
    found = [p for p in validate_family(looped) if "own ancestor" in p.message]
    assert [(p.row, p.message.split(": ")[1]) for p in found] == [
        (1, "A is their own ancestor (a loop in the family tree)"),
        (2, "B is their own ancestor (a loop in the family tree)"),
        (5, "S is their own ancestor (a loop in the family tree)")]


def test_parents_first_orders_by_generation_then_file_order() -> None:
    rows = [PedigreeRow("F", "C", "A", "B", "M", "", True), PedigreeRow("F", "A", "", "", "M", "", False),
            PedigreeRow("F", "G", "C", "D", "M", "", False), PedigreeRow("F", "B", "", "", "F", "", False),
            PedigreeRow("F", "D", "", "", "F", "", False)]
    assert [r.person_id for r in parents_first(rows)] == ["A", "B", "D", "C", "G"]


def test_an_infinite_allele_count_is_a_problem_not_an_overflow(tmp_path: Path) -> None:
    # found by the importer fuzzing: int(float("1e309")) raised OverflowError
    problems = _refused(tmp_path, exchange.read_freqs, "marker,allele,frequency,n_alleles\nD3S1358,15,1,1e309\n",
                        "f.csv")
    assert ("f.csv", 2, "n_alleles", "n_alleles '1e309' is not a positive whole number") in problems
