"""Reading scans back: Arabic keyboard layout, check characters, bounce, double scans (no app)."""

from __future__ import annotations

import pytest

from labtrack.core import ids
from labtrack.core.scanning import (
    LAYOUT_TO_LATIN,
    MULTI_KEY,
    duplicate_in_batch,
    is_repeat,
    read_scan,
    readings,
)

# what the Arabic (101/PC) layout types for each key, unshifted (lower case) and shifted (upper case)
KEY_TO_ARABIC = {latin: arabic for arabic, latin in LAYOUT_TO_LATIN.items() if not arabic.isdigit()}
KEY_TO_ARABIC.update({latin: arabic for arabic, latin in MULTI_KEY.items()})


def as_typed_on_arabic_layout(text: str) -> str:
    return "".join(KEY_TO_ARABIC.get(char, char) for char in text)


def test_documented_rows_of_the_layout() -> None:
    assert "".join(LAYOUT_TO_LATIN[c] for c in "ضصثقفغعهخحجد") == "qwertyuiop[]"
    assert "".join(LAYOUT_TO_LATIN[c] for c in "شسيبلاتنمكط") == "asdfghjkl;'"
    assert "".join(LAYOUT_TO_LATIN[c] for c in "ئءؤرىةوزظ") == "zxcvnm,./"
    assert MULTI_KEY["لا"] == "b"


@pytest.mark.parametrize("accession", [
    ids.remains_id("QTF", 42), ids.sample_id(ids.remains_id("NJH", 7), 3), ids.location_id("R01", "F02", "B07"),
    ids.badge_id(12), ids.reference_id(1234, "B"),
    # shapes with room to grow
    ids.remains_id("QTF", 1_234_567), ids.sample_id(ids.remains_id("NJH", 100_000), 99),
    ids.reference_id(12_345_678, "C"), ids.badge_id(123_456), ids.document_number(2026, 10_000_000),
])
def test_ids_typed_on_an_arabic_layout_read_back(accession: str) -> None:
    for typed in (as_typed_on_arabic_layout(accession), as_typed_on_arabic_layout(accession.lower())):
        assert typed != accession
        reading = read_scan(typed)
        assert reading.accession == accession, (typed, reading)
        assert reading.remapped


def test_every_id_letter_survives_the_arabic_layout() -> None:
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        typed = as_typed_on_arabic_layout(letter)
        assert letter in {reading.upper() for reading in readings(typed)}, letter
        typed_lower = as_typed_on_arabic_layout(letter.lower())
        assert letter in {reading.upper() for reading in readings(typed_lower)}, letter


def test_lam_alef_ambiguity_is_resolved_by_the_check_characters() -> None:
    # "GH" typed unshifted is ل + ا, the same code points as the "b" key (lam-alef)
    body = "LOC-R01"
    accession = ids.with_check(body)
    typed = as_typed_on_arabic_layout(accession.lower()).replace("ل", "ل")
    assert read_scan(typed).accession == accession


def test_arabic_indic_digits() -> None:
    assert read_scan("QTF-٠٠٠٤٢-IQ").accession == "QTF-00042-IQ"


def test_latin_input_is_normalised() -> None:
    reading = read_scan("  qtf-00042-iq\n")
    assert reading.accession == "QTF-00042-IQ" and not reading.remapped and reading.kind == "remains"


def test_mistyped_id_is_refused_with_a_reason() -> None:
    reading = read_scan("QTF-00043-IQ")
    assert not reading.ok and "mistyped or misread" in (reading.error or "")
    assert not read_scan("").ok
    assert "shape" in (read_scan("HELLO-WORLD-XX").error or "")


def test_repeat_within_two_seconds_is_ignored() -> None:
    assert is_repeat("A", last_code="A", last_at=10.0, now=11.5)
    assert not is_repeat("A", last_code="A", last_at=10.0, now=12.1)
    assert not is_repeat("A", last_code="B", last_at=10.0, now=10.1)
    assert not is_repeat("A", last_code=None, last_at=None, now=10.1)


def test_double_scan_in_batch() -> None:
    assert duplicate_in_batch("X", ["Y", "X"])
    assert not duplicate_in_batch("X", [])
