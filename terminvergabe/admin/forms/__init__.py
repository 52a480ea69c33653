"""Admin forms (Flask-WTF): every field validated, every message translated."""

from __future__ import annotations

import datetime as dt

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from terminvergabe import fields
from terminvergabe.booking.models import CLAIM_UNIT_MINUTES, Role
from terminvergabe.i18n import OFFICE_LANGUAGE, _l, lazy_ngettext, office_lang, office_text


class CheckboxList(SelectMultipleField):
    """Checkboxes in a list, for skills and roles."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def office_choices(pairs, options: bool = False) -> list[SelectChoice]:
    """Choices named by the office (services, counters), marked lang="de" on pages in another
    language: a checkbox label gets a <span lang>, an <option> (which holds only text) the
    attribute."""
    if not office_lang():
        return choices(pairs)
    if options:
        return [SelectChoice(v, label, render_kw={"lang": OFFICE_LANGUAGE}) for v, label in pairs]
    return [SelectChoice(value, office_text(label)) for value, label in pairs]


def weekday_names() -> dict[int, str]:
    names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    labels = (
        _l("Monday"),
        _l("Tuesday"),
        _l("Wednesday"),
        _l("Thursday"),
        _l("Friday"),
        _l("Saturday"),
        _l("Sunday"),
    )
    return dict(zip(range(len(names)), labels, strict=True))


def weekday_choices() -> list[SelectChoice]:
    return choices(weekday_names().items())


def _end_after_start(form, field):
    if form.start_local.data and field.data and field.data <= form.start_local.data:
        raise ValidationError(_l("The end must be later than the start."))


class CounterForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    position = IntegerField(
        _l("Position in lists"), default=0, validators=[InputRequired(), NumberRange(0, 999)]
    )
    active = BooleanField(_l("In use"), default=True)
    skills = CheckboxList(_l("Services this counter can do"), coerce=int)


class ServiceForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    what_to_bring = TextAreaField(_l("What to bring"), validators=[Length(max=2000)])
    duration_minutes = IntegerField(
        _l("Duration in minutes"), validators=[InputRequired(), NumberRange(1, 480)]
    )
    leika_id = StringField(
        _l("LeiKa id (optional)"),
        validators=[
            Optional(),
            Regexp(r"^\d{14}$", message=_l("A LeiKa id has exactly 14 digits.")),
        ],
    )
    max_quantity = IntegerField(
        _l("Most per appointment"), default=1, validators=[InputRequired(), NumberRange(1, 20)]
    )
    ticket_prefix = StringField(
        _l("Ticket prefix"),
        default="A",
        validators=[
            DataRequired(),
            Regexp(r"^[A-Z]{1,3}$", message=_l("Use one to three capital letters A–Z.")),
        ],
    )
    position = IntegerField(
        _l("Position in lists"), default=0, validators=[InputRequired(), NumberRange(0, 999)]
    )
    public = BooleanField(_l("Citizens can book it online"), default=True)
    active = BooleanField(_l("Offered"), default=True)


class StaffForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    login = StringField(
        _l("Login name (empty: no login)"),
        validators=[
            Optional(),
            Length(max=100),
            Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Use letters, digits, dot, dash.")),
        ],
    )
    password = PasswordField(
        _l("New password (empty: unchanged)"), validators=[Optional(), Length(min=12, max=200)]
    )
    roles = CheckboxList(_l("Roles"))
    skills = CheckboxList(
        _l("Services this person can do (none: all of the counter's)"), coerce=int
    )
    active = BooleanField(_l("Active"), default=True)

    def set_role_choices(self, may_grant_admin: bool) -> None:
        labels = {
            Role.ADMIN: _l("Administrator (all offices)"),
            Role.OFFICE_MANAGER: _l("Office manager"),
            Role.FRONT_DESK: _l("Front desk"),
            Role.CLERK: _l("Clerk"),
        }
        self.roles.choices = choices(
            (r.value, labels[r]) for r in Role if may_grant_admin or r != Role.ADMIN
        )


class ShiftPatternForm(FlaskForm):
    staff_member_id = SelectField(_l("Staff member"), coerce=int)
    counter_id = SelectField(_l("Counter"), coerce=int)
    weekday = SelectField(_l("Weekday"), coerce=int, choices=weekday_choices)
    start_local = TimeField(_l("From"), validators=[InputRequired()])
    end_local = TimeField(_l("Until"), validators=[InputRequired(), _end_after_start])
    valid_from = DateField(_l("Valid from (optional)"), validators=[Optional()])
    valid_until = DateField(_l("Valid until (optional)"), validators=[Optional()])

    def validate_valid_until(self, field):
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError(_l("The last day must not be before the first day."))


class ShiftExceptionForm(FlaskForm):
    staff_member_id = SelectField(_l("Staff member"), coerce=int)
    date = DateField(_l("Date"), validators=[InputRequired()])
    kind = SelectField(
        _l("Kind"),
        choices=lambda: choices([("absence", _l("Absence")), ("extra", _l("Extra shift"))]),
    )
    counter_id = SelectField(_l("Counter (extra shift)"), coerce=int)
    start_local = TimeField(_l("From (empty: whole day)"), validators=[Optional()])
    end_local = TimeField(_l("Until"), validators=[Optional(), _end_after_start])
    note = StringField(_l("Note"), validators=[Length(max=200)])

    def validate_counter_id(self, field):
        if self.kind.data == "extra" and not field.data:
            raise ValidationError(_l("An extra shift needs a counter."))

    def validate_start_local(self, field):
        if self.kind.data == "extra" and not field.data:
            raise ValidationError(_l("An extra shift needs a start and an end time."))
        if bool(field.data) != bool(self.end_local.data):
            raise ValidationError(_l("Give both a start and an end time, or neither."))


class ClosureForm(FlaskForm):
    first_day = DateField(_l("First day"), validators=[InputRequired()])
    last_day = DateField(_l("Last day"), validators=[InputRequired()])
    reason = StringField(_l("Reason"), validators=[Length(max=200)])

    def validate_last_day(self, field):
        if field.data and self.first_day.data and field.data < self.first_day.data:
            raise ValidationError(_l("The last day must not be before the first day."))


class OpeningHoursForm(FlaskForm):
    weekday = SelectField(_l("Weekday"), coerce=int, choices=weekday_choices)
    start_local = TimeField(_l("Opens"), validators=[InputRequired()])
    end_local = TimeField(_l("Closes"), validators=[InputRequired(), _end_after_start])


def _multiple_of_unit(form, field):
    if field.data is not None and field.data % CLAIM_UNIT_MINUTES:
        raise ValidationError(
            lazy_ngettext(
                "Use a multiple of %(n)d minute.",
                "Use a multiple of %(n)d minutes.",
                CLAIM_UNIT_MINUTES,
                n=CLAIM_UNIT_MINUTES,
            )
        )


class RulesForm(FlaskForm):
    slot_minutes = IntegerField(
        _l("Slot length in minutes"),
        validators=[InputRequired(), NumberRange(5, 120), _multiple_of_unit],
    )
    horizon_days = IntegerField(
        _l("Bookable days ahead"), validators=[InputRequired(), NumberRange(1, 365)]
    )
    lead_minutes = IntegerField(
        _l("Minimum lead time in minutes"), validators=[InputRequired(), NumberRange(0, 20160)]
    )
    release_time = TimeField(_l("Time of day new days are released"), validators=[InputRequired()])
    hold_minutes = IntegerField(
        _l("Minutes a time is held while booking"), validators=[InputRequired(), NumberRange(1, 60)]
    )
    max_active_per_email = IntegerField(
        _l("Most upcoming appointments per email"),
        validators=[InputRequired(), NumberRange(1, 50)],
    )
    cancel_deadline_minutes = IntegerField(
        _l("Cancellation deadline in minutes before the appointment"),
        validators=[InputRequired(), NumberRange(0, 20160)],
    )
    cancel_cooldown_minutes = IntegerField(
        _l("Minutes before a cancelled time is offered again"),
        validators=[InputRequired(), NumberRange(0, 1440)],
    )
    double_opt_in = BooleanField(_l("Citizens confirm by email (double opt-in)"))
    opt_in_minutes = IntegerField(
        _l("Minutes to confirm by email"), validators=[InputRequired(), NumberRange(5, 1440)]
    )


class PeriodForm(FlaskForm):
    """Statistics range (GET, no CSRF)."""

    class Meta:
        csrf = False

    first = DateField(_l("From"), validators=[InputRequired()])
    last = DateField(_l("Until"), validators=[InputRequired()])

    def validate_last(self, field):
        if field.data and self.first.data:
            if field.data < self.first.data:
                raise ValidationError(_l("The last day must not be before the first day."))
            if field.data - self.first.data > dt.timedelta(days=400):
                raise ValidationError(_l("Please choose at most 400 days."))


class CitizenForm(FlaskForm):
    email = StringField(
        _l("Citizen's email address"), validators=[fields.Rule(fields.CITIZEN_EMAIL)]
    )


class QueueSettingsForm(FlaskForm):
    """The queue rules of one office (counter.models.QueueSettings)."""

    early_minutes = IntegerField(
        _l("Check-in opens this many minutes before the appointment"),
        validators=[InputRequired(), NumberRange(0, 240)],
    )
    late_minutes = IntegerField(
        _l("Check-in on time until this many minutes after the start"),
        validators=[InputRequired(), NumberRange(0, 240)],
    )
    late_policy = SelectField(
        _l("A citizen who comes later"),
        choices=lambda: choices(
            [
                ("walk_in", _l("is served as a walk-in")),
                ("refuse", _l("is refused and must book again")),
            ]
        ),
    )
    max_calls = IntegerField(
        _l("Calls before a citizen counts as not appeared"),
        validators=[InputRequired(), NumberRange(1, 10)],
    )
    walk_in_every = IntegerField(
        _l("Call a waiting walk-in after this many appointments in a row"),
        validators=[InputRequired(), NumberRange(1, 50)],
    )
    walk_in_max_wait_minutes = IntegerField(
        _l("A walk-in waiting this many minutes goes before due appointments"),
        validators=[InputRequired(), NumberRange(1, 480)],
    )


class AuditFilterForm(FlaskForm):
    """Audit log filter (GET, no CSRF); every field optional."""

    class Meta:
        csrf = False

    first = DateField(_l("From"), validators=[Optional()])
    last = DateField(_l("Until"), validators=[Optional()])
    action = SelectField(_l("Action"), validators=[Optional()])

    def validate_last(self, field):
        if field.data and self.first.data and field.data < self.first.data:
            raise ValidationError(_l("The last day must not be before the first day."))
