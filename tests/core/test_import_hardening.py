"""Files that must not fool or flood the profile readers: values beyond the header on any row
(a mixture would otherwise enter the search as a clean profile), over-long lines, NUL bytes and
control characters; and CSV exports that a spreadsheet cannot turn into formulas."""

from __future__ import annotations

import re
import tracemalloc

import pytest

from labtrack.imports.profiles import UnreadableFile
from labtrack.imports.reader import read_profiles
from labtrack.services import exports

HEADER = "sample_id,marker,allele1,allele2\n"


def _read(text: str) -> object:
    return read_profiles(text.encode(), filename="f.csv")


def test_extra_alleles_on_the_first_row_are_refused_not_dropped() -> None:
    with pytest.raises(UnreadableFile, match=r"row 2 has 5 fields but the header has 4: the values '17'") as error:
        _read(HEADER + "QTF-1,D3S1358,15,16,17\nQTF-1,vWA,14,18\n")
    assert "mixture" in str(error.value) and "nothing was imported" in str(error.value)


def test_extra_alleles_on_a_later_row_are_refused_naming_the_row() -> None:
    with pytest.raises(UnreadableFile, match=r"row 4 has 6 fields but the header has 4: the values '9', '11'"):
        _read(HEADER + "QTF-1,D3S1358,15,16\nQTF-1,vWA,14,18\nQTF-1,TH01,6,7,9,11\n")


def test_empty_trailing_separators_are_not_extra_values() -> None:
    parsed = _read(HEADER + "QTF-1,D3S1358,15,16,\nQTF-1,vWA,14,18,\n")
    assert [p.sample_id for p in parsed.profiles] == ["QTF-1"]  # type: ignore[attr-defined]
    assert set(parsed.profiles[0].loci) == {"D3S1358", "vWA"}  # type: ignore[attr-defined]


def test_a_huge_single_line_is_refused_before_parsing_with_little_memory() -> None:
    raw = ("x," * 3_000_000).encode()
    tracemalloc.start()
    try:
        with pytest.raises(UnreadableFile, match=r"row 1 is 6,000,000 characters long \(at most 65,536\)"):
            read_profiles(raw, filename="big.csv")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 60 * 1024 * 1024  # a few copies of the 6 MB text, not pandas' gigabytes


@pytest.mark.parametrize(("cell", "what"), [("15\x00", "a NUL byte"), ("1\x075", "the control character U+0007")])
def test_nul_bytes_and_control_characters_are_refused_naming_the_row(cell: str, what: str) -> None:
    with pytest.raises(UnreadableFile, match=re.escape(f"row 3 holds {what}")):
        _read(HEADER + "QTF-1,D3S1358,15,16\n" + f"QTF-1,vWA,{cell},18\n")


def test_formulas_after_a_line_break_inside_a_cell_are_neutralised_and_quoted() -> None:
    table = (["name"], [["Ali\r=HYPERLINK(\"http://x\")"], ["Omar\n+1"], ["=SUM(A1)"], ["plain\r\nline"]])
    text = exports.to_csv(table).decode()
    assert "\"Ali\r'=HYPERLINK(\"\"http://x\"\")\"" in text
    assert "\"Omar\n'+1\"" in text and "'=SUM(A1)" in text and "\"plain\r\nline\"" in text
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        assert not line.startswith(("=", "+", "@")), line


def test_carriage_return_line_ends_are_rows_not_a_csv_error() -> None:
    # found by the importer fuzzing: csv.Error "new-line character seen in unquoted field" (a 500)
    with pytest.raises(UnreadableFile, match=r"row 2 has 5 fields but the header has 4: the values '17'"):
        read_profiles(b"sample_id,marker,allele1,allele2\rS1,D3S1358,15,16,17\rS1,vWA,14,18\r", filename="mac.csv")
    assert read_profiles(b"sample_id,marker,allele1,allele2\r,,,,", filename="mac.csv").profiles == []


def test_a_file_of_separators_and_blank_lines_is_unreadable_not_a_pandas_error() -> None:
    # found by the importer fuzzing: pandas.errors.EmptyDataError escaped the reader
    with pytest.raises(UnreadableFile, match="the file has no columns"):
        read_profiles(b"\n\n,", filename="empty.csv")
