"""A document's words in its language: messages (``labtrack.core.messages``) rendered through the
compiled catalogue of ``labtrack/translations``, stored codes through their words
(``labtrack.core.terms``). English documents print the message ids as they are.

The web edge picks the language (the issuing user's), the service passes it to the renderer and
keeps it with the document's parameters, so that a re-rendering says the same words.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel.support import Translations

from labtrack.core.messages import Message
from labtrack.core.terms import WORDS

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
LANGUAGES: tuple[str, ...] = ("en", "ar")


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``language`` (English: none, the ids are English)."""
    if language not in LANGUAGES or language == "en":
        return gettext.NullTranslations()
    return Translations.load(str(TRANSLATIONS_DIR), [language])


@dataclass(frozen=True)
class Wording:
    """What a renderer needs to say things in the document's language."""

    language: str = "en"

    @property
    def rtl(self) -> bool:
        return self.language == "ar"

    def say(self, text: object) -> str:
        """A message in the document's language; other text (names, IDs, reasons typed by people) as it is."""
        if isinstance(text, Message):
            return text.render(catalogue(self.language), self.term)
        return "" if text is None else str(text)

    def term(self, code: str) -> str:
        """The word for a stored code (a state, an action, a sample type)."""
        word = WORDS.get(code)
        return catalogue(self.language).gettext(word.id) if word is not None else code.replace("_", " ")
