"""Accession IDs and their check characters (pure: no I/O).

Every physical item has a human-readable accession ID that is also its barcode, e.g.
``QTF-00042-IQ`` (remains 42 of site QTF), ``QTF-00042-S03-ON`` (its third sample),
``REF-01234-A-CK`` (a donor's reference kit), ``LOC-F02-S03-B07-52`` (a storage box).

Each kind has a fixed shape, so a hyphen moved by one place or typed instead of a character is
refused even though the check character ignores hyphens. Numbers have a minimum width (zero-padded,
the widths of the first labels printed) and grow beyond it without a leading zero: remains 99,999 of
site QTF is ``QTF-99999-…``, remains 100,000 is ``QTF-100000-…``. So every label printed before
stays valid and every number has exactly one ID. ``CAPACITY`` gives the largest number of each
kind: 10⁷ - 1 remains per site, 99 samples per remains, 10⁸ - 1 reference kits (each with up to 26
letters), 10⁸ - 1 documents a year, 10⁶ - 1 user badges.

IDs use the alphabet ``0-9 A-Z -`` only: punctuation other than the hyphen differs between
keyboard layouts, so a keyboard-wedge scanner would type it wrongly on some workstations.

Check characters: an ID ends with ``-XY``. ``Y``, the last character, is the ISO/IEC 7064
MOD 37,36 check character of the body's data characters (hyphens removed) followed by ``X``.
MOD 37,36 detects every single substitution but, being a hybrid system, misses some adjacent
transpositions of characters whose values differ by one (e.g. ``REF-03200`` and ``REF-02300``
share a MOD 37,36 character). ``X`` closes that gap: it is a position-weighted sum of the data
characters modulo 31 (weights 1, 2, 3, ...), which changes under every adjacent transposition of
characters whose values do not differ by 31, while MOD 37,36 catches those. Together every
single substitution and every adjacent transposition is rejected (the property tests check it).

>>> mod37_36_check("123AB")
'X'
>>> with_check("QTF-00042")
'QTF-00042-IQ'
>>> is_valid("QTF-00042-IQ")
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from labtrack.core.messages import msg

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # the 36 data characters, valued 0..35
_MODULUS = 36
_POSITION_MODULUS = 31
_BODY = re.compile(r"^[0-9A-Z]+(?:-[0-9A-Z]+)*$")


def _number(width: int, max_width: int) -> str:
    """A number of ``width`` digits (zero-padded), or up to ``max_width`` digits without a leading zero."""
    return rf"(?:\d{{{width}}}|[1-9]\d{{{width},{max_width - 1}}})"


# (minimum width, maximum width) of the number in each kind of ID
WIDTHS: dict[str, tuple[int, int]] = {
    "remains": (5, 7), "sample": (2, 2), "reference": (5, 8), "badge": (4, 6), "document": (6, 8),
}
CAPACITY: dict[str, int] = {kind: 10 ** high - 1 for kind, (_, high) in WIDTHS.items()}

_SITE = r"(?!REF|LOC|USR|DOC)[A-Z]{3}"
_REMAINS = _number(*WIDTHS["remains"])
SHAPES: dict[str, re.Pattern[str]] = {
    "remains": re.compile(rf"^{_SITE}-{_REMAINS}$"),
    "sample": re.compile(rf"^{_SITE}-{_REMAINS}-S\d{{2}}$"),
    "reference": re.compile(rf"^REF-{_number(*WIDTHS['reference'])}-[A-Z]$"),
    "location": re.compile(r"^LOC(?:-[A-Z]\d{2}){1,5}$"),
    "badge": re.compile(rf"^USR-{_number(*WIDTHS['badge'])}$"),
    "document": re.compile(rf"^DOC-\d{{4}}-{_number(*WIDTHS['document'])}$"),
}


class InvalidAccession(ValueError):
    """An accession ID that is malformed or whose check character does not match."""


def mod37_36_check(body: str) -> str:
    """ISO/IEC 7064 MOD 37,36 (hybrid system) check character for ``body`` (chars 0-9, A-Z).

    >>> mod37_36_check("DADPIDA3897722461"), mod37_36_check("A12425GABC1234002")
    ('J', 'M')
    """
    product = _MODULUS
    for char in body:
        value = ALPHABET.find(char)
        if value < 0:
            raise InvalidAccession(msg("character %(char)s is not allowed (use 0-9, A-Z)", char=repr(char)))
        total = (product + value) % _MODULUS or _MODULUS
        product = (total * 2) % (_MODULUS + 1)
    return ALPHABET[(_MODULUS + 1 - product) % _MODULUS]


def _data_chars(body: str) -> str:
    return body.replace("-", "")


def position_check(data: str) -> str:
    """Position-weighted check character: sum of (position mod 30 + 1) x value, modulo 31."""
    total = sum(((i % 30) + 1) * ALPHABET.index(char) for i, char in enumerate(data))
    return ALPHABET[total % _POSITION_MODULUS]


def check_characters(body: str) -> str:
    """The two check characters ``XY`` of an ID body (see the module docstring)."""
    data = _data_chars(body)
    first = position_check(data)
    return first + mod37_36_check(data + first)


def normalise(text: str) -> str:
    """Upper-case and strip what scanners and people add around an ID (spaces, tabs, newlines)."""
    return text.strip().upper()


def kind_of(body: str) -> str | None:
    """The kind of item an ID body denotes (``remains``, ``sample``, ...), None for no known shape."""
    for kind, shape in SHAPES.items():
        if shape.match(body):
            return kind
    return None


def with_check(body: str) -> str:
    """Append ``-`` and the check character to an ID body such as ``QTF-00042``."""
    body = normalise(body)
    if kind_of(body) is None:
        raise InvalidAccession(msg("%(text)s does not have the shape of any labtrack ID", text=repr(body)))
    return f"{body}-{check_characters(body)}"


def split(accession: str) -> tuple[str, str]:
    """Return ``(body, check)`` of a full accession ID, raising InvalidAccession when malformed."""
    text = normalise(accession)
    if len(text) < 4 or text[-3] != "-" or not _BODY.match(text):
        raise InvalidAccession(msg("%(text)s is not an accession ID (expected e.g. QTF-00042-7V)",
                                   text=repr(accession)))
    return text[:-3], text[-2:]


def validate(accession: str) -> str:
    """Return the normalised accession ID, or raise InvalidAccession saying what is wrong."""
    body, check = split(accession)
    if kind_of(body) is None:
        raise InvalidAccession(msg(
            "%(text)s does not have the shape of a labtrack ID "
            "(e.g. QTF-00042-7V, QTF-00042-S01-…, REF-00001-A-…, LOC-F01-S02-B03-…)", text=repr(normalise(accession))))
    expected = check_characters(body)
    if check != expected:
        raise InvalidAccession(msg(
            "%(text)s: check characters %(check)s do not match; the ID was mistyped or misread",
            text=repr(normalise(accession)), check=repr(check)))
    return f"{body}-{check}"


def is_valid(accession: str) -> bool:
    """True when ``accession`` is well formed and its check character matches."""
    try:
        validate(accession)
    except InvalidAccession:
        return False
    return True


@dataclass(frozen=True)
class ParsedAccession:
    """The parts of an accession ID."""

    accession: str
    kind: str
    site_code: str | None = None
    remains_number: int | None = None
    sample_number: int | None = None


def parse(accession: str) -> ParsedAccession:
    """Validate and classify an ID: remains, sample, reference, location, badge or document."""
    full = validate(accession)
    body = full[:-3]
    kind = kind_of(body) or "other"
    parts = body.split("-")
    if kind == "remains":
        return ParsedAccession(full, kind, parts[0], int(parts[1]))
    if kind == "sample":
        return ParsedAccession(full, kind, parts[0], int(parts[1]), int(parts[2][1:]))
    return ParsedAccession(full, kind)


class CapacityExceeded(InvalidAccession):
    """A number beyond what the ID of its kind can hold (see ``CAPACITY``)."""


def _digits(kind: str, number: int, lowest: int = 0) -> str:
    if not lowest <= number <= CAPACITY[kind]:
        raise CapacityExceeded(msg("%(kind)s number %(number)s is outside %(lowest)s..%(highest)s", kind=kind,
                                   number=number, lowest=lowest, highest=CAPACITY[kind]))
    return f"{number:0{WIDTHS[kind][0]}d}"


def remains_id(site_code: str, number: int) -> str:
    """``QTF``, 42 → ``QTF-00042-<check>``; 123456 → ``QTF-123456-<check>``."""
    return with_check(f"{site_code}-{_digits('remains', number)}")


def sample_id(remains_accession: str, number: int) -> str:
    """``QTF-00042-IQ``, 3 → ``QTF-00042-S03-<check>`` (samples 1 to 99 of each remains)."""
    body, _ = split(validate(remains_accession))
    return with_check(f"{body}-S{_digits('sample', number, lowest=1)}")


def reference_id(number: int, kit_letter: str = "A") -> str:
    """A donor reference kit: 1234, ``A`` → ``REF-01234-A-<check>``; 1234567 → ``REF-1234567-A-…``."""
    return with_check(f"REF-{_digits('reference', number)}-{kit_letter}")


def reference_number(accession: str) -> int:
    """The kit number of a reference sample's ID: ``REF-01234-B-…`` → 1234."""
    parsed = parse(accession)
    if parsed.kind != "reference":
        raise InvalidAccession(msg("%(text)s is not a reference kit ID", text=repr(parsed.accession)))
    return int(parsed.accession.split("-")[1])


def location_id(*parts: str) -> str:
    """A storage location: ``F02``, ``S03``, ``B07`` → ``LOC-F02-S03-B07-<check>``."""
    return with_check("-".join(("LOC", *parts)))


def badge_id(number: int) -> str:
    """A user badge: 7 → ``USR-0007-<check>``; 12345 → ``USR-12345-<check>``."""
    return with_check(f"USR-{_digits('badge', number)}")


def document_number(year: int, number: int) -> str:
    """An issued document: 2026, 17 → ``DOC-2026-000017-<check>``; 10⁶ → ``DOC-2026-1000000-…``."""
    return with_check(f"DOC-{year:04d}-{_digits('document', number)}")
