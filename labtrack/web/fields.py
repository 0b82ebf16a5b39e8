"""Form fields that read what people type at a Syrian lab bench.

Numbers may come with a decimal comma (``1,5``), the Arabic decimal separator (``١٫٥``) or
Arabic-Indic digits; dates come from a date picker (``<input type=date>``) and cannot lie in the
future where the event has already happened (a recovery, a collection). Errors are worded for the
person at the form, in their language, and shown beside the field.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, FloatField, IntegerField
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import TextInput

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫", "01234567890123456789.")
_ARABIC_LETTER = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


def western_digits(text: str) -> str:
    """``text`` with Arabic-Indic digits and the Arabic decimal separator as ASCII.

    >>> western_digits("١٫٥")
    '1.5'
    """
    return text.translate(_DIGITS).replace("\u066c", "").strip()


def decimal_text(text: str) -> str:
    """A typed decimal number in Python's spelling: one decimal comma becomes a point.

    >>> decimal_text("1,5"), decimal_text("١٫٢٥"), decimal_text("2.0")
    ('1.5', '1.25', '2.0')
    """
    text = western_digits(text).replace(" ", "")
    if "," in text and "." not in text and text.count(",") == 1:
        text = text.replace(",", ".")
    return text


class _ParsedFirst:
    """A value that could not be read gets that one error; range checks do not pile on."""

    process_errors: list[Any]

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            raise StopValidation()


class DecimalNumberField(_ParsedFirst, FloatField):
    """A number that may be typed with a decimal comma or Arabic-Indic digits (a text input: a
    browser's number input refuses "1,5" or reads it by the browser's locale, not the person's)."""

    widget = TextInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {}).setdefault("inputmode", "decimal")
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        text = decimal_text(str(valuelist[0]))
        try:
            self.data = float(text)
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter a number, e.g. 1.5 or 1,5.")) from None


class WholeNumberField(_ParsedFirst, IntegerField):
    """A whole number that may be typed with Arabic-Indic digits (a text input, numeric keyboard)."""

    widget = TextInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {}).setdefault("inputmode", "numeric")
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = int(western_digits(str(valuelist[0])))
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter a whole number, e.g. 35.")) from None


class PickedDateField(_ParsedFirst, DateField):
    """A date from the browser's date picker (``YYYY-MM-DD``), Arabic-Indic digits accepted."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = date.fromisoformat(western_digits(str(valuelist[0])))
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter a date as year-month-day, e.g. 2024-03-17.")) from None


def not_in_future(form: Any, field: Any) -> None:
    """The date has already happened: it cannot be after today (the server's date)."""
    if field.data is not None and field.data > date.today():
        raise ValidationError(_l("This date is in the future; enter the day it happened."))


def not_before_1900(form: Any, field: Any) -> None:
    """A date of this lab's work is not before 1900 (a mistyped year)."""
    if field.data is not None and field.data.year < 1900:
        raise ValidationError(_l("Check the year: it is before 1900."))


def arabic_script(form: Any, field: Any) -> None:
    """A field meant for Arabic script holds Arabic letters and no Latin ones (when filled)."""
    text = (field.data or "").strip()
    if text and (_LATIN_LETTER.search(text) or not _ARABIC_LETTER.search(text)):
        raise ValidationError(_l("Write this in Arabic script."))


def year_not_in_future(form: Any, field: Any) -> None:
    """A year that has already happened (a birth year): not after this year."""
    if field.data is not None and field.data > date.today().year:
        raise ValidationError(_l("This year is in the future."))
