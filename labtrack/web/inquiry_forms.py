"""Forms of the family inquiry page and of the coordinators' code panel."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from labtrack.core.contact_details import InvalidDetail, normalise_phone

NOTIFY_CHOICES = [
    ("", _l("No change")),
    ("each_time", _l("Tell us each time a part of the remains is identified")),
    ("once_at_end", _l("Tell us only once, when all parts have been found")),
    ("not_at_all", _l("Do not tell us about parts found later")),
]

#: the details a family may ask to change, as pages name them
DETAIL_LABELS = {
    "contact_name": _l("Name of the family contact"), "contact_phone": _l("Phone number"),
    "notify_preference": _l("When to tell the family"), "phone": _l("Phone number"), "address": _l("Address"),
}


class CodeForm(FlaskForm):
    # no validators: the service reads and checks what was typed (a calm answer, recorded like every attempt)
    code = StringField(_l("Inquiry code"))


def _phone(_form: Any, field: Any) -> None:
    if not (field.data or "").strip():
        return
    try:
        field.data = normalise_phone(field.data)
    except InvalidDetail as error:
        raise ValidationError(_l("Write the phone number with its digits, for example +963 933 123 456.")) from error


class CaseContactForm(FlaskForm):
    """A family contact asks to change their details or how they are told (case codes)."""

    contact_name = StringField(_l("Name of the family contact"), validators=[Optional(), Length(max=200)])
    contact_phone = StringField(_l("Phone number"), validators=[Optional(), _phone])
    notify_preference = RadioField(_l("When should we tell you about parts found later?"), choices=NOTIFY_CHOICES,
                                   default="", validate_choice=True)


class DonorContactForm(FlaskForm):
    """A donor asks to change their own contact details (donor codes)."""

    phone = StringField(_l("Phone number"), validators=[Optional(), _phone])
    address = TextAreaField(_l("Address"), validators=[Optional(), Length(max=500)])


def contact_form(kind: str) -> FlaskForm:
    return CaseContactForm() if kind == "missing_person" else DonorContactForm()


class IssueCodeForm(FlaskForm):
    reason = StringField(_l("Why a new code? (the current code stops working)"), validators=[Length(max=500)])


class RevokeCodeForm(FlaskForm):
    reason = StringField(_l("Why is the code revoked?"), validators=[DataRequired(), Length(max=500)])


class ReceiptForm(FlaskForm):
    code = HiddenField(validators=[DataRequired()])


class DecideForm(FlaskForm):
    reason = StringField(_l("Why is it declined?"), validators=[Length(max=500)])
