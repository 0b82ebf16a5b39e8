"""Messages from the services: English as text, rendered through a catalogue at the edge."""

from __future__ import annotations

import gettext
import json
import pickle

from labtrack.core.errors import ProblemList, ValidationFailed
from labtrack.core.messages import (
    Message,
    from_data,
    from_json,
    joined,
    listed,
    message_of,
    msg,
    nmsg,
    term,
    terms,
    to_data,
    to_json,
)


class Catalogue(gettext.NullTranslations):
    """A stand-in catalogue: an Arabic text per id (and per plural form: one, else many)."""

    def __init__(self, texts: dict[str, str]) -> None:
        super().__init__()
        self.texts = texts

    def gettext(self, message: str) -> str:
        return self.texts.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.texts.get(singular if n == 1 else plural, singular if n == 1 else plural)


def test_a_message_is_its_english_text() -> None:
    message = msg("%(accession)s is already in this batch (scanned twice)", accession="QTF-00042-IQ")
    assert message == "QTF-00042-IQ is already in this batch (scanned twice)"
    assert str(message) == "QTF-00042-IQ is already in this batch (scanned twice)"
    assert f"{message}!" == "QTF-00042-IQ is already in this batch (scanned twice)!"
    assert message.id == "%(accession)s is already in this batch (scanned twice)"
    assert message.params == {"accession": "QTF-00042-IQ"}
    assert msg("100% sure") == "100% sure"  # no parameters: not formatted


def test_rendered_through_the_catalogue_with_nested_messages_first() -> None:
    where = msg("with %(person)s", person="Lina Haddad")
    message = msg("%(accession)s is %(where)s: receive it before any other action", accession="QTF-1", where=where)
    arabic = Catalogue({"with %(person)s": "بحوزة %(person)s",
                        "%(accession)s is %(where)s: receive it before any other action":
                            "%(accession)s %(where)s: استلمه قبل أي إجراء آخر"})
    assert message.render(arabic) == "QTF-1 بحوزة Lina Haddad: استلمه قبل أي إجراء آخر"
    assert message == "QTF-1 is with Lina Haddad: receive it before any other action"


def test_plural_messages_count_in_both_languages() -> None:
    one = nmsg("Nothing was recorded: one problem", "Nothing was recorded: %(num)d problems", 1)
    three = nmsg("Nothing was recorded: one problem", "Nothing was recorded: %(num)d problems", 3)
    assert (one, three) == ("Nothing was recorded: one problem", "Nothing was recorded: 3 problems")
    arabic = Catalogue({"Nothing was recorded: %(num)d problems": "لم يُسجَّل شيء: توجد %(num)d مشكلات"})
    assert three.render(arabic) == "لم يُسجَّل شيء: توجد 3 مشكلات"


def test_a_broken_translation_falls_back_to_english() -> None:
    message = msg("no custody event %(event)s", event=7)
    assert message.render(Catalogue({"no custody event %(event)s": "لا يوجد حدث %(id)s"})) == "no custody event 7"


def test_messages_survive_pickling_and_travel_in_errors() -> None:
    message = msg("no storage location %(location)s", location="LOC-F01-XX")
    again = pickle.loads(pickle.dumps(message))  # noqa: S301 - our own bytes
    assert isinstance(again, Message) and again.id == message.id and again == message
    error = ValueError(message)
    assert message_of(error) is message and str(error) == "no storage location LOC-F01-XX"
    assert message_of(ValueError("plain")) == "plain"


def test_problem_lists_raise_one_counted_message() -> None:
    problems = ProblemList()
    problems.add(msg("a correction needs a reason"), field="reason")
    problems.add(msg("sending out needs the seal number"), field="seal_number")
    try:
        problems.raise_if_any(msg("The correction cannot be recorded"))
    except ValidationFailed as error:
        assert error.message == "The correction cannot be recorded (2 problems)"
        assert isinstance(error.message, Message) and error.message.params["message"].id == (
            "The correction cannot be recorded")
        assert [str(p) for p in error.problems] == ["field reason: a correction needs a reason",
                                                   "field seal_number: sending out needs the seal number"]
    else:
        raise AssertionError("no error raised")


def test_codes_and_joined_messages_as_parameters() -> None:
    message = msg("cannot go from %(current)s to %(target)s; allowed: %(allowed)s", current=term("collected"),
                  target=term("profiled"), allowed=terms(["sealed", "failed"]))
    assert message == "cannot go from collected to profiled; allowed: sealed, failed"
    labels = {"collected": "مجموعة", "profiled": "لها ملف وراثي", "sealed": "مختومة", "failed": "فشلت"}
    arabic = Catalogue({", ": "، ", "; ": "؛ ",
                        "cannot go from %(current)s to %(target)s; allowed: %(allowed)s":
                            "لا يمكن الانتقال من «%(current)s» إلى «%(target)s»؛ المسموح: %(allowed)s"})
    assert message.render(arabic, labels.get) == ("لا يمكن الانتقال من «مجموعة» إلى «لها ملف وراثي»؛ "
                                                 "المسموح: مختومة، فشلت")
    reasons = msg("weak: %(reasons)s", reasons=joined([msg("a correction needs a reason"), "plain text"]))
    assert reasons == "weak: a correction needs a reason; plain text"
    assert reasons.render(Catalogue({"weak: %(reasons)s": "ضعيف: %(reasons)s", "; ": "؛ ",
                                     "a correction needs a reason": "التصحيح يتطلب سبباً"})) == (
        "ضعيف: التصحيح يتطلب سبباً؛ plain text")


def test_messages_kept_as_json_come_back_whole() -> None:
    message = nmsg("Nothing was recorded: one problem", "Nothing was recorded: %(num)d problems", 2)
    nested = msg("%(accession)s is %(where)s: receive it before any other action", accession="QTF-1",
                 where=msg("with %(person)s", person="Lina"), codes=terms(["sealed"]), state=term("failed"),
                 reasons=joined([msg("a correction needs a reason")]),
                 places=listed(["freqs.csv", msg("row %(row)s", row=3)]))
    for original in (message, nested):
        again = from_data(json.loads(json.dumps(to_data(original))))
        assert isinstance(again, Message) and again == original and again.id == original.id
        assert to_data(again) == to_data(original)
    assert from_data("plain text") == "plain text" and to_data(3) == 3


def test_a_message_kept_beside_its_english_text_and_older_rows_without_it() -> None:
    message = msg("%(where)s: %(message)s", where=listed(["freqs.csv", msg("row %(row)s", row=3)]),
                  message=msg("frequency %(value)s is not a number", value="'x'"))
    assert message == "freqs.csv, row 3: frequency 'x' is not a number"
    kept = from_json(to_json(message), "unused")
    assert isinstance(kept, Message) and to_data(kept) == to_data(message)
    assert kept.render(Catalogue({", ": "، ", "row %(row)s": "السطر %(row)s"})).startswith("freqs.csv، السطر 3: ")
    assert to_json("plain English") == "" and from_json("", "plain English") == "plain English"
    assert from_json("{not json", "as written") == "as written"


def test_a_message_missing_a_parameter_is_said_as_written_not_raised() -> None:
    assert msg("no custody event %(event)s", id=7) == "no custody event %(event)s"
