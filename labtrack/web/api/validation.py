"""Pydantic's validation errors as messages: an API problem detail says "Field required" or
"String should have at most 40 characters" in the reader's language (Accept-Language). The
English is pydantic's own wording (without the parser's English detail after a comma, e.g.
"input is too short", which no catalogue can translate). Every other error type, listed by
pydantic_core or new in a later release, reads "The value of <field> is not valid (<type>)" in the
reader's language: never pydantic's English in an Arabic answer."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from labtrack.core.messages import listed, msg, nmsg

_PLAIN = {
    "missing": msg("Field required"),
    "extra_forbidden": msg("Extra inputs are not permitted"),
    "string_type": msg("Input should be a valid string"),
    "int_type": msg("Input should be a valid integer"),
    "int_parsing": msg("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": msg("Input should be a valid integer, got a number with a fractional part"),
    "float_type": msg("Input should be a valid number"),
    "float_parsing": msg("Input should be a valid number, unable to parse string as a number"),
    "bool_type": msg("Input should be a valid boolean"),
    "bool_parsing": msg("Input should be a valid boolean, unable to interpret input"),
    "list_type": msg("Input should be a valid list"),
    "dict_type": msg("Input should be a valid dictionary"),
    "date_type": msg("Input should be a valid date"),
    "datetime_type": msg("Input should be a valid datetime"),
    "json_invalid": msg("Invalid JSON"),
    "json_type": msg("JSON input should be string, bytes or bytearray"),
    "none_required": msg("Input should be None"),
    "model_type": msg("Input should be an object"),
    "model_attributes_type": msg("Input should be an object"),
    "dataclass_type": msg("Input should be an object"),
    "finite_number": msg("Input should be a finite number"),
    "string_unicode": msg("Input should be a valid string, unable to parse raw data as a unicode string"),
    "string_not_ascii": msg("String should contain only ASCII characters"),
    "int_parsing_size": msg("Unable to parse input string as an integer, exceeded maximum size"),
    "tuple_type": msg("Input should be a valid list"),
    "set_type": msg("Input should be a valid list"),
    "frozen_set_type": msg("Input should be a valid list"),
    "iterable_type": msg("Input should be a valid list"),
    "date_parsing": msg("Input should be a valid date in the format YYYY-MM-DD"),
    "date_from_datetime_parsing": msg("Input should be a valid date or datetime"),
    "date_from_datetime_inexact": msg("Datetimes provided to dates should have zero time - e.g. be exact dates"),
    "date_past": msg("Date should be in the past"),
    "date_future": msg("Date should be in the future"),
    "time_type": msg("Input should be a valid time"),
    "time_parsing": msg("Input should be in a valid time format"),
    "datetime_parsing": msg("Input should be a valid datetime"),
    "datetime_from_date_parsing": msg("Input should be a valid datetime or date"),
    "datetime_object_invalid": msg("Input should be a valid datetime"),
    "datetime_past": msg("Input should be in the past"),
    "datetime_future": msg("Input should be in the future"),
    "timezone_naive": msg("Input should not have timezone info"),
    "timezone_aware": msg("Input should have timezone info"),
    "time_delta_type": msg("Input should be a valid timedelta"),
    "time_delta_parsing": msg("Input should be a valid timedelta"),
    "url_type": msg("URL input should be a string or URL"),
    "url_parsing": msg("Input should be a valid URL"),
    "url_syntax_violation": msg("Input violated strict URL syntax rules"),
    "uuid_type": msg("UUID input should be a string, bytes or UUID object"),
    "uuid_parsing": msg("Input should be a valid UUID"),
    "decimal_type": msg("Decimal input should be an integer, float, string or Decimal object"),
    "decimal_parsing": msg("Input should be a valid decimal"),
    "frozen_field": msg("Field is frozen"),
    "invalid_key": msg("Keys should be strings"),
}


_CHOICE = re.compile(r"'[^']*'|-?\d+(\.\d+)?")


def _choices(expected: str) -> str:
    """pydantic's list of the allowed values ("'a', 'b' or 'c'") with the reader's comma and "or"
    (the values themselves as written); anything else as it is."""
    if " or " not in expected:
        return expected
    head, last = expected.rsplit(" or ", 1)
    items = head.split(", ")
    if not all(_CHOICE.fullmatch(item) for item in [*items, last]):
        return expected
    return msg("%(choices)s or %(last)s", choices=listed(items), last=last)


def _number(value: Any) -> Any:
    """A bound as pydantic prints it (1, not 1.0)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


