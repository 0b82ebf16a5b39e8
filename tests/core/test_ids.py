"""Accession IDs: ISO/IEC 7064 MOD 37,36 vectors, formats, and error detection (property tests)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labtrack.core import ids

ALPHABET_WITH_HYPHEN = ids.ALPHABET + "-"


@pytest.mark.parametrize(("body", "check"), [
    ("123AB", "X"), ("DADPIDA3897722461", "J"), ("A12425GABC1234002", "M"),
])
def test_published_mod37_36_vectors(body: str, check: str) -> None:
    assert ids.mod37_36_check(body) == check


def test_generators_produce_valid_ids_of_each_kind() -> None:
    remains = ids.remains_id("QTF", 42)
    assert remains.startswith("QTF-00042-") and ids.parse(remains).kind == "remains"
    sample = ids.sample_id(remains, 3)
    parsed = ids.parse(sample)
    assert (parsed.kind, parsed.site_code, parsed.remains_number, parsed.sample_number) == (
        "sample", "QTF", 42, 3)
    assert ids.parse(ids.reference_id(1234)).kind == "reference"
    assert ids.parse(ids.location_id("R01", "F02", "S03", "B07")).kind == "location"
    assert ids.parse(ids.badge_id(7)).kind == "badge"
    assert ids.parse(ids.document_number(2026, 17)).kind == "document"


def test_scanner_noise_is_normalised() -> None:
    remains = ids.remains_id("NJH", 1)
    assert ids.validate(f"  {remains.lower()}\r\n") == remains


@pytest.mark.parametrize("text", ["", "QTF", "QTF-00042", "QTF_00042-IQ", "QTF-00042-?Q", "ABC-1-2"])
def test_malformed_ids_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(ids.InvalidAccession) as info:
        ids.validate(text)
    assert str(info.value)


def test_wrong_check_character_message_says_mistyped() -> None:
    remains = ids.remains_id("QTF", 42)
    wrong = remains[:-1] + ("A" if remains[-1] != "A" else "B")
    with pytest.raises(ids.InvalidAccession, match="mistyped or misread"):
        ids.validate(wrong)


valid_ids = st.one_of(
    st.builds(ids.remains_id, st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3)
              .filter(lambda c: c not in ("REF", "LOC", "USR", "DOC")), st.integers(1, 99999)),
    st.builds(lambda site, n, s: ids.sample_id(ids.remains_id(site, n), s),
              st.sampled_from(["QTF", "NJH", "ABC"]), st.integers(1, 99999), st.integers(1, 99)),
    st.builds(ids.reference_id, st.integers(0, 99999), st.sampled_from(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))),
    st.builds(lambda parts: ids.location_id(*parts),
              st.lists(st.builds(lambda c, n: f"{c}{n:02d}", st.sampled_from(list("RFSBP")),
                                 st.integers(0, 99)), min_size=1, max_size=5)),
    st.builds(ids.badge_id, st.integers(0, 9999)),
)


@given(valid_ids, st.data())
def test_every_single_substitution_is_rejected(accession: str, data: st.DataObject) -> None:
    assert ids.is_valid(accession)
    position = data.draw(st.integers(0, len(accession) - 1))
    replacement = data.draw(st.sampled_from(ALPHABET_WITH_HYPHEN).filter(lambda c: c != accession[position]))
    mutated = accession[:position] + replacement + accession[position + 1:]
    assert not ids.is_valid(mutated), mutated


@given(valid_ids)
def test_every_adjacent_transposition_is_rejected(accession: str) -> None:
    for i in range(len(accession) - 1):
        if accession[i] == accession[i + 1]:
            continue
        swapped = accession[:i] + accession[i + 1] + accession[i] + accession[i + 2:]
        assert not ids.is_valid(swapped), swapped


@given(valid_ids)
def test_exhaustive_single_substitutions(accession: str) -> None:
    for i, original in enumerate(accession):
        for replacement in ALPHABET_WITH_HYPHEN:
            if replacement != original:
                assert not ids.is_valid(accession[:i] + replacement + accession[i + 1:])


def test_mod37_36_alone_misses_this_transposition_which_the_id_scheme_catches() -> None:
    """Why IDs carry two check characters: MOD 37,36 gives 03200 and 02300 the same character."""
    assert ids.mod37_36_check("REF03200A") == ids.mod37_36_check("REF02300A")
    assert not ids.is_valid(ids.reference_id(2300).replace("02300", "03200"))


def test_last_character_is_the_iso_7064_mod37_36_check_of_the_rest() -> None:
    accession = ids.sample_id(ids.remains_id("NJH", 7), 2)
    assert accession[-1] == ids.mod37_36_check(accession[:-1].replace("-", ""))
