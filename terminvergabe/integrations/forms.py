"""The webhook endpoint form (Flask-WTF): every field validated, every message translated."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from terminvergabe.i18n import OFFICE_LANGUAGE, _l, office_lang
from terminvergabe.integrations.models import DataLevel, Event

EVENT_LABELS = {
    Event.BOOKED: _l("Appointment booked"),
    Event.REBOOKED: _l("Appointment rebooked"),
    Event.CANCELLED: _l("Appointment cancelled"),
    Event.CHECKED_IN: _l("Checked in"),
    Event.CALLED: _l("Called to a counter"),
    Event.FINISHED: _l("Visit finished"),
    Event.NO_SHOW: _l("No-show"),
    Event.OFFER_MADE: _l("Waitlist offer made"),
}


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EndpointForm(FlaskForm):
    name = StringField(_l("Name (for you)"), validators=[Optional(), Length(max=100)])
    url = StringField(
        _l("Receiver address (https://)"), validators=[DataRequired(), Length(max=2000)]
    )
    office = SelectField(_l("Offices"), coerce=int, default=0)
    events = CheckboxList(
        _l("Events"),
        choices=[SelectChoice(e.value, label) for e, label in EVENT_LABELS.items()],
        validators=[DataRequired(_l("Please choose at least one event."))],
    )
    data_level = SelectField(
        _l("Data sent"),
        choices=[
            SelectChoice(DataLevel.IDS.value, _l("Ids, times and services only")),
            SelectChoice(
                DataLevel.CONTACT.value,
                _l("Also the citizen's name, email, phone and booking code"),
            ),
        ],
        default=DataLevel.IDS.value,
    )
    active = BooleanField(_l("Active"), default=True)

    def set_offices(self, offices) -> None:
        """Office names are German: marked lang="de" on pages in another language."""
        marked = {"lang": OFFICE_LANGUAGE} if office_lang() else {}
        self.office.choices = [SelectChoice(0, _l("All offices"))] + [
            SelectChoice(o.id, o.name, render_kw=marked) for o in offices
        ]
