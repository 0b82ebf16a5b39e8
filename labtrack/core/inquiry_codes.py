"""Families' inquiry codes (pure: no database, no Flask).

A code is printed on the family's receipt and typed back, by hand, on any phone or keyboard:

    K7MX-F3A9-TRWE-4HNC-P2ME      20 characters, shown in groups of four

- the first ``REFERENCE_LENGTH`` characters are the **reference**: the code's public lookup key,
  random (not a count, so references cannot be enumerated), unique per code;
- the next ``SECRET_LENGTH`` are the **secret** (``secrets``: 12 x log2(23) = 54 bits); only a
  hash of it is stored (``SecretHasher``);
- the last two are **check characters**, so a mistyped code is refused before any lookup.

Alphabet: 23 characters, ``23456789ACEFHJKMNPRTWXY``. Left out are the characters that handwriting
or print confuses (0 O D Q, 1 I L, 2 Z, 5 S, 6 G, 8 B, U V; the Arabic-Indic seven ٧ also looks
like V). A confusable letter that is typed anyway is read as the digit it resembles (S→5, Z→2,
G→6, B→8); the check characters decide. On the Arabic (101) keyboard layout the Latin keys type
Arabic letters and the digits may come out as Arabic-Indic digits: ``read_code`` maps them back
with the scanning station's layout table (``labtrack.core.scanning``). B and G are also the keys that
type lam-alef (لا, لأ), so leaving them out keeps the reading of such input unambiguous.

Check characters: 23 is prime, so the code is a word of a linear code over GF(23) with the two
checks ``sum(v_i) = 0`` and ``sum(i * v_i) = 0`` (mod 23, positions i = 1..20). Any two columns
(1, i) of its check matrix are independent, so every single and every double substitution and
every transposition of two characters (adjacent or not) is detected (property tests check it);
a random string passes with probability 1/529.

>>> code = InquiryCode("K7MXF3", "A9TRWE4HNCP2")
>>> code.display
'K7MX-F3A9-TRWE-4HNC-P2ME'
>>> read_code("k7mx f3a9 trwe 4hnc p2me") == code
True
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from functools import cached_property

from labtrack.core import scanning

ALPHABET = "23456789ACEFHJKMNPRTWXY"
MODULUS = len(ALPHABET)  # 23, prime
REFERENCE_LENGTH = 6
SECRET_LENGTH = 12
CHECK_LENGTH = 2
CODE_LENGTH = REFERENCE_LENGTH + SECRET_LENGTH + CHECK_LENGTH
GROUP = 4
#: longer input is refused before anything else is done with it
MAX_INPUT = 200
#: letters left out of the alphabet, read as the digit they resemble
CONFUSABLES = {"S": "5", "Z": "2", "G": "6", "B": "8"}
_SEPARATORS = frozenset(" \t\r\n\u00a0\u2007\u202f-\u2010\u2011\u2012\u2013\u2014\u2212_.,\u060c")
_VALUES = {char: value for value, char in enumerate(ALPHABET)}

# what is wrong with a typed code (the web layer words it for the family)
EMPTY, TOO_LONG, CHARACTERS, LENGTH, CHECK = "empty", "too_long", "characters", "length", "check"


class MalformedCode(ValueError):
    """The text is not an inquiry code: ``problem`` is one of EMPTY, TOO_LONG, CHARACTERS, LENGTH,
    CHECK. Nothing about any stored code is known at this point."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def check_characters(data: str) -> str:
    """The two check characters of ``data`` (characters of ALPHABET; at most 20 of them).

    They make ``sum(v_i)`` and ``sum(i * v_i)`` over the whole code (positions 1..n+2) zero mod 23.
    """
    values = [_VALUES[char] for char in data]
    n = len(values)
    if n + CHECK_LENGTH >= MODULUS:
        raise ValueError("a code of this length would not detect every transposition")
    s0 = sum(values) % MODULUS
    s1 = sum((i + 1) * v for i, v in enumerate(values)) % MODULUS
    second = ((n + 1) * s0 - s1) % MODULUS
    first = (-s0 - second) % MODULUS
    return ALPHABET[first] + ALPHABET[second]


def is_consistent(text: str) -> bool:
    """True when the characters of ``text`` (ALPHABET only) satisfy both checks."""
    values = [_VALUES[char] for char in text]
    return (sum(values) % MODULUS == 0
            and sum((i + 1) * v for i, v in enumerate(values)) % MODULUS == 0)


@dataclass(frozen=True)
class InquiryCode:
    """A code as issued: its reference and secret; ``text``/``display`` add the check characters."""

    reference: str
    secret: str

    @cached_property
    def text(self) -> str:
        data = self.reference + self.secret
        return data + check_characters(data)

    @property
    def display(self) -> str:
        """The code in groups of four, as printed on the receipt."""
        return "-".join(self.text[i:i + GROUP] for i in range(0, len(self.text), GROUP))

    def __repr__(self) -> str:  # never print the secret into a log by accident
        return f"InquiryCode(reference={self.reference!r}, secret=<hidden>)"


