"""Forms of the municipality's administration: its offices, its catalogue, an office's offers
and the offices a staff member works in."""

from __future__ import annotations

import re
import zoneinfo
from functools import cache
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from terminvergabe.admin.forms import CheckboxList, choices, office_choices
from terminvergabe.booking.models import Mode, Role
from terminvergabe.i18n import OFFICE_LANGUAGE, RTL_LANGUAGES, _l

# The 16 Länder by the codes of the `holidays` package, named as they name themselves.
BUNDESLAENDER = {
    "BW": "Baden-Württemberg",
    "BY": "Bayern",
    "BE": "Berlin",
    "BB": "Brandenburg",
    "HB": "Bremen",
    "HH": "Hamburg",
    "HE": "Hessen",
    "MV": "Mecklenburg-Vorpommern",
    "NI": "Niedersachsen",
    "NW": "Nordrhein-Westfalen",
    "RP": "Rheinland-Pfalz",
    "SL": "Saarland",
    "SN": "Sachsen",
    "ST": "Sachsen-Anhalt",
    "SH": "Schleswig-Holstein",
    "TH": "Thüringen",
}

# Fields holding German text (the office's and catalogue's language) and fields of addresses,
# keys and names that read left to right, on pages in any language (Arabic: right to left).
GERMAN = {"lang": OFFICE_LANGUAGE, "dir": "ltr"}
LTR = {"dir": "ltr"}

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
LEIKA_PATTERN = r"^\d{14}$"
# Euros as typed in Germany or elsewhere: "37", "37,00", "37.5"; no thousands separators.
_EURO = re.compile(r"^(\d{1,6})(?:[.,](\d{1,2}))?$")

# The catalogue texts that may be translated, in the order the form shows them.
TRANSLATED = ("name", "description", "what_to_bring")


@cache
def time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _time_zone(form, field):
    if field.data and field.data.strip() not in time_zones():
        raise ValidationError(_l("Unknown time zone. Use a name like Europe/Berlin."))


class OfficeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)], render_kw=GERMAN)
    slug = StringField(
        _l("Short name in web addresses"),
        validators=[
            DataRequired(),
            Length(max=64),
            Regexp(
                SLUG_PATTERN,
                message=_l("Use lower-case letters a–z, digits and single dashes between them."),
            ),
        ],
        render_kw=LTR,
    )
    street = StringField(_l("Street and number"), validators=[Length(max=200)], render_kw=GERMAN)
    postcode = StringField(
        _l("Postcode"),
        validators=[Optional(), Regexp(r"^\d{5}$", message=_l("A postcode has five digits."))],
        render_kw=LTR,
    )
    city = StringField(_l("Town"), validators=[Length(max=100)], render_kw=GERMAN)
    district = StringField(_l("Part of town"), validators=[Length(max=100)], render_kw=GERMAN)
    email = StringField(
        _l("Email address"),
        validators=[
            Optional(),
            Length(max=254),
            Email(message=_l("Please enter a valid email address."), check_deliverability=False),
        ],
        render_kw=LTR,
    )
    phone = StringField(
        _l("Phone"),
        validators=[
            Optional(),
            Length(max=50),
            Regexp(r"^[0-9+()/ -]+$", message=_l("Use digits, spaces and + ( ) / -.")),
        ],
        render_kw=LTR,
    )
    time_zone = StringField(
        _l("Time zone"),
        default="Europe/Berlin",
        validators=[DataRequired(), _time_zone],
        render_kw=LTR,
    )
    bundesland = SelectField(_l("Federal state (for public holidays)"), default="NW")
    directions = TextAreaField(
        _l("How to get there"), validators=[Length(max=2000)], render_kw=GERMAN
    )
    step_free = BooleanField(_l("Step-free access"))
    accessibility_note = TextAreaField(
        _l("Note on accessibility"), validators=[Length(max=2000)], render_kw=GERMAN
    )
    public = BooleanField(_l("Listed for citizens"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Proper names, in German on every page (marked lang="de" by the template).
        self.bundesland.choices = office_choices(
            ((code, f"{code} – {name}") for code, name in BUNDESLAENDER.items()), options=True
        )


class EuroField(StringField):
    """A fee in euros as typed ("37,00" or "37.00"); `data` is in cent, None when empty."""

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not self.raw:
            return
        match = _EURO.match(self.raw)
        if match is None:
            raise ValueError(_l("Enter the fee in euros, for example 37,00."))
        euros, cents = match.group(1), (match.group(2) or "0").ljust(2, "0")
        self.data = int(euros) * 100 + int(cents)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return euros(self.data)


def euros(cents: int | None) -> str:
    """A fee as it is typed and read here: "37,00" (or "37.00" in English and Arabic)."""
    if cents is None:
        return ""
    separator = "." if str(get_locale())[:2] in ("en", "ar") else ","
    return f"{cents // 100}{separator}{cents % 100:02d}"


def language_names() -> dict[str, str]:
    return {
        "en": _l("English"),
        "tr": _l("Turkish"),
        "ar": _l("Arabic"),
        "uk": _l("Ukrainian"),
    }


def translation_languages() -> list[str]:
    """The site's languages other than the one the catalogue is written in."""
    return [code for code in current_app.config["LANGUAGES"] if code != OFFICE_LANGUAGE]


class CatalogueForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)], render_kw=GERMAN)
    leika_id = StringField(
        _l("LeiKa/FIM key (optional)"),
        validators=[
            Optional(),
            Regexp(LEIKA_PATTERN, message=_l("A LeiKa key has exactly 14 digits.")),
        ],
        render_kw=LTR,
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)], render_kw=GERMAN)
    what_to_bring = TextAreaField(
        _l("What to bring"), validators=[Length(max=2000)], render_kw=GERMAN
    )
    fee_cents = EuroField(_l("Fee in euros (empty: none)"))
    fee_note = StringField(_l("Note on the fee"), validators=[Length(max=500)], render_kw=GERMAN)
    synonyms = TextAreaField(
        _l("Other words citizens search for (one per line)"),
        validators=[Length(max=2000)],
        render_kw=GERMAN,
    )
    position = IntegerField(
        _l("Position in lists"), default=0, validators=[InputRequired(), NumberRange(0, 999)]
    )
    active = BooleanField(_l("Offered"), default=True)

    # Translations are added per language by `catalogue_form`.
    languages: list[str] = []

    def translation_fields(self, code: str) -> list:
        return [self[f"{code}_{name}"] for name in TRANSLATED]

    def translations(self) -> dict:
        """{"en": {"name": ...}, ...} of the texts given; a language without any is left out."""
        found = {}
        for code in self.languages:
            texts = {n: (self[f"{code}_{n}"].data or "").strip() for n in TRANSLATED}
            texts = {n: text for n, text in texts.items() if text}
            if texts:
                found[code] = texts
        return found

    def show_translations(self, stored: dict) -> None:
        for code in self.languages:
            for name in TRANSLATED:
                self[f"{code}_{name}"].data = (stored or {}).get(code, {}).get(name, "")


