"""Choosing through the pages: offices, services and quantities, days, times, the hold, and a
time taken meanwhile (terminvergabe/citizen/pages/choosing.py)."""

import datetime as dt

import sqlalchemy as sa

from terminvergabe.booking import operations
from terminvergabe.booking.models import Appointment, AppointmentStatus
from terminvergabe.db import db
from tests import factories
from tests.citizen.pages.helpers import (
    TUESDAY,
    TUESDAY_10,
    appointment_by_token,
    hold_via_pages,
    passports,
    service_ids,
    starts_on,
    text,
)


def test_index_lists_offices_with_address(client, office):
    page = text(client.get("/"))
    assert "Bürgerbüro Testamt" in page
    assert "Markt 1, 50667 Köln" in page
    assert f'href="/o/{office.slug}"' in page


def test_office_page_offers_a_quantity_stepper_per_service(client, office):
    page = text(client.get(f"/o/{office.slug}"))
    passport = service_ids(office)["Reisepass beantragen"]
    assert "Reisepass beantragen" in page
    assert f'<input type="hidden" name="q-{passport}" value="0">' in page
    assert f'name="more" value="{passport}">' in page
    assert f'name="less" value="{passport}" disabled>' in page  # nothing to take away


def test_plus_and_minus_step_the_quantity_without_javascript(client, office):
    passport = service_ids(office)["Reisepass beantragen"]
    response = client.get(
        f"/o/{office.slug}/days", query_string={f"q-{passport}": "1", "more": str(passport)}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/o/{office.slug}?s={passport}:2#service-{passport}"
    page = text(client.get(f"/o/{office.slug}?s={passport}:4"))
    assert f'name="more" value="{passport}" disabled>' in page  # max_quantity 4
    assert "4 times" in page
    response = client.get(
        f"/o/{office.slug}/days", query_string={f"q-{passport}": "4", "more": str(passport)}
    )
    assert f"s={passport}:4#" in response.headers["Location"]  # never beyond the maximum
    response = client.get(
        f"/o/{office.slug}/days", query_string={f"q-{passport}": "1", "less": str(passport)}
    )
    assert response.headers["Location"] == f"/o/{office.slug}#service-{passport}"
    assert client.get(f"/o/{office.slug}/days?more=999").status_code == 404


def test_quantity_form_redirects_to_canonical_selection(client, office):
    ids = service_ids(office)
    response = client.get(
        f"/o/{office.slug}/days",
        query_string={
            f"q-{ids['Reisepass beantragen']}": "2",
            f"q-{ids['Personalausweis beantragen']}": "0",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/o/{office.slug}/days?s={passports(office)}")


def test_no_service_chosen_says_so_on_the_office_page(client, office):
    ids = service_ids(office)
    response = client.get(
        f"/o/{office.slug}/days", query_string={f"q-{ids['Reisepass beantragen']}": "0"}
    )
    assert response.status_code == 422
    page = text(response)
    assert "Please choose at least one service." in page
    assert 'class="error-summary"' in page
    assert '<a href="#services">' in page
    assert 'aria-describedby="services-error"' in page


def test_days_page_links_only_days_with_free_times(client, office):
    page = text(client.get(f"/o/{office.slug}/days?s={passports(office)}"))
    assert f'href="/o/{office.slug}/days/{TUESDAY}?s={passports(office)}"' in page
    # Saturday 17 January: closed, shown but not a link
    assert "/days/2026-01-17" not in page
    assert '<td class="unavailable">17</td>' in page
    assert "2 × Reisepass beantragen" in page


def test_day_page_shows_local_times_as_buttons(client, office):
    page = text(client.get(f"/o/{office.slug}/days/{TUESDAY}?s={passports(office)}&lang=de"))
    assert ">08:00</button>" in page  # Berlin wall time, not UTC (07:00)
    assert ">11:20</button>" in page  # 40 minutes: last start 11:20
    assert ">11:30</button>" not in page
    assert TUESDAY_10.isoformat() in starts_on(page)


def test_hold_stores_the_page_language(client, office):
    client.delete_cookie("lang")
    client.get("/?lang=de")  # remembered in a cookie
    token, _ = hold_via_pages(client, office)
    assert appointment_by_token(token).locale == "de"
    client.get("/?lang=en")
    token, _ = hold_via_pages(client, office, start=TUESDAY_10 + dt.timedelta(hours=1))
    assert appointment_by_token(token).locale == "en"


def test_slot_taken_shows_the_nearest_free_times_as_buttons(client, office):
    hold_via_pages(client, office)
    hold_via_pages(client, office)  # both counters now hold 10:00
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Appointment))
    response = client.post(
        f"/o/{office.slug}/hold",
        data={"s": passports(office), "start": TUESDAY_10.isoformat()},
    )
    assert response.status_code == 409
    page = text(response)
    assert "This time has just been taken." in page
    alternatives = starts_on(page)
    assert alternatives and TUESDAY_10.isoformat() not in alternatives
    assert f'action="/o/{office.slug}/hold"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)) == before
    # an alternative is a working button
    token, _ = hold_via_pages(client, office, start=dt.datetime.fromisoformat(alternatives[0]))
    assert appointment_by_token(token).status == AppointmentStatus.HELD


def test_operations_are_the_only_writer(client, office, now):
    """The pages do not book by themselves: a hold made through the operation shows on them."""
    sel = {service_ids(office)["Reisepass beantragen"]: 2}
    operations.hold(office, sel, TUESDAY_10, now)
    operations.hold(office, sel, TUESDAY_10, now)
    db.session.commit()
    day = text(client.get(f"/o/{office.slug}/days/{TUESDAY}?s={passports(office)}"))
    assert TUESDAY_10.isoformat() not in starts_on(day)
    assert factories  # the office comes from tests.factories via the fixture
