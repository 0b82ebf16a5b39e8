"""Pydantic's validation errors as messages: an API problem detail says "Field required" or
"String should have at most 40 characters" in the reader's language (Accept-Language). The
English is pydantic's own wording, so English answers read as before; an error type not listed
here keeps pydantic's English text."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from labtrack.core.messages import msg, nmsg

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
}


def _number(value: Any) -> Any:
    """A bound as pydantic prints it (1, not 1.0)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


_WITH_CONTEXT: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "greater_than": lambda ctx: msg("Input should be greater than %(gt)s", gt=_number(ctx["gt"])),
    "greater_than_equal": lambda ctx: msg("Input should be greater than or equal to %(ge)s", ge=_number(ctx["ge"])),
    "less_than": lambda ctx: msg("Input should be less than %(lt)s", lt=_number(ctx["lt"])),
    "less_than_equal": lambda ctx: msg("Input should be less than or equal to %(le)s", le=_number(ctx["le"])),
    "literal_error": lambda ctx: msg("Input should be %(expected)s", expected=ctx["expected"]),
    "enum": lambda ctx: msg("Input should be %(expected)s", expected=ctx["expected"]),
    "string_too_long": lambda ctx: nmsg("String should have at most %(num)d character",
                                        "String should have at most %(num)d characters", int(ctx["max_length"])),
    "string_too_short": lambda ctx: nmsg("String should have at least %(num)d character",
                                         "String should have at least %(num)d characters", int(ctx["min_length"])),
}


def issue_message(issue: Mapping[str, Any]) -> str:
    """The message of one pydantic error (``ValidationError.errors()`` item)."""
    kind, ctx = str(issue.get("type", "")), issue.get("ctx") or {}
    if kind in _PLAIN:
        return _PLAIN[kind]
    try:
        if kind in _WITH_CONTEXT:
            return _WITH_CONTEXT[kind](ctx)
        if kind in ("too_long", "too_short") and ctx.get("field_type") == "List":
            actual = ctx.get("actual_length")
            if kind == "too_long":
                return nmsg("List should have at most %(num)d item after validation, not %(actual)s",
                            "List should have at most %(num)d items after validation, not %(actual)s",
                            int(ctx["max_length"]), actual=actual)
            return nmsg("List should have at least %(num)d item after validation, not %(actual)s",
                        "List should have at least %(num)d items after validation, not %(actual)s",
                        int(ctx["min_length"]), actual=actual)
    except (KeyError, TypeError, ValueError):
        pass
    return str(issue.get("msg", ""))
