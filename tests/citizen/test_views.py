"""The citizen pages through the Flask test client: the whole booking, every refusal (and that it
changes nothing), slot taken with alternatives, cancel, rebook, expired hold, opt-in."""

import datetime as dt
import html
import re

import pytest
import sqlalchemy as sa

from terminvergabe.booking import operations
from terminvergabe.booking.models import Appointment, AppointmentStatus, SlotClaim
from terminvergabe.db import db
from tests import factories

TUESDAY = "2026-01-13"
TUESDAY_10 = dt.datetime(2026, 1, 13, 9, 0, tzinfo=dt.UTC)  # 10:00 in Berlin


@pytest.fixture
def client(client):
    """Messages are checked by their English msgid: the pages are read in English."""
    client.set_cookie("lang", "en")
    return client


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


# -- choosing --------------------------------------------------------------------------------


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


# -- the whole booking ---------------------------------------------------------------------


def test_whole_booking(client, office):
    days = client.get(f"/o/{office.slug}/days?s={passports(office)}")
    assert days.status_code == 200
    day = text(client.get(f"/o/{office.slug}/days/{TUESDAY}?s={passports(office)}"))
    assert TUESDAY_10.isoformat() in starts_on(day)

    token, response = hold_via_pages(client, office)
    assert response.headers["Location"] == f"/a/{token}/details"
    appointment = appointment_by_token(token)
    assert appointment.status == AppointmentStatus.HELD

    details = text(client.get(f"/a/{token}/details?lang=de"))
    assert "09:10" in details  # held until NOW + 10 minutes, Berlin time
    assert "2 × Reisepass beantragen" in details

    confirm = client.post(
        f"/a/{token}/details",
        data={"name": " Erika Mustermann ", "email": "Erika@Example.org", "phone": "0221 123456"},
    )
    assert confirm.status_code == 303
    assert confirm.headers["Location"] == f"/a/{token}"
    appointment = appointment_by_token(token)
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert appointment.citizen_name == "Erika Mustermann"
    assert appointment.citizen_phone == "0221 123456"

    manage = text(client.get(f"/a/{token}?lang=de"))
    code = appointment.booking_code
    assert f"{code[:4]}-{code[4:]}" in manage
    assert f"http://localhost/a/{token}" in manage
    assert "Markt 1" in manage and "50667 Köln" in manage
    assert "2 × Reisepass beantragen" in manage
    assert f"/a/{token}/cancel" in manage
    assert f"/a/{token}/rebook" in manage
    assert str(appointment.id) not in re.findall(r'href="([^"]+)"', manage)


def test_hold_stores_the_page_language(client, office):
    client.delete_cookie("lang")
    client.get("/?lang=de")  # remembered in a cookie
    token, _ = hold_via_pages(client, office)
    assert appointment_by_token(token).locale == "de"
    client.get("/?lang=en")
    token, _ = hold_via_pages(client, office, start=TUESDAY_10 + dt.timedelta(hours=1))
    assert appointment_by_token(token).locale == "en"


def test_manage_page_offers_calendar_and_qr_of_a_booking(client, office):
    token = book_via_pages(client, office)
    page = text(client.get(f"/a/{token}"))
    assert f"/a/{token}/calendar.ics" in page
    assert 'class="qr"' in page


# -- validation: a message per field, nothing changes ----------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "email": "a@example.org"}, "name", "Please enter your name."),
        ({"name": "   ", "email": "a@example.org"}, "name", "Please enter your name."),
        ({"name": "A" * 201, "email": "a@example.org"}, "name", "at most 200 characters"),
        ({"name": "Erika", "email": ""}, "email", "Please enter your email address."),
        ({"name": "Erika", "email": "not-an-address"}, "email", "name@example.org"),
        ({"name": "Erika", "email": "a@example.org", "phone": "call me"}, "phone", "digits only"),
    ],
)
def test_details_errors_are_shown_per_field_and_change_nothing(
    client, office, data, field, message
):
    token, _ = hold_via_pages(client, office)
    response = client.post(f"/a/{token}/details", data=data)
    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert 'class="error-summary"' in page
    assert f'<a href="#{field}">' in page  # the summary links to the field
    assert re.search(rf'<input[^>]*aria-describedby="[^"]*{field}-error"[^>]*>', page)
    assert re.search(rf'<input[^>]*aria-invalid="true"[^>]*id="{field}"', page) or re.search(
        rf'<input[^>]*id="{field}"[^>]*aria-invalid="true"', page
    )
    appointment = appointment_by_token(token)
    assert appointment.status == AppointmentStatus.HELD
    assert appointment.citizen_name == ""


