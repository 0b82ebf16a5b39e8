"""Property-based fuzzing of every importer (hypothesis): whatever the bytes, a reader answers with
its result or its own error type (problems naming the file), never another exception.

Inputs are CSV-like tables built from the tokens these files hold and the ones that broke readers
before (quotes, control characters, separators beyond the header, long values, line separators,
number edge cases), with the real header or a damaged one, any line end, UTF-8 with or without a
byte-order mark or Latin-1, and plain random bytes. Deterministic (``derandomize``) and bounded,
so CI runs the same examples every time; the database importers' no-half-write property is in
tests/services/test_importer_fuzz_db.py.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labtrack.core.errors import InputError
from labtrack.imports import dvi_dataset, exchange, mutation_rates, remains_dropout
from labtrack.imports.frequencies import read_frequencies
from labtrack.imports.pedigrees import read_pedigrees
from labtrack.imports.profiles import UnreadableFile
from labtrack.imports.reader import FORMATS, read_profiles

FUZZ = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

TOKENS = ["", " ", "S1", "QTF-00001-S01-0I", "REF-00001-A-XX", "D3S1358", "vWA", "TH01", "AMEL", "Amelogenin",
          "DYS391", "12", "9.3", "13.2", "<6", ">15", "OL", "X", "Y", "Q", "NA", "1", "0", "2", "M", "F", "U",
          "0.5", "1", "1e309", "nan", "inf", "-1", "0.0", "007", '"', '""', '"a,b"', "#", "\t", "=1+1", "\x00",
          "\x07", "\r", "\u2028", "\u0645\u0641\u0642\u0648\u062f", "\ufeff", "9" * 1100, "FAM-1", "P1", "MP",
          "true", "FALSE", "<", "<?xml", "</x>"]
FIELD = st.one_of(st.sampled_from(TOKENS), st.text(max_size=10))
ROW = st.lists(FIELD, max_size=9)

HEADERS = {
    "profiles": ["sample_id", "marker", "allele1", "allele2"],
    "genemapper": ["Sample Name", "Marker", "Allele 1", "Allele 2", "Allele 3"],
    "freqs": ["marker", "allele", "frequency", "count", "n_alleles"],
    "pedigrees": ["family_id", "person_id", "father_id", "mother_id", "sex", "sample_id", "missing"],
    "cases": ["case_id", "family_id", "unknown_sample_id"],
    "rates": ["marker", "female_rate", "male_rate"],
    "dropout": ["sample_id", "dropout"],
    "victims": ["sample_id", "sex"],
    "pairings": ["victim", "candidate"],
    "mutation_models": ["marker", "sex", "model", "rate", "range", "rate2"],
}


@st.composite
def table(draw: st.DrawFn, header: list[str]) -> bytes:
    """A CSV-like file around ``header`` (kept, damaged or replaced), or random bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    first = draw(st.one_of(st.just(header), st.just(header[:-1]), st.just([*header, "allele2"]), ROW))
    rows = draw(st.lists(st.one_of(ROW, st.lists(st.sampled_from(TOKENS), min_size=len(header),
                                                 max_size=len(header) + 2)), max_size=10))
    separator = draw(st.sampled_from([",", ",", "\t", ", "]))
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = end.join(separator.join(fields) for fields in [first, *rows]) + draw(st.sampled_from(["", end]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1"]))
    return text.encode(encoding, errors="replace")


XML = st.builds(lambda samples: ("<?xml version='1.0'?><CODISImportFile><SPECIMEN>" + samples
                                 + "</SPECIMEN></CODISImportFile>").encode(),
                st.text(alphabet=st.sampled_from(list("<>/ab=\"'& 12.LOCUS")), max_size=80))


def _file(raw: bytes, name: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    path = folder / name
    path.write_bytes(raw)
    return path


def _only(error_type: type[Exception], call: Callable[[], Any]) -> None:
    try:
        call()
    except error_type as error:
        assert str(error)  # the error says what is wrong


@FUZZ
@given(raw=st.one_of(table(HEADERS["profiles"]), table(HEADERS["genemapper"]), XML),
       file_format=st.sampled_from(FORMATS))
def test_profile_readers_answer_a_parsed_file_or_unreadable(raw: bytes, file_format: str) -> None:
    try:
        parsed = read_profiles(raw, filename="fuzz.csv", file_format=file_format)
    except UnreadableFile as error:
        assert str(error)
        return
    assert all(p.file == "fuzz.csv" for p in parsed.problems)


@FUZZ
@given(raw=table(HEADERS["freqs"]))
def test_frequency_import_reader_answers_rows_or_problems(raw: bytes) -> None:
    rows, problems = read_frequencies(raw, filename="f.csv")
    assert all(p.file == "f.csv" for p in problems)
    assert all(0 < row.frequency <= 1 for row in rows)


@FUZZ
@given(raw=table(HEADERS["pedigrees"]))
def test_pedigree_import_reader_answers_rows_or_problems(raw: bytes) -> None:
    rows, problems = read_pedigrees(raw, filename="p.csv")
    assert all(p.file == "p.csv" for p in problems)
    if not problems:  # what is accepted holds nothing a table must not
        assert all(value.isprintable() for row in rows for value in (row.family_id, row.person_id))


@FUZZ
@given(raw=table(HEADERS["freqs"]))
def test_exchange_freqs(raw: bytes) -> None:
    _only(InputError, lambda: exchange.read_freqs(_file(raw, "freqs.csv")))


@FUZZ
@given(raw=table(HEADERS["profiles"]))
def test_exchange_genotypes(raw: bytes) -> None:
    _only(InputError, lambda: exchange.read_genotypes(_file(raw, "genotypes.csv")))


@FUZZ
@given(raw=table(HEADERS["pedigrees"]))
def test_exchange_pedigrees(raw: bytes) -> None:
    _only(InputError, lambda: exchange.read_pedigrees(_file(raw, "pedigrees.csv")))


@FUZZ
@given(raw=table(HEADERS["cases"]))
def test_exchange_cases(raw: bytes) -> None:
    _only(InputError, lambda: exchange.read_cases(_file(raw, "cases.csv")))


@FUZZ
@given(raw=table(HEADERS["rates"]))
def test_mutation_rates(raw: bytes) -> None:
    _only(InputError, lambda: mutation_rates.read_mutation_rates(_file(raw, "rates.csv")))


@FUZZ
@given(raw=table(HEADERS["dropout"]))
def test_remains_dropout(raw: bytes) -> None:
    _only(InputError, lambda: remains_dropout.read_remains_dropout(_file(raw, "dropout.csv")))


@FUZZ
@given(raw=table(HEADERS["victims"]))
def test_dvi_victims(raw: bytes) -> None:
    _only(InputError, lambda: dvi_dataset.read_victims(_file(raw, "victims.csv")))


@FUZZ
@given(raw=table(HEADERS["pedigrees"]))
def test_dvi_pedigrees(raw: bytes) -> None:
    _only(InputError, lambda: dvi_dataset.read_dvi_pedigrees(_file(raw, "pedigrees.csv")))


@FUZZ
@given(raw=table(HEADERS["pairings"]))
def test_dvi_pairings(raw: bytes) -> None:
    _only(InputError, lambda: dvi_dataset.read_pairings(_file(raw, "pairings.csv")))


@FUZZ
@given(raw=table(HEADERS["mutation_models"]))
def test_dvi_mutation_models(raw: bytes) -> None:
    _only(InputError, lambda: dvi_dataset.read_mutation_models(_file(raw, "mutation_models.csv")))
