"""Messages for people: a catalogue id (the English text) and its parameters (pure: no I/O).

Services and core rules say what went wrong with ``msg``::

    raise NotFound(msg("%(accession)s is a valid ID but no such item is registered", accession=full))

``msg`` is a gettext keyword (``scripts/translations.py`` extracts it, and ``nmsg`` for counts),
so the English text is the msgid of the Arabic catalogue. A ``Message`` *is* its English text (a
``str``): the CLI, logs, stored job errors and code that reads an error as text keep working. The
web edge renders it in the reader's language with ``message.render(translations)``.
Parameters may be messages themselves (``where=standing.describe()``); they are rendered first.
A stored code (a state, an action) is passed as ``term(code)`` or ``terms(codes)``: English text
shows the code (underscores as spaces), the web edge its label in the reader's language.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol


class Translations(Protocol):
    """What rendering needs of a gettext catalogue (``gettext.NullTranslations`` has it)."""

    def gettext(self, message: str, /) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...


def _format(text: str, params: Mapping[str, object]) -> str:
    return text % params if params else text


class Term(str):
    """A stored code as a message parameter (``term("in_transit")``): its English text is the code
    with spaces for underscores ("in transit"); ``code`` is the code itself."""

    code: str

    def __new__(cls, code: str) -> Term:
        self = super().__new__(cls, code.replace("_", " "))
        self.code = code
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Term, (self.code,))


class Terms(tuple[str, ...]):
    """Stored codes as one message parameter, listed with commas (``terms(["sealed", "failed"])``)."""

    def __str__(self) -> str:
        return ", ".join(code.replace("_", " ") for code in self)


class Joined(tuple[object, ...]):
    """Several messages (or texts) as one parameter, joined with semicolons (``joined(reasons)``)."""

    def __str__(self) -> str:
        return "; ".join(str(item) for item in self)


class Listed(tuple[object, ...]):
    """Several messages (or texts) as one parameter, listed with commas (``listed(places)``)."""

    def __str__(self) -> str:
        return ", ".join(str(item) for item in self)


def listed(items: Iterable[object]) -> Listed:
    """Messages as one parameter: each rendered in the reader's language, listed with ", " ("، ")."""
    return Listed(items)


def joined(items: Iterable[object]) -> Joined:
    """Messages as one parameter: each rendered in the reader's language, joined by "; " ("؛ ")."""
    return Joined(items)


def term(code: str) -> Term:
    """A stored code (state, action, kind) as a parameter: shown as its label in the reader's language."""
    return Term(code)


def terms(codes: Iterable[str]) -> Terms:
    """Several stored codes as one parameter, listed with the reader's commas."""
    return Terms(str(code) for code in codes)


class Message(str):
    """A message id with parameters; as a ``str`` it is the English text, formatted."""

    id: str
    params: dict[str, object]
    plural: str | None
    num: int | None

    def __new__(cls, id: str, params: Mapping[str, object] | None = None,
                plural: str | None = None, num: int | None = None) -> Message:
        values = dict(params or {})
        if plural is not None:
            values.setdefault("num", num)
        text = plural if plural is not None and num != 1 else id
        try:
            english = _format(text, values)
        except (KeyError, ValueError, TypeError):  # a placeholder without its parameter: say it as written
            english = text
        self = super().__new__(cls, english)
        self.id, self.params, self.plural, self.num = id, values, plural, num
        return self

    def render(self, translations: Translations, label: Callable[[str], str] | None = None) -> str:
        """The text in the language of ``translations`` (English when the translation is unusable);
        ``label`` gives the label of a stored code (``term``)."""
        values = {name: _render_value(value, translations, label) for name, value in self.params.items()}
        if self.plural is not None:
            text = translations.ngettext(self.id, self.plural, self.num or 0)
        else:
            text = translations.gettext(self.id)
        try:
            return _format(text, values)
        except (KeyError, ValueError, TypeError):
            return str(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Message, (self.id, self.params, self.plural, self.num))


def _render_value(value: object, translations: Translations, label: Callable[[str], str] | None) -> object:
    if isinstance(value, Message):
        return value.render(translations, label)
    if isinstance(value, Term):
        return label(value.code) if label else str(value)
    if isinstance(value, Terms):
        separator = translations.gettext(LIST_SEPARATOR)
        return separator.join(label(code) if label else code for code in value)
    if isinstance(value, Joined | Listed):
        separator = translations.gettext(JOIN_SEPARATOR if isinstance(value, Joined) else LIST_SEPARATOR)
        return separator.join(str(_render_value(item, translations, label)) for item in value)
    return value


def to_data(value: object) -> object:
    """``value`` as JSON data that ``from_data`` turns back into the same message (for messages
    kept in the database, e.g. a refused upload's problems); other values as they are."""
    if isinstance(value, Message):
        data: dict[str, object] = {"msg": value.id, "params": {k: to_data(v) for k, v in value.params.items()}}
        if value.plural is not None:
            data |= {"plural": value.plural, "num": value.num}
        return data
    if isinstance(value, Term):
        return {"term": value.code}
    if isinstance(value, Terms):
        return {"terms": list(value)}
    if isinstance(value, Joined):
        return {"joined": [to_data(item) for item in value]}
    if isinstance(value, Listed):
        return {"listed": [to_data(item) for item in value]}
    if value is None or type(value) in (str, int, float, bool):
        return value
    return str(value)


def from_data(data: object) -> object:
    """The message (or value) that ``to_data`` gave ``data`` for; plain text stays text."""
    if isinstance(data, dict):
        if "msg" in data:
            params = {k: from_data(v) for k, v in dict(data.get("params") or {}).items()}
            plural, num = data.get("plural"), data.get("num")
            return Message(str(data["msg"]), params, None if plural is None else str(plural),
                           None if num is None else int(num))
        if "term" in data:
            return Term(str(data["term"]))
        if "terms" in data:
            return Terms(str(code) for code in data["terms"])
        if "joined" in data:
            return Joined(from_data(item) for item in data["joined"])
        if "listed" in data:
            return Listed(from_data(item) for item in data["listed"])
    return data


def to_json(value: object) -> str:
    """A message as JSON text for a column beside its English text ("" for plain text: the English
    column says it all)."""
    return json.dumps(to_data(value), ensure_ascii=False, sort_keys=True) if isinstance(value, Message) else ""


def from_json(data: str, english: str) -> str:
    """The message kept as ``data`` (``to_json``), or ``english`` for rows written before messages
    were kept, or whose data cannot be read."""
    if not data:
        return english
    try:
        value = from_data(json.loads(data))
    except (ValueError, TypeError, KeyError):
        return english
    return value if isinstance(value, str) else english


def msg(id: str, /, **params: object) -> Message:
    """A message for people: ``id`` is the English text with ``%(name)s`` placeholders."""
    return Message(id, params)


def nmsg(singular: str, plural: str, num: int, /, **params: object) -> Message:
    """A message whose wording depends on the count ``num`` (``%(num)d`` in the plural)."""
    return Message(singular, params, plural, num)


def message_of(error: BaseException) -> str:
    """The message an exception was raised with: the ``Message`` itself when it was one."""
    first = error.args[0] if error.args else None
    return first if isinstance(first, Message) else str(error)


#: Between the items of a list (``terms``): "، " in Arabic.
LIST_SEPARATOR = msg(", ")
#: Between joined messages (``joined``): "؛ " in Arabic.
JOIN_SEPARATOR = msg("; ")