def new_code() -> InquiryCode:
    """A fresh random code (``secrets``: a cryptographically strong source)."""
    pick = secrets.choice
    return InquiryCode("".join(pick(ALPHABET) for _ in range(REFERENCE_LENGTH)),
                       "".join(pick(ALPHABET) for _ in range(SECRET_LENGTH)))


def format_reference(reference: str) -> str:
    """A reference as coordinators see it (the first characters of the printed code)."""
    return f"{reference[:GROUP]}-{reference[GROUP:]}"


def _candidate(reading: str) -> str:
    out = []
    for char in reading.upper():
        if char in _SEPARATORS:
            continue
        out.append(CONFUSABLES.get(char, char))
    return "".join(out)


def _problem(candidate: str) -> str | None:
    if not candidate:
        return EMPTY
    if any(char not in _VALUES for char in candidate):
        return CHARACTERS
    if len(candidate) != CODE_LENGTH:
        return LENGTH
    if not is_consistent(candidate):
        return CHECK
    return None


def read_code(text: str) -> InquiryCode:
    """What a family typed, read back as a code, or ``MalformedCode`` saying what is wrong.

    Spaces, hyphens and dots are ignored; lower case is read as upper case; compatibility forms
    (full-width letters, Arabic presentation forms) are folded (NFKC, per character); text typed on the Arabic
    keyboard layout and Arabic-Indic digits are mapped back to the keys that typed them. Of the
    possible readings the one whose check characters match is taken.

    >>> read_code("K7MX-F3A9-TRWE-4HNC-P2MA")
    Traceback (most recent call last):
    ...
    labtrack.core.inquiry_codes.MalformedCode: check
    """
    if len(text) > MAX_INPUT:
        raise MalformedCode(TOO_LONG)
    # character by character: NFKC of the whole text would reorder the harakat that shifted keys
    # type on the Arabic layout (canonical ordering of combining marks)
    folded = "".join(unicodedata.normalize("NFKC", char) for char in text if unicodedata.category(char) != "Cf")
    first_problem: str | None = None
    for reading in scanning.readings(folded):
        candidate = _candidate(reading)
        problem = _problem(candidate)
        if problem is None:
            data = candidate[:-CHECK_LENGTH]
            return InquiryCode(data[:REFERENCE_LENGTH], data[REFERENCE_LENGTH:])
        first_problem = first_problem or problem
    raise MalformedCode(first_problem or EMPTY)


@dataclass(frozen=True)
class SecretHasher:
    """Hashes and checks secrets: scrypt over an HMAC-SHA256 of the secret under a server key.

    - The **server key** (``key``) is kept outside the database (instance file or environment):
      a copy of the database alone (a leaked backup) gives no way to test guesses offline.
    - **scrypt** (``n``, ``r``, ``p``; memory-hard, salted per code) makes guessing slow even for
      someone who has both the database and the key.
    - Comparison is constant-time (``hmac.compare_digest``). ``decoy`` is a stored-format hash
      of nothing: checking a code whose reference is unknown runs the same KDF against it, so a
      wrong code costs the same time whether its reference exists or not.

    Stored format: ``scrypt$<n>$<r>$<p>$<salt b64>$<digest b64>``.
    """

    key: bytes
    n: int = 2 ** 14
    r: int = 8
    p: int = 1

    def _message(self, reference: str, secret: str) -> bytes:
        text = f"labtrack inquiry code\x00{reference}\x00{secret}".encode()
        return hmac.new(self.key, text, hashlib.sha256).digest()

    def _derive(self, message: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
        return hashlib.scrypt(message, salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=32)

    def hash(self, reference: str, secret: str) -> str:
        salt = secrets.token_bytes(16)
        digest = self._derive(self._message(reference, secret), salt, self.n, self.r, self.p)
        return "$".join(("scrypt", str(self.n), str(self.r), str(self.p),
                         base64.b64encode(salt).decode(), base64.b64encode(digest).decode()))

    def verify(self, reference: str, secret: str, stored: str) -> bool:
        """True when ``stored`` is the hash of this reference and secret (never raises)."""
        try:
            scheme, n, r, p, salt, digest = stored.split("$")
            if scheme != "scrypt":
                return False
            expected = base64.b64decode(digest)
            actual = self._derive(self._message(reference, secret), base64.b64decode(salt), int(n), int(r), int(p))
        except ValueError:
            return False
        return hmac.compare_digest(actual, expected)

    @cached_property
    def decoy(self) -> str:
        """A hash no code matches, with this hasher's cost (used for unknown references)."""
        return self.hash("-", secrets.token_hex(16))

    def client_tag(self, address: str) -> str:
        """A short keyed fingerprint of a client address: repeated guessing from one place shows
        as one tag, without storing anybody's address."""
        return hmac.new(self.key, f"client\x00{address}".encode(), hashlib.sha256).hexdigest()[:16]
