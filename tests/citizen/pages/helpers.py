"""What the tests of the citizen pages share: the pages driven as a citizen would."""

import datetime as dt
import html
import re

import sqlalchemy as sa

from terminvergabe.booking.models import Appointment
from terminvergabe.db import db

TUESDAY = "2026-01-13"
TUESDAY_10 = dt.datetime(2026, 1, 13, 9, 0, tzinfo=dt.UTC)  # 10:00 in Berlin


def service_ids(office):
    return {s.name: s.id for s in office.services}


def passports(office, quantity=2):
    return f"{service_ids(office)['Reisepass beantragen']}:{quantity}"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def starts_on(page: str) -> list[str]:
    return re.findall(r'name="start" value="([^"]+)"', page)


def hold_via_pages(client, office, start=TUESDAY_10, selection=None):
    response = client.post(
        f"/o/{office.slug}/hold",
        data={"s": selection or passports(office), "start": start.isoformat()},
    )
    assert response.status_code == 303, text(response)
    token = response.headers["Location"].split("/a/")[1].split("/")[0]
    return token, response


def appointment_by_token(token) -> Appointment:
    db.session.expire_all()
    return db.session.scalar(sa.select(Appointment).where(Appointment.manage_token == token))


def book_via_pages(client, office, **kwargs):
    token, _ = hold_via_pages(client, office, **kwargs)
    response = client.post(
        f"/a/{token}/details",
        data={"name": "Erika Mustermann", "email": "erika@example.org", "phone": ""},
    )
    assert response.status_code == 303, text(response)
    return token
