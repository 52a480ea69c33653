"""Forms of the citizen pages (Flask-WTF: CSRF protection and validation with a message per
field). The field rules are those of the API (terminvergabe/fields.py)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, StringField, TelField
from wtforms.validators import StopValidation

from terminvergabe import fields


def _one_of_the_choices(form, field) -> None:
    """The way chosen among those offered; with only one, nothing to choose (it is not shown
    as a radio button). Whether the offers have it is the booking operation's rule."""
    values = [value for value, _label in field.choices]
    if len(values) == 1 and not field.data:
        field.data = values[0]
    elif field.data not in values:
        raise StopValidation(_("Please choose how your appointment should take place."))


class DetailsForm(FlaskForm):
    """Who comes: name, email for the confirmation, optionally a phone number (required for an
    appointment by phone), and how the appointment takes place where there is a choice."""

    # Choices are set per appointment (confirmation.details): the ways its offers share.
    mode = RadioField(
        _l("How should your appointment take place?"),
        choices=[],
        validate_choice=False,
        validators=[_one_of_the_choices],
    )
    name = StringField(_l("Full name"), validators=[fields.Rule(fields.NAME)])
    email = EmailField(_l("Email address"), validators=[fields.Rule(fields.EMAIL)])
    phone = TelField(_l("Phone number (optional)"), validators=[fields.Rule(fields.PHONE)])