def test_email_cap_is_explained_and_changes_nothing(client, office):
    office.max_active_per_email = 1
    db.session.commit()
    book_via_pages(client, office)
    token, _ = hold_via_pages(client, office, start=TUESDAY_10 + dt.timedelta(hours=1))
    response = client.post(
        f"/a/{token}/details", data={"name": "Erika", "email": "erika@example.org"}
    )
    assert response.status_code == 409
    assert "already has 1 upcoming appointment," in text(response)
    assert appointment_by_token(token).status == AppointmentStatus.HELD


# -- slot taken, expired hold ----------------------------------------------------------------


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


def test_expired_hold_says_start_again_and_frees_the_time(app, client, office, now):
    token, _ = hold_via_pages(client, office)
    app.config["FROZEN_NOW"] = now + dt.timedelta(minutes=11)
    for response in (
        client.get(f"/a/{token}/details"),
        client.post(f"/a/{token}/details", data={"name": "Erika", "email": "e@example.org"}),
    ):
        assert response.status_code == 410
        assert "Your reservation has expired" in text(response)
        assert f'href="/o/{office.slug}"' in text(response)
    assert appointment_by_token(token).status == AppointmentStatus.EXPIRED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SlotClaim)) == 0


# -- cancel and rebook -----------------------------------------------------------------------


def test_cancel_asks_first_then_cancels(client, office):
    token = book_via_pages(client, office)
    confirm_page = client.get(f"/a/{token}/cancel")
    assert confirm_page.status_code == 200
    assert "Do you really want to cancel" in text(confirm_page)
    assert appointment_by_token(token).status == AppointmentStatus.CONFIRMED

    response = client.post(f"/a/{token}/cancel")
    assert response.status_code == 303
    assert appointment_by_token(token).status == AppointmentStatus.CANCELLED
    page = text(client.get(f"/a/{token}"))
    assert "Your appointment has been cancelled." in page
    assert f"/a/{token}/cancel" not in page
    # a second cancel is refused with a message
    again = client.post(f"/a/{token}/cancel")
    assert again.status_code == 409
    assert "already cancelled" in text(again)


def test_cancel_after_the_deadline_says_why_not(app, client, office, now):
    token = book_via_pages(client, office)
    app.config["FROZEN_NOW"] = TUESDAY_10 - dt.timedelta(hours=2)  # deadline: 24 h before
    page = text(client.get(f"/a/{token}"))
    assert "can no longer be cancelled or moved online" in page
    assert f'href="/a/{token}/cancel"' not in page
    response = client.post(f"/a/{token}/cancel")
    assert response.status_code == 409
    assert appointment_by_token(token).status == AppointmentStatus.CONFIRMED
    assert client.get(f"/a/{token}/rebook").status_code == 303


def test_rebook_moves_the_appointment_and_keeps_the_token(client, office):
    token = book_via_pages(client, office)
    days = text(client.get(f"/a/{token}/rebook"))
    assert f'href="/a/{token}/rebook/2026-01-14"' in days
    day = text(client.get(f"/a/{token}/rebook/2026-01-14"))
    starts = starts_on(day)
    assert starts
    new_start = dt.datetime.fromisoformat(starts[3])
    response = client.post(f"/a/{token}/rebook", data={"start": new_start.isoformat()})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/a/{token}"
    appointment = appointment_by_token(token)
    assert appointment.start_at == new_start
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert "moved to the new time" in text(client.get(f"/a/{token}"))


def test_rebook_to_a_taken_time_offers_alternatives_and_keeps_the_old_time(client, office):
    token = book_via_pages(client, office)
    taken = TUESDAY_10 + dt.timedelta(hours=1)
    hold_via_pages(client, office, start=taken)
    hold_via_pages(client, office, start=taken)
    response = client.post(f"/a/{token}/rebook", data={"start": taken.isoformat()})
    assert response.status_code == 409
    page = text(response)
    assert f'action="/a/{token}/rebook"' in page
    assert starts_on(page)
    assert appointment_by_token(token).start_at == TUESDAY_10


# -- double opt-in ---------------------------------------------------------------------------


def test_double_opt_in(client, office):
    office.double_opt_in = True
    db.session.commit()
    token = book_via_pages(client, office)
    assert appointment_by_token(token).status == AppointmentStatus.PENDING
    page = text(client.get(f"/a/{token}"))
    assert "Please check your email" in page
    button = client.get(f"/a/{token}/confirm-email")
    assert button.status_code == 200
    assert appointment_by_token(token).status == AppointmentStatus.PENDING  # GET changes nothing
    response = client.post(f"/a/{token}/confirm-email")
    assert response.status_code == 303
    assert appointment_by_token(token).status == AppointmentStatus.CONFIRMED
    assert client.post(f"/a/{token}/confirm-email").status_code == 303  # twice is harmless


def test_unconfirmed_opt_in_expires(app, client, office, now):
    office.double_opt_in = True
    db.session.commit()
    token = book_via_pages(client, office)
    app.config["FROZEN_NOW"] = now + dt.timedelta(minutes=office.opt_in_minutes + 1)
    response = client.post(f"/a/{token}/confirm-email")
    assert response.status_code == 410
    assert appointment_by_token(token).status == AppointmentStatus.EXPIRED