_WITH_CONTEXT: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "greater_than": lambda ctx: msg("Input should be greater than %(gt)s", gt=_number(ctx["gt"])),
    "greater_than_equal": lambda ctx: msg("Input should be greater than or equal to %(ge)s", ge=_number(ctx["ge"])),
    "less_than": lambda ctx: msg("Input should be less than %(lt)s", lt=_number(ctx["lt"])),
    "less_than_equal": lambda ctx: msg("Input should be less than or equal to %(le)s", le=_number(ctx["le"])),
    "literal_error": lambda ctx: msg("Input should be %(expected)s", expected=_choices(str(ctx["expected"]))),
    "enum": lambda ctx: msg("Input should be %(expected)s", expected=_choices(str(ctx["expected"]))),
    "string_too_long": lambda ctx: nmsg("String should have at most %(num)d character",
                                        "String should have at most %(num)d characters", int(ctx["max_length"])),
    "string_too_short": lambda ctx: nmsg("String should have at least %(num)d character",
                                         "String should have at least %(num)d characters", int(ctx["min_length"])),
    "string_pattern_mismatch": lambda ctx: msg("String should match pattern '%(pattern)s'", pattern=ctx["pattern"]),
    "multiple_of": lambda ctx: msg("Input should be a multiple of %(multiple_of)s",
                                   multiple_of=_number(ctx["multiple_of"])),
    "url_scheme": lambda ctx: msg("URL scheme should be %(expected_schemes)s",
                                  expected_schemes=ctx["expected_schemes"]),
    "too_long": lambda ctx: nmsg("List should have at most %(num)d item after validation, not %(actual)s",
                                 "List should have at most %(num)d items after validation, not %(actual)s",
                                 int(ctx["max_length"]), actual=ctx.get("actual_length")),
    "too_short": lambda ctx: nmsg("List should have at least %(num)d item after validation, not %(actual)s",
                                  "List should have at least %(num)d items after validation, not %(actual)s",
                                  int(ctx["min_length"]), actual=ctx.get("actual_length")),
}

# too_long / too_short speak of a list; a JSON body's sequences arrive as these
_SEQUENCES = {"List", "Tuple", "Set", "Frozenset", "Frozen Set"}


def _fallback(issue: Mapping[str, Any]) -> str:
    """Any other error type: the field and the type, in the reader's language."""
    kind = str(issue.get("type", "")) or "?"
    field = ".".join(str(part) for part in issue.get("loc", ()))
    if field:
        return msg("The value of %(field)s is not valid (%(kind)s)", field=field, kind=kind)
    return msg("The input is not valid (%(kind)s)", kind=kind)


def issue_message(issue: Mapping[str, Any]) -> str:
    """The message of one pydantic error (``ValidationError.errors()`` item), a catalogue message
    for every error type."""
    kind, ctx = str(issue.get("type", "")), issue.get("ctx") or {}
    if kind in _PLAIN:
        return _PLAIN[kind]
    if kind in ("too_long", "too_short") and ctx.get("field_type") not in _SEQUENCES:
        return _fallback(issue)
    try:
        if kind in _WITH_CONTEXT:
            return _WITH_CONTEXT[kind](ctx)
    except (KeyError, TypeError, ValueError):
        pass
    return _fallback(issue)
