"""The waitlist pages apply the field rules of every form and of the API (terminvergabe/fields.py):
control characters refused at the field, every spelling of an address stored in one form."""

import datetime as dt
import unicodedata

import sqlalchemy as sa

from terminvergabe.booking import operations
from terminvergabe.booking.models import Appointment
from terminvergabe.db import db
from terminvergabe.fairness import waitlist
from terminvergabe.fairness.models import WaitlistEntry
from tests.fairness.conftest import anmeldung


def _register(client, office, **data):
    form = {
        "services": f"{next(iter(anmeldung(office)))}:1",
        "first_day": "2026-01-13",
        "last_day": "2026-01-14",
        "name": "Ada",
        "email": "ada@example.org",
        **data,
    }
    return client.post(f"/waitlist/{office.slug}?lang=en", data=form)


def test_a_tab_in_the_name_is_refused_at_the_field(client, scarce_office):
    office, _booked = scarce_office
    response = _register(client, office, name="Ada\tLovelace")
    assert response.status_code == 422
    assert "no tabs, line breaks or other control characters" in response.get_data(as_text=True)
    assert 'id="name-error"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WaitlistEntry)) == 0


def test_every_spelling_of_an_address_is_one_address_on_the_waitlist(client, scarce_office, app):
    office, _booked = scarce_office
    app.config["WAITLIST_MAX_ENTRIES_PER_EMAIL"] = 2
    spellings = ["x@xn--bcher-kva.example", unicodedata.normalize("NFD", "X@Bücher.example")]
    for email in spellings:
        assert _register(client, office, email=email).status_code == 200
    response = _register(client, office, email="x@bücher.example")
    assert response.status_code == 422
    stored = db.session.scalars(sa.select(WaitlistEntry.citizen_email)).all()
    assert stored == ["x@bücher.example"] * 2


def test_a_tab_in_the_claimants_name_is_refused(client, scarce_office, now):
    office, booked = scarce_office
    entry = waitlist.register(
        office,
        anmeldung(office),
        dt.date(2026, 1, 13),
        dt.date(2026, 1, 14),
        "Ada",
        "ada@example.org",
        "en",
        now,
    )
    waitlist.confirm_entry(entry, now)
    operations.cancel(db.session.get(Appointment, booked[0].id), now)
    db.session.commit()
    db.session.refresh(entry)
    (offer,) = entry.offers
    response = client.post(f"/waitlist/offer/{offer.token}", data={"name": "Ada\nLovelace"})
    assert response.status_code == 422
    db.session.refresh(offer)
    assert offer.appointment is None or offer.appointment.citizen_name != "Ada\nLovelace"
