"""Forms of the site and remains corrections (prefilled; a reason each)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from labtrack.models.sites import REMAINS_TYPES, SEXES, SITE_STATUSES
from labtrack.web.fields import DecimalNumberField, PickedDateField, WholeNumberField, not_before_1900, not_in_future
from labtrack.web.terms import TERMS


def _choices(codes: tuple[str, ...]) -> list[tuple[str, object]]:
    return [(code, TERMS.get(code, code)) for code in codes]


def _reason() -> StringField:
    return StringField(_l("Why is the record corrected?"), validators=[DataRequired(), Length(max=500)])


class SiteEditForm(FlaskForm):
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    name_ar = StringField(_l("Name (Arabic)"), validators=[Length(max=200)])
    governorate = StringField(_l("Governorate"), validators=[Length(max=100)])
    latitude = DecimalNumberField(_l("Latitude"), validators=[Optional(), NumberRange(-90, 90)])
    longitude = DecimalNumberField(_l("Longitude"), validators=[Optional(), NumberRange(-180, 180)])
    legal_case_ref = StringField(_l("Legal case"), validators=[Length(max=100)])
    reason = _reason()


class SiteStatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=_choices(SITE_STATUSES))
    reason = StringField(_l("Why does the status change?"), validators=[DataRequired(), Length(max=500)])


class RemainsEditForm(FlaskForm):
    remains_type = SelectField(_l("Type"), choices=_choices(REMAINS_TYPES))
    anatomical_elements = TextAreaField(_l("Anatomical elements"))
    trench = StringField(_l("Trench"), validators=[Length(max=50)])
    grid = StringField(_l("Grid"), validators=[Length(max=50)])
    depth_m = DecimalNumberField(_l("Depth (m)"), validators=[Optional(), NumberRange(min=0)])
    recovered_on = PickedDateField(_l("Recovery date"), validators=[Optional(), not_in_future, not_before_1900])
    recovery_team = StringField(_l("Recovery team"), validators=[Length(max=200)])
    est_sex = SelectField(_l("Estimated sex"), choices=_choices(SEXES))
    est_age_min = WholeNumberField(_l("Age from"), validators=[Optional(), NumberRange(0, 120)])
    est_age_max = WholeNumberField(_l("Age to"), validators=[Optional(), NumberRange(0, 120)])
    est_stature_cm = DecimalNumberField(_l("Stature (cm)"), validators=[Optional(), NumberRange(50, 250)])
    personal_effects = TextAreaField(_l("Personal effects"))
    notes = TextAreaField(_l("Notes"))
    reason = _reason()
