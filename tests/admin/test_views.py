"""Admin pages through the Flask test client: roles, validation, safe changes."""

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from terminvergabe.audit import AuditEntry
from terminvergabe.booking import signals
from terminvergabe.booking.models import (
    Appointment,
    AppointmentStatus,
    Closure,
    Counter,
    Service,
    ShiftException,
)
from terminvergabe.db import db
from terminvergabe.notify.models import OutboxMessage
from tests.admin.conftest import TUESDAY_10, book
from tests.auth.staff import log_in

PAGES = [
    "",
    "counters",
    "services",
    "staff",
    "shifts",
    "hours",
    "closures",
    "rules",
    "queue",
    "calendar",
    "calendar?view=week",
    "statistics",
    "statistics.csv",
    "privacy",
    "audit",
]


EXPECTED = {
    "admin": 200,
    "office_manager": 200,
    "front_desk": 403,
    "clerk": 403,
    "other_office_manager": 403,
}


def test_route_by_role(client, office, staff):
    """Every admin page x role (one staff set: hashing passwords is slow on purpose)."""
    seen = {}
    for role in EXPECTED:
        log_in(client, staff[role])
        for page in PAGES:
            seen[(role, page)] = client.get(f"/admin/{office.id}/{page}").status_code
    assert seen == {(role, page): EXPECTED[role] for role in EXPECTED for page in PAGES}


def test_anonymous_is_sent_to_login(client, office):
    response = client.get(f"/admin/{office.id}/counters")
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]


def test_manager_is_sent_to_own_office_admin_sees_all(client, office, other_office, staff):
    log_in(client, staff["office_manager"])
    assert client.get("/admin/").headers["Location"].endswith(f"/admin/{office.id}/")
    log_in(client, staff["admin"])
    page = client.get("/admin/").get_data(as_text=True)
    assert office.name in page and other_office.name in page


def test_rows_of_another_office_are_not_found(client, office, other_office, manager):
    foreign = other_office.counters[0]
    assert client.get(f"/admin/{office.id}/counters/{foreign.id}").status_code == 404


def _catalogue_service(office, name="Führungszeugnis beantragen"):
    """A service of the office's catalogue that the office does not offer yet."""
    service = Service(municipality=office.municipality, name=name, leika_id="99089004000000")
    db.session.add(service)
    db.session.commit()
    return service


