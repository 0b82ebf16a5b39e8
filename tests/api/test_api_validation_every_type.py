"""Every pydantic error type reads in Arabic (issue #12): bad bodies sent with Accept-Language: ar come
back with Arabic messages on their fields, and every error type pydantic_core knows (its ErrorType
list, so a type added by a later release fails here) renders from the Arabic catalogue."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
from babel.support import Translations
from flask.testing import FlaskClient
from pydantic_core import _pydantic_core
from pydantic_core.core_schema import ErrorType
from sqlmodel import Session, func, select

from labtrack.core.messages import Message
from labtrack.models import Remains
from labtrack.web.api.validation import issue_message

ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")
CATALOGUE = Path(__file__).resolve().parents[2] / "labtrack" / "translations"


def _problems(client: FlaskClient, path: str, body: object) -> dict[str, str]:
    answer = client.post(path, headers={"Accept-Language": "ar"}, json=body)
    assert answer.status_code == 422, answer.get_json()
    payload = answer.get_json()
    assert ARABIC_LETTER.search(payload["message"]), payload["message"]
    return {problem["field"]: problem["message"] for problem in payload["problems"]}


def test_bad_remains_in_arabic_on_their_fields(client: FlaskClient, login_as) -> None:  # noqa: ANN001
    login_as("technician")
    problems = _problems(client, "/api/v1/sites/ABC/remains", {
        "recovered_on": "2025-13-45", "depth_m": "deep", "est_age_min": "forty", "trench": 7,
        "est_stature_cm": "2025-01-01",
    })
    assert problems == {
        "remains_type": "الحقل مطلوب",
        "recovered_on": "يجب أن تكون القيمة تاريخاً أو تاريخاً ووقتاً صالحين",
        "depth_m": "يجب أن تكون القيمة رقماً صالحاً، وتعذّرت قراءة النص رقماً",
        "est_age_min": problems["est_age_min"],
        "trench": problems["trench"],
        "est_stature_cm": problems["depth_m"],
    }
    for field in ("est_age_min", "trench"):
        assert ARABIC_LETTER.search(problems[field]) and "Input" not in problems[field], problems[field]


def test_bad_custody_batch_and_event_in_arabic(client: FlaskClient, login_as) -> None:  # noqa: ANN001
    login_as("technician")
    problems = _problems(client, "/api/v1/custody-events", {
        "events": [{"item": "X" * 41, "action": "receive", "seal_intact": "perhaps"}],
    })
    assert problems == {
        "events.0.item": "يجب ألا يزيد النص على 40 حرفاً",
        "events.0.seal_intact": problems["events.0.seal_intact"],
    }
    assert ARABIC_LETTER.search(problems["events.0.seal_intact"])
    assert "events" in _problems(client, "/api/v1/custody-events", {"events": []})  # a list too short
    assert ARABIC_LETTER.search(_problems(client, "/api/v1/custody-events", {"events": []})["events"])


def test_bad_closed_event_in_arabic(client: FlaskClient, login_as) -> None:  # noqa: ANN001
    login_as("coordinator")
    problems = _problems(client, "/api/v1/events", {"code": "", "kind": "mass grave"})
    assert problems["kind"] == "يجب أن تكون القيمة: 'grave'، 'prison_list' أو 'other'"
    assert set(problems) == {"code", "kind"} and ARABIC_LETTER.search(problems["code"])


@pytest.fixture(scope="module")
def arabic() -> Translations:
    return Translations.load(str(CATALOGUE), ["ar"])


def _examples() -> dict[str, dict]:
    """pydantic_core's own example context of each error type it can describe."""
    return {info["type"]: info.get("example_context") or {} for info in _pydantic_core.list_all_errors()}


def test_every_pydantic_error_type_reads_in_arabic(arabic: Translations) -> None:
    types = typing.get_args(ErrorType)
    examples = _examples()
    assert len(types) > 100 and set(examples) <= set(types)
    for kind in types:
        context = examples.get(kind, {})
        message = issue_message({"type": kind, "loc": ("field_name",), "ctx": context,
                                 "msg": "pydantic's English", "input": None})
        assert isinstance(message, Message), kind
        assert arabic.gettext(message.id) != message.id or message.plural is not None, (kind, message.id)
        text = message.render(arabic)
        assert ARABIC_LETTER.search(text) and "pydantic's English" not in text, (kind, text)
        if message.id == "The value of %(field)s is not valid (%(kind)s)":
            assert text == f"قيمة الحقل field_name غير صالحة ({kind})"


@pytest.mark.parametrize(("kind", "context", "arabic_text"), [
    ("string_pattern_mismatch", {"pattern": "^[A-Z]{3}$"}, "يجب أن يطابق النص النمط '^[A-Z]{3}$'"),
    ("string_too_long", {"max_length": 40}, "يجب ألا يزيد النص على 40 حرفاً"),
    ("too_short", {"field_type": "List", "min_length": 1, "actual_length": 0}, None),
    ("greater_than", {"gt": 0}, "يجب أن تكون القيمة أكبر من 0"),
    ("literal_error", {"expected": "'a' or 'b'"}, "يجب أن تكون القيمة: 'a' أو 'b'"),
    ("enum", {"expected": "1, 2 or 3"}, "يجب أن تكون القيمة: 1، 2 أو 3"),
    ("date_from_datetime_parsing", {"error": "input is too short"}, "يجب أن تكون القيمة تاريخاً أو تاريخاً ووقتاً صالحين"),
    ("url_parsing", {"error": "relative URL without a base"}, "يجب أن تكون القيمة رابطاً (URL) صالحاً"),
    ("json_invalid", {"error": "EOF"}, "نص JSON غير صالح"),
    ("extra_forbidden", {}, None),
    ("bool_parsing", {}, None),
    ("datetime_parsing", {"error": "x"}, "يجب أن تكون القيمة تاريخاً ووقتاً صالحين"),
])
def test_common_types_have_their_own_arabic_wording(arabic: Translations, kind: str, context: dict,
                                                    arabic_text: str | None) -> None:
    message = issue_message({"type": kind, "loc": ("x",), "ctx": context, "msg": "English"})
    assert message.id != "The value of %(field)s is not valid (%(kind)s)", kind
    text = message.render(arabic)
    assert ARABIC_LETTER.search(text), text
    if arabic_text is not None:
        assert text == arabic_text


def test_a_nul_character_is_refused_on_its_field_and_nothing_is_stored(client: FlaskClient, db: Session,
                                                                       login_as) -> None:  # noqa: ANN001
    """PostgreSQL text cannot hold U+0000 (found by Schemathesis as a 500): any body or query text
    with one is refused with its field, in a key or a value, before the database sees it."""
    login_as("technician")
    problems = _problems(client, "/api/v1/sites/ABC/remains", {"remains_type": "isolated_part", "trench": "T\x001",
                                                               "bad\x00key": 1})
    assert set(problems) == {"trench", "bad\x00key"} and all(ARABIC_LETTER.search(m) for m in problems.values())
    english = client.post("/api/v1/sites/ABC/remains", json={"remains_type": "isolated_part", "trench": "T\x001"})
    assert english.status_code == 422
    assert english.get_json()["problems"] == [{"field": "trench", "message": "a NUL character is not allowed in text",
                                               "row": None, "file": None}]
    assert db.exec(select(func.count()).select_from(Remains)).one() == 0
