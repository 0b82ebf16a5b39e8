"""Forms of the bench: sites, remains, samples, storage locations, custody corrections, labels.

Each form re-renders with what was typed and an error beside each wrong field when it fails
(see ``form_pages``). Limits mirror the database columns and the services' rules, so that the
person at the form hears of a problem before the service refuses it.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from labtrack.core import lifecycle
from labtrack.models.samples import LOCATION_LEVELS
from labtrack.models.sites import REMAINS_TYPES, SEXES, SITE_STATUSES
from labtrack.services.samples import REMAINS_SAMPLE_TYPES
from labtrack.web.fields import (
    DecimalNumberField,
    PickedDateField,
    WholeNumberField,
    arabic_script,
    not_before_1900,
    not_in_future,
)
from labtrack.web.terms import term

LONG_TEXT = 4000


def _choices(codes: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(code, term(code)) for code in codes]


class SiteForm(FlaskForm):
    code = StringField(_l("Code (3 letters)"), validators=[
        DataRequired(_l("Enter the site's three-letter code.")),
        Regexp(r"^\s*[A-Za-z]{3}\s*$", message=_l("A site code is three letters A-Z, e.g. QTF."))],
        render_kw={"maxlength": 3, "autocomplete": "off"})
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(_l("Enter the English name.")),
                                                           Length(max=200)])
    name_ar = StringField(_l("Name (Arabic)"), validators=[Optional(), Length(max=200), arabic_script],
                          render_kw={"dir": "rtl", "lang": "ar"})
    governorate = StringField(_l("Governorate"), validators=[Optional(), Length(max=100)])
    latitude = DecimalNumberField(_l("Latitude"), validators=[
        Optional(), NumberRange(-90, 90, _l("Latitude is between -90 and 90."))], render_kw={"inputmode": "decimal"})
    longitude = DecimalNumberField(_l("Longitude"), validators=[
        Optional(), NumberRange(-180, 180, _l("Longitude is between -180 and 180."))],
        render_kw={"inputmode": "decimal"})
    legal_case_ref = StringField(_l("Legal case reference"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("Status"), default="active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = _choices(SITE_STATUSES)


class RemainsForm(FlaskForm):
    remains_type = SelectField(_l("Type"))
    anatomical_elements = StringField(_l("Anatomical elements"), validators=[Optional(), Length(max=LONG_TEXT)])
    trench = StringField(_l("Trench"), validators=[Optional(), Length(max=50)])
    grid = StringField(_l("Grid"), validators=[Optional(), Length(max=50)])
    depth_m = DecimalNumberField(_l("Depth (m)"), validators=[
        Optional(), NumberRange(0, 100, _l("Depth is between 0 and 100 m."))], render_kw={"inputmode": "decimal"})
    recovered_on = PickedDateField(_l("Recovery date"), validators=[Optional(), not_in_future, not_before_1900])
    recovery_team = StringField(_l("Recovery team"), validators=[Optional(), Length(max=200)])
    est_sex = SelectField(_l("Estimated sex"), default="U")
    est_age_min = WholeNumberField(_l("Age from"), validators=[
        Optional(), NumberRange(0, 120, _l("Age is between 0 and 120 years."))], render_kw={"inputmode": "numeric"})
    est_age_max = WholeNumberField(_l("Age to"), validators=[
        Optional(), NumberRange(0, 120, _l("Age is between 0 and 120 years."))], render_kw={"inputmode": "numeric"})
    est_stature_cm = DecimalNumberField(_l("Stature (cm)"), validators=[
        Optional(), NumberRange(50, 250, _l("Stature is between 50 and 250 cm."))],
        render_kw={"inputmode": "decimal"})
    personal_effects = TextAreaField(_l("Personal effects"), validators=[Optional(), Length(max=LONG_TEXT)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=LONG_TEXT)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.remains_type.choices = _choices(REMAINS_TYPES)
        self.est_sex.choices = _choices(SEXES)

    def validate_est_age_max(self, field: Any) -> None:
        low, high = self.est_age_min.data, field.data
        if low is not None and high is not None and low > high:
            field.errors.append(_l("The upper age is below the lower age."))


class SampleForm(FlaskForm):
    sample_type = SelectField(_l("Sample type"))
    collected_on = PickedDateField(_l("Collected on"), validators=[Optional(), not_in_future, not_before_1900])
    notes = StringField(_l("Notes"), validators=[Optional(), Length(max=LONG_TEXT)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sample_type.choices = _choices(REMAINS_SAMPLE_TYPES)


class SampleTransitionForm(FlaskForm):
    to_state = SelectField(_l("New state"), validate_choice=False)  # the lifecycle refuses, naming the allowed steps
    reason = StringField(_l("Reason (required for failed)"), validators=[Optional(), Length(max=LONG_TEXT)])

    def __init__(self, *args: Any, from_state: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        states = lifecycle.allowed_transitions(from_state) if from_state else lifecycle.SAMPLE_STATES
        self.to_state.choices = _choices(tuple(states))


class ResampleForm(FlaskForm):
    """A new sample of the same remains (the button on a failed sample); same type unless given."""

    sample_type = SelectField(_l("Sample type"), validators=[Optional()], validate_choice=False)
    notes = StringField(_l("Notes"), validators=[Optional(), Length(max=LONG_TEXT)])


class StorageLocationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=100)])
    level = SelectField(_l("Level"))
    number = WholeNumberField(_l("Number"), validators=[
        InputRequired(_l("Enter the location's number.")),
        NumberRange(1, 9999, _l("The number is between 1 and 9999."))], render_kw={"inputmode": "numeric"})
    parent = SelectField(_l("Inside (ID of the larger location; empty for a room)"), default="")

    def __init__(self, *args: Any, parents: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.level.choices = _choices(LOCATION_LEVELS)
        self.parent.choices = [("", "—")] + list(parents or [])


class CustodyCorrectionForm(FlaskForm):
    event_id = SelectField(_l("Wrong event"), coerce=int, validate_choice=False)
    to_location = StringField(_l("Where it really is: location ID"), validators=[Optional(), Length(max=40)],
                              render_kw={"autocomplete": "off", "dir": "ltr", "class": "mono"})
    to_badge = StringField(_l("or person (badge)"), validators=[Optional(), Length(max=64)],
                           render_kw={"autocomplete": "off", "dir": "ltr", "class": "mono"})
    to_party = StringField(_l("or outside party"), validators=[Optional(), Length(max=200)])
    reason = StringField(_l("Reason"), validators=[DataRequired(_l("Give the reason for the correction.")),
                                                  Length(max=LONG_TEXT)])

    def __init__(self, *args: Any, events: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event_id.choices = list(events or [])

    def validate_event_id(self, field: Any) -> None:
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose one of this item's events."))


class LabelPrintForm(FlaskForm):
    items = TextAreaField(_l("Item IDs (one per line, or scan them)"), validators=[
        DataRequired(_l("Scan or type at least one ID.")), Length(max=200_000)],
        render_kw={"dir": "ltr", "rows": 8, "class": "mono"})
    layout = SelectField(_l("Layout"), default="sheet")
    reason = StringField(_l("Reason for a reprint (required when a label was printed before)"),
                         validators=[Optional(), Length(max=LONG_TEXT)])

    def __init__(self, *args: Any, layouts: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = {"sheet": _l("A4 sheet (Code 128)"), "roll": _l("Thermal roll 50 × 25 mm (Code 128)"),
                 "tube": _l("Tube (QR code)"), "zpl": _l("Zebra printer (ZPL)")}
        self.layout.choices = [(layout, names.get(layout, layout)) for layout in layouts]