def test_offer_with_bad_input_says_what_is_wrong(client, office, manager):
    service = _catalogue_service(office)
    response = client.post(
        f"/admin/{office.id}/services?lang=en",
        data={
            "service_id": str(service.id),
            "duration_minutes": "0",
            "max_quantity": "1",
            "ticket_prefix": "a1",
            "position": "0",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#duration_minutes"' in page  # the summary links to the field
    assert 'aria-invalid="true"' in page
    assert "Use one to three capital letters A–Z." in page
    assert "Choose at least one way to hold the appointment." in page
    assert office.offer_of(service.id) is None


def test_offer_a_catalogue_service(client, office, manager):
    service = _catalogue_service(office)
    response = client.post(
        f"/admin/{office.id}/services",
        data={
            "service_id": str(service.id),
            "duration_minutes": "15",
            "max_quantity": "2",
            "ticket_prefix": "F",
            "position": "4",
            "public": "y",
            "active": "y",
            "modes": ["in_person"],
        },
    )
    assert response.status_code == 302
    offer = office.offer_of(service.id)
    assert (offer.duration_minutes, offer.max_quantity, offer.ticket_prefix) == (15, 2, "F")
    assert offer.public and offer.modes == "in_person"


def test_closure_without_bookings_is_saved_at_once(client, office, manager):
    response = client.post(
        f"/admin/{office.id}/closures",
        data={"first_day": "2026-01-20", "last_day": "2026-01-21", "reason": "Umzug"},
    )
    assert response.status_code == 302
    assert db.session.query(Closure).count() == 1


def test_closure_last_day_before_first_is_refused(client, office, manager):
    response = client.post(
        f"/admin/{office.id}/closures?lang=en",
        data={"first_day": "2026-01-21", "last_day": "2026-01-20"},
    )
    assert response.status_code == 422
    assert "must not be before the first day" in response.get_data(as_text=True)
    assert db.session.query(Closure).count() == 0


@pytest.fixture
def cancellations():
    seen = []

    def receiver(appointment, by="citizen", **_):
        seen.append((appointment.id, by))

    signals.appointment_cancelled.connect(receiver)
    yield seen
    signals.appointment_cancelled.disconnect(receiver)


def _outbox_rows():
    return db.session.scalars(sa.select(OutboxMessage)).all()


def test_closure_on_booked_day_shows_affected_then_cancels_each_once(
    client, office, manager, now, cancellations
):
    emails = ["a@example.org", "b@example.org", "c@example.org"]
    booked = [
        book(office, TUESDAY_10, now, emails[0]),
        book(office, TUESDAY_10, now, emails[1]),
        book(office, TUESDAY_10 + dt.timedelta(hours=1), now, emails[2]),
    ]
    elsewhere = book(office, TUESDAY_10 + dt.timedelta(days=1), now, "d@example.org")
    db.session.commit()
    before = {m.id for m in _outbox_rows()}
    form = {"first_day": "2026-01-13", "last_day": "2026-01-13", "reason": "Stromausfall"}

    first = client.post(f"/admin/{office.id}/closures?lang=en", data=form)
    assert first.status_code == 409
    page = first.get_data(as_text=True)
    for appointment in booked:
        assert appointment.booking_code in page
    assert elsewhere.booking_code not in page
    assert db.session.query(Closure).count() == 0  # nothing saved yet

    decisions = {f"resolve-{a.id}": "cancel" for a in booked}
    second = client.post(
        f"/admin/{office.id}/closures", data={**form, "confirm_change": "1", **decisions}
    )
    assert second.status_code == 302
    db.session.expire_all()
    assert db.session.query(Closure).count() == 1
    for appointment in booked:
        assert db.session.get(Appointment, appointment.id).status == AppointmentStatus.CANCELLED
    assert db.session.get(Appointment, elsewhere.id).status == AppointmentStatus.CONFIRMED
    assert sorted(cancellations) == sorted((a.id, "office") for a in booked)
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert actions.count("cancel") == 3
    # notify queues one mail per cancelled citizen
    new = [m for m in _outbox_rows() if m.id not in before]
    assert sorted(m.recipient for m in new) == sorted(emails)
    assert all(m.kind == "cancelled" for m in new)


def test_closure_can_move_appointments_instead(client, office, manager, now):
    appointment = book(office, TUESDAY_10, now, "a@example.org")
    db.session.commit()
    form = {"first_day": "2026-01-13", "last_day": "2026-01-13", "reason": ""}
    new_start = TUESDAY_10 + dt.timedelta(days=1)
    response = client.post(
        f"/admin/{office.id}/closures",
        data={**form, "confirm_change": "1", f"resolve-{appointment.id}": new_start.isoformat()},
    )
    assert response.status_code == 302
    db.session.expire_all()
    moved = db.session.get(Appointment, appointment.id)
    assert moved.status == AppointmentStatus.CONFIRMED
    assert moved.start_at == new_start
    assert db.session.query(Closure).count() == 1


def test_closure_moves_an_appointment_inside_the_citizens_deadline(client, office, manager, now):
    """The citizen could no longer rebook it; the manager can, and the citizen gets one mail."""
    appointment = book(office, TUESDAY_10, now, "a@example.org")
    office.cancel_deadline_minutes = 3 * 24 * 60
    db.session.commit()
    assert not appointment.can_rebook(now)
    for message in _outbox_rows():
        message.status = "sent"  # the confirmation went out when it was booked
    db.session.commit()
    before = {m.id for m in _outbox_rows()}
    form = {"first_day": "2026-01-13", "last_day": "2026-01-13", "reason": ""}
    page = client.post(f"/admin/{office.id}/closures?lang=en", data=form).get_data(as_text=True)
    offered = re.findall(rf'name="resolve-{appointment.id}" value="([^"]+)"', page)
    assert len(offered) > 1 and offered[-1] == "cancel"  # move options, then cancel
    response = client.post(
        f"/admin/{office.id}/closures",
        data={**form, "confirm_change": "1", f"resolve-{appointment.id}": offered[0]},
    )
    assert response.status_code == 302
    db.session.expire_all()
    moved = db.session.get(Appointment, appointment.id)
    assert moved.status == AppointmentStatus.CONFIRMED
    assert moved.start_at == dt.datetime.fromisoformat(offered[0])
    on_appointments = sa.select(AuditEntry.action).where(AuditEntry.appointment_id.is_not(None))
    assert db.session.scalars(on_appointments).all() == ["rebook"]
    new = [m for m in _outbox_rows() if m.id not in before]
    assert [(m.kind, m.recipient) for m in new] == [("rebooked", "a@example.org")]


def test_confirmation_without_a_decision_saves_nothing(client, office, manager, now):
    book(office, TUESDAY_10, now, "a@example.org")
    db.session.commit()
    form = {"first_day": "2026-01-13", "last_day": "2026-01-13", "confirm_change": "1"}
    response = client.post(f"/admin/{office.id}/closures", data=form)
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.query(Closure).count() == 0


def test_removing_a_skill_asks_first(client, office, manager, now):
    appointment = book(office, TUESDAY_10, now, "a@example.org", (("Reisepass beantragen", 1),))
    db.session.commit()
    counter = db.session.get(Counter, appointment.counter_id)
    keep = [s.id for s in counter.skills if s.name != "Reisepass beantragen"]
    data = {"name": counter.name, "position": counter.position, "active": "y", "skills": keep}
    response = client.post(f"/admin/{office.id}/counters/{counter.id}", data=data)
    assert response.status_code == 409
    assert appointment.booking_code in response.get_data(as_text=True)
    db.session.expire_all()
    assert len(db.session.get(Counter, counter.id).skills) == 3


def test_absence_form_asks_first(client, office, manager, now):
    appointment = book(office, TUESDAY_10, now, "a@example.org")
    db.session.commit()
    staff_id = next(
        p.staff_member_id
        for p in db.session.query(__import__("terminvergabe").booking.models.ShiftPattern)
        if p.counter_id == appointment.counter_id
    )
    data = {
        "form": "exception",
        "exception-staff_member_id": staff_id,
        "exception-date": "2026-01-13",
        "exception-kind": "absence",
        "exception-counter_id": "0",
        "exception-note": "krank",
    }
    response = client.post(f"/admin/{office.id}/shifts", data=data)
    assert response.status_code == 409
    response = client.post(
        f"/admin/{office.id}/shifts",
        data={**data, "confirm_change": "1", f"resolve-{appointment.id}": "cancel"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.query(ShiftException).count() == 1
    assert db.session.get(Appointment, appointment.id).status == AppointmentStatus.CANCELLED


def test_rules_are_validated(client, office, manager):
    data = {
        "slot_minutes": "7",
        "horizon_days": "30",
        "lead_minutes": "60",
        "release_time": "00:00",
        "hold_minutes": "10",
        "max_active_per_email": "3",
        "cancel_deadline_minutes": "1440",
        "cancel_cooldown_minutes": "0",
        "opt_in_minutes": "60",
    }
    response = client.post(f"/admin/{office.id}/rules?lang=en", data=data)
    assert response.status_code == 422
    assert "Use a multiple of 5 minutes." in response.get_data(as_text=True)
    response = client.post(f"/admin/{office.id}/rules", data={**data, "slot_minutes": "15"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(office), office.id).slot_minutes == 15


def test_add_staff_member_with_roles(client, office, manager):
    data = {
        "name": "Neue Kollegin",
        "login": "neu",
        "password": "a long enough password",
        "roles": ["clerk", "front_desk"],
        "active": "y",
    }
    assert client.post(f"/admin/{office.id}/staff", data=data).status_code == 302
    from terminvergabe.booking.models import StaffMember

    member = db.session.scalar(sa.select(StaffMember).where(StaffMember.login == "neu"))
    assert member.roles_in(office.id) == {"clerk", "front_desk"} and member.roles == ""
    assert member.municipality_id == office.municipality_id


def test_manager_cannot_grant_admin(client, office, manager):
    data = {"name": "X", "login": "x", "roles": ["admin"], "active": "y"}
    assert client.post(f"/admin/{office.id}/staff", data=data).status_code == 422


def test_calendar_shows_appointments_holds_and_free_time(client, office, manager, now):
    from terminvergabe.booking import operations

    appointment = book(office, TUESDAY_10, now, "a@example.org")
    sel = {office.services[0].id: 1}
    hold = operations.hold(office, sel, TUESDAY_10 + dt.timedelta(hours=1), now)
    db.session.commit()
    page = client.get(f"/admin/{office.id}/calendar?date=2026-01-13&lang=en").get_data(as_text=True)
    assert appointment.booking_code in page
    assert hold.booking_code in page and "cell-hold" in page
    assert "cell-free" in page
    week = client.get(f"/admin/{office.id}/calendar?date=2026-01-13&view=week&lang=en")
    assert "2 appointments" in week.get_data(as_text=True)


def test_moves_to_a_time_that_fills_up_save_nothing(client, office, manager, now):
    """Three appointments moved to one time where two counters are free: the third move fails,
    so nothing is saved and the manager decides again."""
    booked = [book(office, TUESDAY_10, now, f"{n}@example.org") for n in "ab"]
    booked.append(book(office, TUESDAY_10 + dt.timedelta(hours=1), now, "c@example.org"))
    starts = {a.id: a.start_at for a in booked}
    db.session.commit()
    target = (TUESDAY_10 + dt.timedelta(days=1)).isoformat()
    data = {"first_day": "2026-01-13", "last_day": "2026-01-13", "confirm_change": "1"}
    data |= {f"resolve-{a.id}": target for a in booked}
    response = client.post(f"/admin/{office.id}/closures?lang=en", data=data)
    assert response.status_code == 409
    assert "This time has just been taken" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.query(Closure).count() == 0
    assert {i: db.session.get(Appointment, i).start_at for i in starts} == starts


def test_shortening_a_shift_asks_first(client, office, manager, now):
    from terminvergabe.booking.models import ShiftPattern

    late = book(office, TUESDAY_10 + dt.timedelta(hours=1, minutes=30), now, "a@example.org")
    db.session.commit()
    pattern = db.session.scalar(
        sa.select(ShiftPattern).where(
            ShiftPattern.counter_id == late.counter_id, ShiftPattern.weekday == 1
        )
    )
    data = {
        "staff_member_id": pattern.staff_member_id,
        "counter_id": pattern.counter_id,
        "weekday": "1",
        "start_local": "08:00",
        "end_local": "11:00",
    }
    url = f"/admin/{office.id}/shifts/{pattern.id}"
    assert client.get(url).status_code == 200
    response = client.post(url, data=data)
    assert response.status_code == 409
    assert late.booking_code in response.get_data(as_text=True)
    response = client.post(
        url, data={**data, "confirm_change": "1", f"resolve-{late.id}": "cancel"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ShiftPattern, pattern.id).end_local == dt.time(11)
    assert db.session.get(Appointment, late.id).status == AppointmentStatus.CANCELLED
