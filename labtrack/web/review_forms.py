"""Forms of review, documents, notifications and handover."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from labtrack.models.families import NOTIFY_PREFERENCES
from labtrack.models.identification import NOTIFICATION_METHODS

NOTIFY_LABELS = {"each_time": _l("each time a part is identified"), "once_at_end": _l("once, at the end"),
                 "not_at_all": _l("not at all")}
METHOD_LABELS = {"in_person": _l("in person"), "phone": _l("by phone"), "letter": _l("by letter"),
                 "other": _l("other")}


class ProposeForm(FlaskForm):
    decision = SelectField(_l("Proposal"), choices=[("confirm", _l("confirm the identification")),
                                                    ("reject", _l("reject the match"))])
    reason = TextAreaField(_l("Reasons"), validators=[DataRequired(), Length(max=2000)])
    password = PasswordField(_l("Your password (electronic signature: reviewed)"),
                             validators=[DataRequired(), Length(max=200)])


class ApproveForm(FlaskForm):
    reason = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])
    password = PasswordField(_l("Your password (electronic signature: approved)"),
                             validators=[DataRequired(), Length(max=200)])


class SendBackForm(FlaskForm):
    reason = TextAreaField(_l("Why is it sent back?"), validators=[DataRequired(), Length(max=2000)])


class RetractForm(FlaskForm):
    reason = TextAreaField(_l("Why is the identification wrong?"), validators=[DataRequired(), Length(max=2000)])
    password = PasswordField(_l("Your password (electronic signature)"), validators=[DataRequired(), Length(max=200)])


class ReissueForm(FlaskForm):
    reason = StringField(_l("Reason for the re-issue"), validators=[DataRequired(), Length(max=500)])


class IssueForm(FlaskForm):
    """Only the CSRF token: issuing a document needs no other input."""


class NotifiedForm(FlaskForm):
    method = SelectField(_l("How was the family told?"),
                         choices=[(m, METHOD_LABELS[m]) for m in NOTIFICATION_METHODS])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    identification_id = HiddenField()


class PreferencesForm(FlaskForm):
    notify_preference = SelectField(_l("Tell the family about parts identified later"),
                                    choices=[(p, NOTIFY_LABELS[p]) for p in NOTIFY_PREFERENCES])
    wait_for_more_parts = BooleanField(_l("The family waits for more parts before burial"))


class HandoverForm(FlaskForm):
    to_party = StringField(_l("Handed over to (name and relation)"), validators=[DataRequired(), Length(max=200)])
    seal_number = StringField(_l("Seal number"), validators=[Optional(), Length(max=50)])
    reason = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
