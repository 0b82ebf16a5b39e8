"""Contact details typed by families on their phones, checked and tidied (pure).

>>> normalise_phone(" +963 ٩٣٣-١٢٣ ٤٥٦ ")
'+963 933-123 456'
>>> clean_text("  Umm\\u202e Ahmad  ", 200)
'Umm Ahmad'
"""

from __future__ import annotations

import re
import unicodedata

PHONE_DIGITS = (6, 20)
_DIGITS = {chr(0x0660 + d): str(d) for d in range(10)} | {chr(0x06F0 + d): str(d) for d in range(10)}
_PHONE = re.compile(r"^\+?[0-9(][0-9 ()\-]*$")


class InvalidDetail(ValueError):
    """A detail that cannot be taken as it is; ``problem`` says why (``phone``, ``too_long``)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def clean_text(text: str, max_length: int, *, multiline: bool = False) -> str:
    """NFC text without control or invisible direction characters, spaces collapsed."""
    text = unicodedata.normalize("NFC", text or "")
    kept = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf") or (multiline and ch == "\n"))
    lines = [" ".join(line.split()) for line in kept.split("\n")] if multiline else [" ".join(kept.split())]
    result = "\n".join(line for line in lines if line).strip()
    if len(result) > max_length:
        raise InvalidDetail("too_long")
    return result


def normalise_phone(text: str) -> str:
    """A phone number with ASCII digits (Arabic-Indic digits are mapped), an optional leading
    ``+``, spaces, hyphens and brackets; 6 to 20 digits."""
    text = clean_text("".join(_DIGITS.get(ch, ch) for ch in unicodedata.normalize("NFKC", text or "")), 50)
    digits = sum(ch.isdigit() for ch in text)
    if not _PHONE.match(text) or not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
        raise InvalidDetail("phone")
    return text
