"""Search keys of people's names in Arabic and Latin script (pure: no I/O).

The same person is written many ways: محمّد / محمد (a shadda), أحمد / احمد (hamza forms of alef),
فاطمة / فاطمه (taa marbuta / haa), مصطفى / مصطفي (alef maqsura / yaa), عـلي (tatweel); in Latin
script Mohammad / Muhammad / Mohamed, al-Masri / el-Masri / Masri. A name is cut into words and
each word turned into a key that these variants share:

- Arabic (normalised with pyarabic): diacritics and tatweel removed, hamza forms of alef to bare
  alef, taa marbuta to haa, alef maqsura to yaa, the article ال taken off a word longer than it;
- Latin: accents removed, lower case, the articles al/el/ul (``al-Masri``) taken off, then the
  consonant skeleton that transliterations share: the first letter and the consonants after it,
  doubled letters once (``Mohammad``, ``Muhammad`` and ``Mohamed`` all give ``mhmd``).

The words of the chain of names (own, father's, grandfather's, family) are keyed one by one, so a
search matches them in any order; ranking (rapidfuzz, in the service) compares the keys.

>>> latin_word_key("Muhammad"), latin_word_key("Mohamed"), latin_word_key("el-Masri")
('mhmd', 'mhmd', 'msr')
>>> arabic_word_key("مُحمّد") == arabic_word_key("محمد")
True
"""

from __future__ import annotations

import re
import unicodedata

from pyarabic import araby

_ARTICLES = frozenset({"al", "el", "ul", "il"})
_VOWELS = str.maketrans("", "", "aeiouy")
_WORD = re.compile(r"[\w\u0600-\u06FF]+")
YEAR = re.compile(r"^(19|20)\d\d$")
MAX_WORDS = 12


def is_arabic(word: str) -> bool:
    return any("\u0600" <= char <= "\u06ff" for char in word)


def arabic_word_key(word: str) -> str:
    """An Arabic word without diacritics/tatweel, with one form of alef, haa for taa marbuta,
    yaa for alef maqsura and without the article."""
    text = araby.strip_tatweel(araby.strip_tashkeel(word))
    text = araby.normalize_hamza(text, method="tasheel")
    text = araby.normalize_teh(text).replace(araby.ALEF_MAKSURA, araby.YEH)
    text = "".join(char for char in text if "\u0621" <= char <= "\u064a")
    if text.startswith("ال") and len(text) > 4:
        text = text[2:]
    return text


def _ascii(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(char for char in decomposed if char.isascii() and char.isalnum()).lower()


def latin_word_key(word: str) -> str:
    """The consonant skeleton of a Latin-script word (first letter kept, doubled letters once)."""
    parts = [p for p in re.split(r"[-'’]", word) if p]
    parts = [p for p in parts if _ascii(p) not in _ARTICLES] or parts
    text = _ascii("".join(parts))
    if not text:
        return ""
    skeleton = text[0] + text[1:].translate(_VOWELS)
    return re.sub(r"(.)\1+", r"\1", skeleton)


def word_key(word: str) -> str:
    return arabic_word_key(word) if is_arabic(word) else latin_word_key(word)


def words(text: str) -> list[str]:
    """The words of ``text`` (letters and digits of either script; at most ``MAX_WORDS``)."""
    found = _WORD.findall(text.replace("_", " "))
    # "al-Masri": the article is its own word after splitting; keep the name
    return [w for w in found if _ascii(w) not in _ARTICLES][:MAX_WORDS]


def keys(text: str) -> list[str]:
    """The search keys of the words of ``text`` (empty keys and years left out)."""
    return [k for w in words(text) if not YEAR.match(w) and (k := word_key(w))]


def search_key(*texts: str) -> str:
    """The stored key of a person: the keys of every word of ``texts``, each once, space-framed
    (`` mhmd msr محمد مصري ``) so that a word is found by ``LIKE '% key%'``."""
    seen: dict[str, None] = {}
    for text in texts:
        for key in keys(text or ""):
            seen.setdefault(key, None)
    return " " + " ".join(seen) + " " if seen else " "


def query_years(text: str) -> list[int]:
    """Years of birth given in a search (``محمد 1980``)."""
    return [int(w) for w in words(text) if YEAR.match(w)]
