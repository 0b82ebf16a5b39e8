"""Search keys of names: Arabic normalisation and Latin transliteration variants share a key."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labtrack.core import names


@pytest.mark.parametrize("variants", [
    ("محمد", "مُحمّد", "محـمد", "مُحَمَّد"),               # diacritics, shadda, tatweel
    ("أحمد", "احمد", "إحمد", "آحمد"),                     # hamza forms of alef
    ("فاطمة", "فاطمه"),                                    # taa marbuta / haa
    ("مصطفى", "مصطفي"),                                    # alef maqsura / yaa
    ("المصري", "مصري"),                                    # the article
    ("Mohammad", "Muhammad", "Mohamed", "Mohammed", "MUHAMMAD", "Moḥammad"),
    ("al-Masri", "el-Masri", "Masri", "Al Masri"),
    ("Youssef", "Yusuf", "Yousef"),
    ("Khalil", "Khaleel"),
])
def test_spelling_variants_share_a_key(variants: tuple[str, ...]) -> None:
    assert len({names.search_key(v) for v in variants}) == 1, [names.search_key(v) for v in variants]


def test_chain_of_names_is_keyed_word_by_word() -> None:
    key = names.search_key("أحمد خليل إبراهيم المصري", "Ahmad Khalil Ibrahim al-Masri", "Aleppo")
    for word in ("احمد", "خليل", "ابراهيم", "مصري", "ahmd", "khl", "ibrhm", "msr", "alp"):
        assert f" {word} " in key, (word, key)


def test_years_are_taken_apart() -> None:
    assert names.query_years("محمد 1980 حلب") == [1980]
    assert "1980" not in names.keys("محمد 1980")


@given(st.text("محمدعليفاطمةأحمد ", min_size=1, max_size=30), st.data())
def test_diacritics_and_tatweel_never_change_a_key(text: str, data: st.DataObject) -> None:
    marks = data.draw(st.lists(st.sampled_from(["\u064e", "\u064f", "\u0650", "\u0651", "\u0652", "ـ"]),
                               max_size=len(text)))
    decorated = "".join(c + (marks[i] if i < len(marks) and c != " " else "") for i, c in enumerate(text))
    assert names.search_key(decorated) == names.search_key(text)


@pytest.mark.parametrize("text", ["", "'; DROP TABLE x; --", "%_*", "a" * 5000, "\x00\x01", "١٩٨٠"])
def test_odd_input_gives_a_key_without_failing(text: str) -> None:
    assert names.search_key(text).startswith(" ")
