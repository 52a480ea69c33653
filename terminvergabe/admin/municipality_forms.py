"""Forms of a municipality's settings and of a new municipality (Flask-WTF); the branding
checks are booking/branding.py's, turned into messages beside the field."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp, StopValidation

from terminvergabe import fields
from terminvergabe.booking import branding
from terminvergabe.i18n import _l

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"

NAME = fields.TextRule(200, missing=lambda: _("Please enter a name."))
LINE = fields.TextRule(200)
TEXT = fields.TextRule(1000, multiline=True)
EMAIL = fields.EmailRule(254)


def _checked(check):
    """A WTForms validator from a branding check; the cleaned value replaces the input."""

    def validator(form, field):
        try:
            field.data = check(field.data or "")
        except ValueError as error:
            raise StopValidation(str(error)) from None

    return validator


def _host_field():
    return StringField(
        _l("Own host name (optional)"),
        validators=[fields.Rule(fields.TextRule(253)), _checked(branding.host_name)],
    )


class MunicipalityForm(FlaskForm):
    name = StringField(_l("Name"), validators=[fields.Rule(NAME)])
    host = _host_field()
    colour = StringField(
        _l("Header colour"), default="#0b4f8a", validators=[_checked(branding.header_colour)]
    )
    logo = FileField(_l("New logo (PNG, JPEG, WebP or SVG, at most 256 KB)"))
    remove_logo = BooleanField(_l("Remove the logo"))
    operator_name = StringField(_l("Operator (authority)"), validators=[fields.Rule(LINE)])
    operator_address = TextAreaField(_l("Operator's address"), validators=[fields.Rule(TEXT)])
    operator_email = StringField(_l("Operator's email address"), validators=[fields.Rule(EMAIL)])
    operator_phone = StringField(
        _l("Operator's phone number"), validators=[fields.Rule(fields.TextRule(50))]
    )
    representative = StringField(_l("Represented by"), validators=[fields.Rule(LINE)])
    privacy_officer = TextAreaField(
        _l("Data protection officer (name and contact)"), validators=[fields.Rule(TEXT)]
    )
    supervisory_authority = TextAreaField(
        _l("Data protection supervisory authority"), validators=[fields.Rule(TEXT)]
    )
    accessibility_contact = TextAreaField(
        _l("Contact for accessibility feedback"), validators=[fields.Rule(TEXT)]
    )
    frame_ancestors = TextAreaField(
        _l("Portals that may embed the pages (https origins, separated by spaces)"),
        validators=[fields.Rule(TEXT), _checked(branding.frame_ancestors)],
    )

    # The logo as checked by validate_logo: (bytes, media type), or None when none was sent.
    uploaded_logo: tuple[bytes, str] | None = None

    def validate_logo(self, field):
        upload = field.data
        if not upload or not getattr(upload, "filename", ""):
            return
        content = upload.read(branding.LOGO_MAX_BYTES + 1)
        try:
            self.uploaded_logo = (content, branding.logo_type(content))
        except ValueError as error:
            raise StopValidation(str(error)) from None


class NewMunicipalityForm(FlaskForm):
    name = StringField(_l("Name"), validators=[fields.Rule(NAME)])
    slug = StringField(
        _l("Short name in addresses (/k/…)"),
        validators=[
            DataRequired(),
            Length(max=64),
            Regexp(SLUG_PATTERN, message=_l("Use lower-case letters, digits and dashes.")),
        ],
    )
    host = _host_field()
    admin_name = StringField(_l("Name of its first administrator"), validators=[fields.Rule(NAME)])
    admin_login = StringField(
        _l("Administrator's login name"),
        validators=[
            fields.Rule(fields.LOGIN),
            Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Use letters, digits, dot, dash.")),
        ],
    )
    admin_password = PasswordField(
        _l("Administrator's password"), validators=[DataRequired(), Length(min=12, max=200)]
    )
