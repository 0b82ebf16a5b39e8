"""Inquiry codes: an alphabet that survives handwriting and Arabic keyboards, check characters that
refuse mistyped codes before any lookup, and secrets kept only as keyed scrypt hashes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labtrack.core import inquiry_codes as ic
from labtrack.core.contact_details import InvalidDetail, clean_text, normalise_phone
from labtrack.core.scanning import LAYOUT_TO_LATIN, MULTI_KEY

codes = st.builds(ic.InquiryCode, st.text(ic.ALPHABET, min_size=6, max_size=6),
                  st.text(ic.ALPHABET, min_size=12, max_size=12))
ARABIC_KEY = {latin: arabic for arabic, latin in LAYOUT_TO_LATIN.items() if not arabic.isdigit()} | {
    latin: arabic for arabic, latin in MULTI_KEY.items()}


def test_alphabet_has_no_look_alikes_and_a_prime_size() -> None:
    assert len(ic.ALPHABET) == 23 and len(set(ic.ALPHABET)) == 23
    for confusable in "0ODQ1IL" "SZGB" "UV":
        assert confusable not in ic.ALPHABET
    assert ic.CODE_LENGTH == 20 and ic.SECRET_LENGTH >= 10


def test_new_codes_are_random_and_well_formed() -> None:
    made = [ic.new_code() for _ in range(200)]
    assert len({c.text for c in made}) == 200
    for code in made[:20]:
        assert len(code.text) == 20 and set(code.text) <= set(ic.ALPHABET)
        assert ic.read_code(code.display) == code
        assert code.secret not in repr(code)


@given(codes, st.integers(0, 19), st.sampled_from(ic.ALPHABET))
def test_every_single_substitution_is_refused(code: ic.InquiryCode, position: int, char: str) -> None:
    text = code.text
    if text[position] == char:
        return
    with pytest.raises(ic.MalformedCode) as error:
        ic.read_code(text[:position] + char + text[position + 1:])
    assert error.value.problem == ic.CHECK


@given(codes, st.integers(0, 19), st.integers(0, 19), st.sampled_from(ic.ALPHABET), st.sampled_from(ic.ALPHABET))
def test_every_double_substitution_is_refused(code: ic.InquiryCode, i: int, j: int, a: str, b: str) -> None:
    chars = list(code.text)
    chars[i], chars[j] = a, b
    changed = "".join(chars)
    if changed == code.text:
        return
    with pytest.raises(ic.MalformedCode):
        ic.read_code(changed)


@given(codes, st.integers(0, 19), st.integers(0, 19))
def test_every_transposition_is_refused(code: ic.InquiryCode, i: int, j: int) -> None:
    chars = list(code.text)
    chars[i], chars[j] = chars[j], chars[i]
    swapped = "".join(chars)
    if swapped == code.text:
        return
    with pytest.raises(ic.MalformedCode):
        ic.read_code(swapped)


@given(codes)
def test_what_people_type_is_read_back(code: ic.InquiryCode) -> None:
    assert ic.read_code(code.display.lower()) == code
    assert ic.read_code(" ".join(code.display.split("-"))) == code
    assert ic.read_code(code.text) == code


@given(codes)
def test_codes_typed_on_the_arabic_keyboard_layout_are_read_back(code: ic.InquiryCode) -> None:
    unshifted = "".join(ARABIC_KEY.get(char.lower(), char) for char in code.display)
    shifted = "".join(ARABIC_KEY.get(char, char) for char in code.display)
    assert ic.read_code(unshifted) == code
    assert ic.read_code(shifted) == code


def test_arabic_indic_digits_full_width_letters_and_confusable_letters() -> None:
    code = ic.InquiryCode("K7MXF3", "A9TRWE4HNCP2")
    arabic_digits = "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in code.display)
    persian_digits = "".join(chr(0x06F0 + int(c)) if c.isdigit() else c for c in code.display)
    full_width = "".join(chr(ord(c) + 0xFEE0) if c != "-" else c for c in code.display)
    assert ic.read_code(arabic_digits) == ic.read_code(persian_digits) == ic.read_code(full_width) == code
    code5 = ic.InquiryCode("5KM2XF", "A9TRWE4HNC8P")
    misread = code5.display.replace("5", "S").replace("2", "Z").replace("8", "B")
    assert ic.read_code(misread) == code5
    assert ic.read_code("\u200f" + code.display + "\u200e") == code  # invisible direction marks


@pytest.mark.parametrize(("typed", "problem"), [
    ("", ic.EMPTY), ("   - ", ic.EMPTY), ("K7MX-F3A9-TRWE-4HNC-P2M", ic.LENGTH),
    ("K7MX-F3A9-TRWE-4HNC-P2ME-K", ic.LENGTH), ("K7MX-F3A9-TRWE-4HNC-P2M!", ic.CHARACTERS),
    ("K7MX-F3A0-TRWE-4HNC-P2ME", ic.CHARACTERS), ("محمد أحمد", ic.CHARACTERS),
    ("K7MX-F3A9-TRWE-4HNC-P2MA", ic.CHECK), ("X" * 201, ic.TOO_LONG),
])
def test_malformed_input_says_what_is_wrong(typed: str, problem: str) -> None:
    with pytest.raises(ic.MalformedCode) as error:
        ic.read_code(typed)
    assert error.value.problem == problem


def test_random_strings_pass_the_checks_rarely() -> None:
    import random

    rng = random.Random(7)
    passed = sum(ic.is_consistent("".join(rng.choice(ic.ALPHABET) for _ in range(20))) for _ in range(20000))
    assert passed < 20000 * 3 / 529  # expected 1/529


def test_the_secret_is_stored_only_as_a_keyed_scrypt_hash() -> None:
    hasher = ic.SecretHasher(b"server key", n=16)
    code = ic.new_code()
    stored = hasher.hash(code.reference, code.secret)
    assert stored.startswith("scrypt$16$8$1$") and code.secret not in stored and code.reference not in stored
    assert hasher.verify(code.reference, code.secret, stored)
    assert stored != hasher.hash(code.reference, code.secret)  # salted
    wrong = ic.SecretHasher(b"another key", n=16)
    assert not wrong.verify(code.reference, code.secret, stored)  # the database alone is not enough
    assert not hasher.verify(code.reference, code.secret[::-1], stored)
    assert not hasher.verify("AAAAAA", code.secret, stored)
    assert not hasher.verify(code.reference, code.secret, "not a hash")
    assert not hasher.verify(code.reference, code.secret, hasher.decoy)
    assert hasher.decoy.startswith("scrypt$16$")  # the decoy costs the same as a real hash


def test_stronger_cost_is_kept_in_the_stored_hash() -> None:
    code = ic.new_code()
    stored = ic.SecretHasher(b"k", n=32).hash(code.reference, code.secret)
    assert ic.SecretHasher(b"k", n=16).verify(code.reference, code.secret, stored)


def test_client_tag_is_keyed_and_short() -> None:
    tag = ic.SecretHasher(b"k").client_tag("203.0.113.7")
    assert len(tag) == 16 and "203" not in tag
    assert tag == ic.SecretHasher(b"k").client_tag("203.0.113.7") != ic.SecretHasher(b"j").client_tag("203.0.113.7")


def test_phone_numbers_and_names() -> None:
    assert normalise_phone("٠٩٣٣ ١٢٣ ٤٥٦") == "0933 123 456"
    assert normalise_phone("(011) 222-3344") == "(011) 222-3344"
    for bad in ("", "12345", "call me", "+963 933 <b>", "1" * 21, "++963933123456"):
        with pytest.raises(InvalidDetail):
            normalise_phone(bad)
    assert clean_text("أم\u202e أحمد ", 50) == "أم أحمد"
    with pytest.raises(InvalidDetail):
        clean_text("x" * 201, 200)
