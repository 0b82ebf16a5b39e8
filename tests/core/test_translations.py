"""The Arabic catalogue is complete, keeps every placeholder, and the compiled file matches it."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

CATALOGUE = Path(__file__).resolve().parents[2] / "labtrack" / "translations" / "ar" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def test_every_message_is_translated_with_its_placeholders() -> None:
    with (CATALOGUE / "messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    messages = [m for m in catalogue if m.id]
    assert len(messages) > 300
    untranslated = [m.id for m in messages if not m.string or (m.pluralizable and not all(m.string))]
    assert untranslated == []
    for message in messages:
        if not message.pluralizable:
            assert set(PLACEHOLDER.findall(message.id)) == set(PLACEHOLDER.findall(message.string)), message.id
            continue
        # plural forms: Arabic has six (zero, one, two, few, many, other); the zero/one/two forms may
        # spell the number out instead of %(num)d, but every other placeholder must stay
        wanted = set(PLACEHOLDER.findall(message.id[1]))
        assert len(message.string) == catalogue.num_plurals == 6, message.id
        for form in message.string:
            assert wanted - {"num"} <= set(PLACEHOLDER.findall(form)) <= wanted, (message.id, form)
        assert all("%(num)d" in form for form in message.string[3:]), message.id


def test_compiled_catalogue_matches_the_source() -> None:
    def plain(value: object) -> object:
        return tuple(value) if isinstance(value, (list, tuple)) else value

    with (CATALOGUE / "messages.po").open("rb") as handle:
        source = {plain(m.id): plain(m.string) for m in read_po(handle) if m.id}
    with (CATALOGUE / "messages.mo").open("rb") as handle:
        compiled = {plain(m.id): plain(m.string) for m in read_mo(handle) if m.id}
    assert compiled == source
