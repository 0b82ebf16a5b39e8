"""The API's validation problems (pydantic's) in the reader's language: Arabic for Accept-Language: ar,
pydantic's own English otherwise."""

from __future__ import annotations

from flask.testing import FlaskClient

from labtrack.web.api.validation import issue_message


def _problems(client: FlaskClient, language: str) -> dict[str, str]:
    answer = client.post("/api/v1/match-runs", headers={"Accept-Language": language},
                         json={"theta": "high", "top_k": 0, "mutation_model": "wild", "prior": 1})
    assert answer.status_code == 422
    body = answer.get_json()
    return {"": body["message"]} | {p["field"]: p["message"] for p in body["problems"]}


def test_body_problems_in_arabic_and_in_pydantics_english(client: FlaskClient, login_as) -> None:  # noqa: ANN001
    login_as("analyst")
    arabic = _problems(client, "ar")
    assert arabic == {
        "": arabic[""],
        "theta": "يجب أن تكون القيمة رقماً صالحاً، وتعذّرت قراءة النص رقماً",
        "top_k": "يجب أن تكون القيمة أكبر من 1 أو مساوية له",
        "mutation_model": "يجب أن تكون القيمة: 'none'، 'equal'، 'proportional' أو 'stepwise'",
        "prior": "يجب أن تكون القيمة أصغر من 1",
    }
    assert "Input should" not in arabic[""] and "is not valid" not in arabic[""]
    english = _problems(client, "en")
    assert english["theta"] == "Input should be a valid number, unable to parse string as a number"
    assert english["top_k"] == "Input should be greater than or equal to 1"
    assert english["prior"] == "Input should be less than 1"  # as pydantic says it (not 1.0)
    assert english["mutation_model"] == "Input should be 'none', 'equal', 'proportional' or 'stepwise'"  # as before


def test_plural_wording_and_error_types_without_their_own_wording() -> None:
    assert issue_message({"type": "string_too_long", "ctx": {"max_length": 40}, "msg": "x"}) == \
        "String should have at most 40 characters"
    assert issue_message({"type": "string_too_long", "ctx": {"max_length": 1}, "msg": "x"}) == \
        "String should have at most 1 character"
    assert issue_message({"type": "url_parsing", "loc": ("site",), "msg": "Input should be a valid URL, x"}) == \
        "Input should be a valid URL"  # pydantic's wording, without the parser's English detail
    # a type without its own wording (or without the context it needs) names the field and the type
    assert issue_message({"type": "greater_than", "loc": ("top_k",), "msg": "as pydantic said"}) == \
        "The value of top_k is not valid (greater_than)"
    assert issue_message({"type": "a_type_of_a_later_release", "loc": ("events", 0, "item"), "msg": "?"}) == \
        "The value of events.0.item is not valid (a_type_of_a_later_release)"
    assert issue_message({"type": "too_long", "loc": (), "ctx": {"field_type": "Dictionary", "max_length": 2,
                                                                 "actual_length": 3}}) == \
        "The input is not valid (too_long)"
