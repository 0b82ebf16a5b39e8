"""The Arabic catalogue is complete, keeps every placeholder, and the compiled file matches it."""

from __future__ import annotations

import importlib.util
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


def _extract() -> dict[str, list[tuple[str, int]]]:
    """The message ids in the sources, extracted as scripts/translations.py extracts them."""
    script = Path(__file__).resolve().parents[2] / "scripts" / "translations.py"
    spec = importlib.util.spec_from_file_location("labtrack_translations_script", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.extract()


def test_catalogue_is_in_step_with_the_sources() -> None:
    """Every string marked in the code and templates (``_``, ``_l``, ``msg``, ``nmsg``, ...) is in the
    Arabic catalogue and translated; the catalogue holds no message the sources no longer use."""
    in_sources = _extract()
    with (CATALOGUE / "messages.po").open("rb") as handle:
        catalogue = {m.id[0] if isinstance(m.id, tuple) else m.id: m for m in read_po(handle) if m.id}
    assert "%(accession)s is already in this batch (scanned twice)" in in_sources  # the service markers are read
    missing = {message: places[0] for message, places in in_sources.items() if message not in catalogue}
    assert missing == {}, "not in messages.po (add them with their Arabic translation, then compile)"
    untranslated = [message for message in in_sources
                    if not catalogue[message].string or not all(catalogue[message].string)]
    assert untranslated == []
    obsolete = sorted(message for message in catalogue if message not in in_sources)
    assert obsolete == [], "in messages.po but no longer in the sources: remove them"
