"""Forms of the citizen pages (Flask-WTF: CSRF protection and validation with a message per
field)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, TelField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp


class DetailsForm(FlaskForm):
    """Who comes: name, email for the confirmation, optionally a phone number."""

    name = StringField(
        _l("Full name"),
        validators=[
            DataRequired(_l("Please enter your name.")),
            Length(max=200, message=_l("Please enter at most 200 characters.")),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    email = EmailField(
        _l("Email address"),
        validators=[
            DataRequired(_l("Please enter your email address.")),
            Length(max=254, message=_l("Please enter at most 254 characters.")),
            Email(_l("Please enter an email address in the form name@example.org.")),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    phone = TelField(
        _l("Phone number (optional)"),
        validators=[
            Optional(),
            Length(max=50, message=_l("Please enter at most 50 characters.")),
            Regexp(
                r"^\+?[0-9 ()/\-]{3,}$",
                message=_l("Please enter a phone number with digits only, e.g. 0221 123456."),
            ),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