def catalogue_form(*args, **kwargs) -> CatalogueForm:
    """The catalogue form with translation fields for every site language but German."""
    languages = translation_languages()
    names = language_names()

    class Form(CatalogueForm):
        pass

    for code in languages:
        attrs = {"lang": code, "dir": "rtl" if code in RTL_LANGUAGES else "ltr"}
        language = names.get(code, code)
        labels = {
            "name": _l("Name in %(language)s", language=language),
            "description": _l("Description in %(language)s", language=language),
            "what_to_bring": _l("What to bring in %(language)s", language=language),
        }
        for name in TRANSLATED:
            kind, longest = (StringField, 200) if name == "name" else (TextAreaField, 2000)
            field = kind(labels[name], validators=[Length(max=longest)], render_kw=attrs)
            setattr(Form, f"{code}_{name}", field)
    Form.languages = languages
    return Form(*args, **kwargs)


def mode_labels() -> dict[str, str]:
    return {
        Mode.IN_PERSON.value: _l("In person at the office"),
        Mode.PHONE.value: _l("By phone"),
        Mode.VIDEO.value: _l("By video call"),
    }


class OfferForm(FlaskForm):
    """What an office offers of a catalogue service. `service_id` only when adding."""

    service_id = SelectField(_l("Service from the catalogue"), coerce=int)
    duration_minutes = IntegerField(
        _l("Duration in minutes"), validators=[InputRequired(), NumberRange(1, 480)]
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
        render_kw=LTR,
    )
    position = IntegerField(
        _l("Position in lists"), default=0, validators=[InputRequired(), NumberRange(0, 999)]
    )
    public = BooleanField(_l("Citizens can book it online"), default=True)
    active = BooleanField(_l("Offered"), default=True)
    modes = CheckboxList(_l("How the appointment is held"), default=[Mode.IN_PERSON.value])
    video_url = StringField(
        _l("Link to the video room (https)"), validators=[Length(max=500)], render_kw=LTR
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.modes.choices = choices(mode_labels().items())

    def validate_modes(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one way to hold the appointment."))

    def validate_video_url(self, field):
        url = (field.data or "").strip()
        if Mode.VIDEO.value in (self.modes.data or []) and not url:
            raise ValidationError(_l("A video appointment needs the link to the video room."))
        if url:
            parts = urlsplit(url)
            if parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in url):
                raise ValidationError(_l("Enter a web address that starts with https://."))

    @property
    def mode_value(self) -> str:
        """The chosen modes as stored: in the order of `Mode`."""
        chosen = set(self.modes.data or [])
        return ",".join(m.value for m in Mode if m.value in chosen)


# The roles a staff member can hold in one office.
OFFICE_ROLES = (Role.OFFICE_MANAGER, Role.FRONT_DESK, Role.CLERK)


def office_role_labels() -> dict[str, str]:
    return {
        Role.OFFICE_MANAGER.value: _l("Office manager"),
        Role.FRONT_DESK.value: _l("Front desk"),
        Role.CLERK.value: _l("Clerk"),
    }


class MembershipForm(FlaskForm):
    """A staff member's roles in one office; none removes them from it."""

    office_id = SelectField(_l("Office"), coerce=int)
    roles = CheckboxList(_l("Roles in this office"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.roles.choices = choices(office_role_labels().items())


class MunicipalityAdminForm(FlaskForm):
    admin = BooleanField(_l("Administrator of the municipality (all its offices)"))
