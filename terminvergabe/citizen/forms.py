"""Forms of the citizen pages (Flask-WTF: CSRF protection and validation with a message per
field). The field rules are those of the API (terminvergabe/fields.py)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, TelField

from terminvergabe import fields


class DetailsForm(FlaskForm):
    """Who comes: name, email for the confirmation, optionally a phone number."""

    name = StringField(_l("Full name"), validators=[fields.Rule(fields.NAME)])
    email = EmailField(_l("Email address"), validators=[fields.Rule(fields.EMAIL)])
    phone = TelField(_l("Phone number (optional)"), validators=[fields.Rule(fields.PHONE)])
