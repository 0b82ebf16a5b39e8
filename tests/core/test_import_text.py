"""Frequency tables and pedigrees that are not UTF-8 are refused with the file named."""

from __future__ import annotations

from labtrack.imports.frequencies import read_frequencies
from labtrack.imports.pedigrees import read_pedigrees

LATIN1 = "family_id,person_id,father_id,mother_id,sex,sample_id,missing\nF1,Müller,,,1,,1\n".encode("latin-1")


def test_non_utf8_files_are_refused_with_their_name() -> None:
    for read in (read_frequencies, read_pedigrees):
        rows, problems = read(LATIN1, filename="upload.csv")
        assert rows == []
        assert [(p.file, p.row, p.message) for p in problems] == [
            ("upload.csv", 2, "the file is not UTF-8 text (byte 0xfc at position 66)")]


def test_a_byte_order_mark_is_accepted() -> None:
    rows, problems = read_pedigrees("\ufefffamily_id,person_id,father_id,mother_id,sex,sample_id,missing\n"
                                    "F1,MP,,,1,,1\n".encode(), filename="bom.csv")
    assert problems == [] and [r.person_id for r in rows] == ["MP"]
