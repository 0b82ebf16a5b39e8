"""What a barcode scanner typed, read back as an accession ID (pure: no I/O).

A USB scanner is a keyboard: it presses the keys of the characters it read. On a workstation set
to the Arabic (101/PC) layout the same keys produce Arabic letters, so ``QTF-00042-IQ`` arrives as
``َلإ[-00042-÷َ`` (upper case: shifted keys) or ``ضفب-...`` (lower case). ``LAYOUT_TO_LATIN`` maps
each Arabic-layout character back to the key it came from. Some keys type two code points
(``b`` types lam-alef ``لا``, which is also ``g`` followed by ``h``); such sequences are ambiguous,
so ``readings`` yields every reading and ``read_scan`` keeps the one whose check characters match.

Scan rules that need no database: a code repeated within ``REPEAT_WINDOW_S`` seconds is the
scanner bouncing (ignored); a code already in the batch is a double scan (refused).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import product

from labtrack.core import ids
from labtrack.core.messages import message_of, msg

REPEAT_WINDOW_S = 2.0
_MAX_READINGS = 64

# Arabic (101/PC) layout, unshifted and shifted keys → the Latin character of the same key.
LAYOUT_TO_LATIN: dict[str, str] = {
    # unshifted: q w e r t y u i o p [ ]
    "ض": "q", "ص": "w", "ث": "e", "ق": "r", "ف": "t", "غ": "y", "ع": "u", "ه": "i", "خ": "o",
    "ح": "p", "ج": "[", "د": "]",
    # a s d f g h j k l ; '
    "ش": "a", "س": "s", "ي": "d", "ب": "f", "ل": "g", "ا": "h", "ت": "j", "ن": "k", "م": "l",
    "ك": ";", "ط": "'",
    # z x c v b n m , . /   (b types lam-alef: see MULTI_KEY)
    "ئ": "z", "ء": "x", "ؤ": "c", "ر": "v", "ى": "n", "ة": "m", "و": ",", "ز": ".", "ظ": "/",
    "ذ": "`",
    # shifted: Q W E R (T: lam-alef with hamza below) Y U I O P
    "\u064e": "Q", "\u064b": "W", "\u064f": "E", "\u064c": "R", "إ": "Y", "\u2018": "U",
    "÷": "I", "×": "O", "؛": "P",
    # A S D F (G: lam-alef with hamza above) H J K L
    "\u0650": "A", "\u064d": "S", "]": "D", "[": "F", "أ": "H", "ـ": "J", "،": "K", "/": "L",
    # Z X C V (B: lam-alef with madda) N M
    "~": "Z", "\u0652": "X", "}": "C", "{": "V", "آ": "N", "\u2019": "M", "؟": "?",
    # Arabic-Indic and Eastern Arabic-Indic digits
    **{chr(0x0660 + d): str(d) for d in range(10)},
    **{chr(0x06F0 + d): str(d) for d in range(10)},
}
# Keys that type two code points; each sequence can also be read as its characters one by one.
MULTI_KEY: dict[str, str] = {"لا": "b", "لإ": "T", "لأ": "G", "لآ": "B"}


def has_layout_characters(text: str) -> bool:
    """True when ``text`` contains characters that only another layout types into an ID
    (non-ASCII, or ASCII punctuation such as ``]`` that the Arabic layout types for shifted letters)."""
    return any(ord(char) > 127 or char in LAYOUT_TO_LATIN for char in text)


def _segments(text: str) -> list[list[str]]:
    """Split ``text`` into alternatives: each segment is a list of possible Latin readings."""
    segments: list[list[str]] = []
    i = 0
    while i < len(text):
        pair = text[i:i + 2]
        if pair in MULTI_KEY:
            one_by_one = "".join(LAYOUT_TO_LATIN.get(c, c) for c in pair)
            segments.append([MULTI_KEY[pair], one_by_one])
            i += 2
            continue
        char = text[i]
        segments.append([LAYOUT_TO_LATIN.get(char, char)])
        i += 1
    return segments


def readings(text: str) -> Iterator[str]:
    """Every Latin reading of what was typed (one unless a two-code-point key is involved).

    >>> list(readings("ضفب-٠٠٠٤٢"))
    ['qtf-00042']
    """
    if not has_layout_characters(text):
        yield text
        return
    segments = _segments(text)
    for count, choice in enumerate(product(*segments)):
        if count >= _MAX_READINGS:
            return
        yield "".join(choice)


@dataclass(frozen=True)
class ScanReading:
    """A scan read back: ``accession`` when valid, else ``error`` says what is wrong."""

    raw: str
    text: str
    accession: str | None
    kind: str | None
    error: str | None
    remapped: bool

    @property
    def ok(self) -> bool:
        return self.accession is not None


def read_scan(raw: str) -> ScanReading:
    """Map the keyboard layout back, normalise, and validate the check characters.

    >>> read_scan("qtf-00042-iq").accession
    'QTF-00042-IQ'
    >>> read_scan("QTF-00042-IX").error is not None
    True
    """
    remapped = has_layout_characters(raw)
    first_error: str | None = None
    first_text = ""
    for reading in readings(raw.strip()):
        text = ids.normalise(reading)
        if not first_text:
            first_text = text
        try:
            accession = ids.validate(text)
        except ids.InvalidAccession as error:
            first_error = first_error or message_of(error)
            continue
        body = accession[:-3]
        return ScanReading(raw, text, accession, ids.kind_of(body), None, remapped)
    return ScanReading(raw, first_text, None, None, first_error or msg("empty scan"), remapped)


def is_repeat(code: str, *, last_code: str | None, last_at: float | None, now: float,
              window: float = REPEAT_WINDOW_S) -> bool:
    """True when the same code was read less than ``window`` seconds ago (scanner bounce)."""
    return last_code == code and last_at is not None and 0 <= now - last_at < window


def duplicate_in_batch(accession: str, batch: list[str]) -> bool:
    """True when ``accession`` is already in this batch (double scan)."""
    return accession in batch
