"""Login form (Flask-WTF: CSRF token included). The field rules are terminvergabe/fields.py's."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField

from terminvergabe import fields
from terminvergabe.i18n import _l


class LoginForm(FlaskForm):
    login = StringField(
        _l("Login name"),
        validators=[fields.Rule(fields.LOGIN)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[fields.Rule(fields.PASSWORD)],
        render_kw={"autocomplete": "current-password"},
    )


class LogoutForm(FlaskForm):
    """Only the CSRF token: logging out is a POST so that no link can log anyone out."""