# -- unknown and bad input -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/a/unknown-token",
        "/a/unknown-token/details",
        "/a/x/cancel",
        "/a/x/rebook",
        "/a/x/rebook/2026-01-13",
        "/a/x/confirm-email",
        "/a/" + "x" * 500,
        "/o/nowhere",
        "/o/nowhere/days?s=1:1",
    ],
)
def test_unknown_things_are_a_translated_404(client, office, path):
    response = client.get(path + ("&" if "?" in path else "?") + "lang=de")
    assert response.status_code == 404
    assert 'lang="de"' in text(response)
    assert "Traceback" not in text(response)


@pytest.mark.parametrize(
    "query",
    [
        "s=",
        "s=abc",
        "s=1:x",
        "s=-1:2",
        "s=999:1",
        "s=2:99",
        "s=" + ",".join(["1:1"] * 30),
        "q-abc=1",
        "q-2=zwei",
        "q-2=99",
        "q-999=1",
    ],
)
def test_bad_selection_never_500(client, office, query):
    response = client.get(f"/o/{office.slug}/days?{query}")
    assert response.status_code in (303, 404, 422), text(response)
    if response.status_code == 303:  # a redirect to the canonical URL, which then refuses
        response = client.get(response.headers["Location"])
        assert response.status_code == 422


@pytest.mark.parametrize("date", ["2026-13-01", "yesterday", "2026-02-30", "9" * 40, "0001-01-01"])
def test_bad_date_never_500(client, office, date):
    response = client.get(f"/o/{office.slug}/days/{date}?s={passports(office)}")
    assert response.status_code in (200, 422)
    if response.status_code == 200:
        assert "no free times on this day" in text(response)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"s": "1:1"},
        {"s": "1:1", "start": "tomorrow"},
        {"s": "1:1", "start": "2026-01-13T10:00:00"},  # no offset
        {"s": "nonsense", "start": "2026-01-13T09:00:00+00:00"},
        {"s": "2:9", "start": "2026-01-13T09:00:00+00:00"},
        {"s": "2:1", "start": "2026-01-13T09:03:00+00:00"},  # not a slot
        {"s": "2:1", "start": "2030-01-13T09:00:00+00:00"},  # beyond the horizon
    ],
)
def test_bad_hold_never_500_and_changes_nothing(client, office, data):
    response = client.post(f"/o/{office.slug}/hold", data=data)
    assert response.status_code in (409, 422), text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 0


def test_bad_rebook_never_500(client, office):
    token = book_via_pages(client, office)
    for start in ("", "garbage", "2026-01-13T10:00:00", "2026-01-13T09:03:00+00:00"):
        response = client.post(f"/a/{token}/rebook", data={"start": start})
        assert response.status_code in (409, 422)
    assert appointment_by_token(token).start_at == TUESDAY_10


def test_held_appointment_is_not_reachable_by_id(client, office):
    token, _ = hold_via_pages(client, office)
    appointment = appointment_by_token(token)
    assert client.get(f"/a/{appointment.id}").status_code == 404


# -- legal pages -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("/barrierefreiheit", "Schlichtungsstelle"),
        ("/impressum", "Markt 1"),
        ("/datenschutz", "30"),
    ],
)
def test_legal_pages_are_linked_from_every_page(client, office, path, needle):
    response = client.get(path)
    assert response.status_code == 200
    assert needle in text(response)
    assert f'href="{path}"' in text(client.get("/"))


def test_operations_are_the_only_writer(client, office, now):
    """The pages do not book by themselves: a hold made through the operation shows on them."""
    sel = {service_ids(office)["Reisepass beantragen"]: 2}
    operations.hold(office, sel, TUESDAY_10, now)
    operations.hold(office, sel, TUESDAY_10, now)
    db.session.commit()
    day = text(client.get(f"/o/{office.slug}/days/{TUESDAY}?s={passports(office)}"))
    assert TUESDAY_10.isoformat() not in starts_on(day)
    assert factories  # the office comes from tests.factories via the fixture


def test_what_to_bring_is_shown_on_office_and_manage_page(client, office):
    passport = next(s for s in office.services if s.name == "Reisepass beantragen")
    passport.what_to_bring = "Biometrisches Passfoto, alter Reisepass"
    db.session.commit()
    assert "Biometrisches Passfoto" in text(client.get(f"/o/{office.slug}"))
    token = book_via_pages(client, office)
    manage = text(client.get(f"/a/{token}"))
    assert "Please bring" in manage
    assert "Biometrisches Passfoto, alter Reisepass" in manage
    # the details form of a booked appointment leads to the manage page
    assert client.get(f"/a/{token}/details").headers["Location"] == f"/a/{token}"
