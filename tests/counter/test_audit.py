"""Staff actions on appointments and tickets land in the audit log with the acting staff
member (issue 5, item 4), in the same transaction as the change, and the admin audit page shows
them in the reader's language."""

import sqlalchemy as sa

from terminvergabe.audit import AuditEntry
from terminvergabe.auth import operations as auth_ops
from terminvergabe.auth.models import DeviceKind
from terminvergabe.counter import checkin, tickets
from terminvergabe.counter.models import Ticket
from terminvergabe.db import db
from tests.auth.staff import log_in
from tests.counter.helpers import at, book, service


def log():
    return db.session.execute(
        sa.select(
            AuditEntry.action,
            AuditEntry.actor_id,
            AuditEntry.actor_name,
            AuditEntry.appointment_id,
            AuditEntry.details,
        ).order_by(AuditEntry.id)
    ).all()


def test_every_desk_and_counter_action_is_logged_with_its_staff_member(
    client, office, staff, now, clock
):
    first = book(office, at(10), now)
    second = book(office, at(10, 20), now, name="Max Muster")
    db.session.commit()
    desk, clerk = staff["front_desk"], staff["clerk"]
    counter_1, counter_2 = office.counters
    log_in(client, desk)
    clock(9, 55)
    client.post(f"/desk/{office.id}/check-in", data={"code": first.booking_code})
    client.post(f"/desk/{office.id}/check-in", data={"code": second.booking_code})
    client.post(f"/desk/{office.id}/walk-in", data={"service": service(office, "Anmeldung").id})
    log_in(client, clerk)
    clock(10)
    base = f"/counter/{counter_1.id}"
    for action in ("call-next", "recall", "start", "park"):
        assert client.post(f"{base}/{action}").status_code == 302
    parked = db.session.scalar(sa.select(Ticket).where(Ticket.appointment_id == first.id))
    client.post(f"/desk/{office.id}/tickets/{parked.id}/requeue", data={"back": base + "/"})
    client.post(f"{base}/call-next")
    client.post(f"{base}/transfer", data={"counter": counter_2.id})
    client.post(f"{base}/call-next")
    client.post(f"{base}/no-show")
    client.post(f"/counter/{counter_2.id}/call-next")
    client.post(f"/counter/{counter_2.id}/start")
    client.post(f"/counter/{counter_2.id}/finish")

    entries = log()
    assert [(e.action, e.actor_id) for e in entries] == [
        ("check_in", desk.id),
        ("check_in", desk.id),
        ("walk_in", desk.id),
        ("call", clerk.id),
        ("recall", clerk.id),
        ("start", clerk.id),
        ("park", clerk.id),
        ("requeue", clerk.id),
        ("call", clerk.id),
        ("transfer", clerk.id),
        ("call", clerk.id),
        ("no_show", clerk.id),
        ("call", clerk.id),
        ("start", clerk.id),
        ("finish", clerk.id),
    ]
    assert all(e.actor_name in (desk.name, clerk.name) for e in entries)
    # Appointment actions name the appointment; every entry names the ticket, none a citizen.
    assert entries[0].appointment_id == first.id and entries[2].appointment_id is None
    assert entries[3].details == {"ticket": "A-001", "counter": "Schalter 1"}
    assert entries[9].details["to_counter"] == "Schalter 2"
    for entry in entries:
        text = repr(entry.details)
        assert "Erika" not in text and "@" not in text


def test_recall_beyond_the_limit_logs_the_no_show_of_the_clerk(office, staff):
    clerk = staff["clerk"]
    ticket = checkin.walk_in(office, service(office, "Anmeldung").id, at(9))
    counter = office.counters[0]
    tickets.call_next(counter, at(9, 1), clerk)
    for minute in (2, 3, 4):
        tickets.recall(ticket, counter, at(9, minute), clerk)
    actions = [(e.action, e.actor_id, e.details.get("calls")) for e in log()]
    assert actions[-3:] == [
        ("recall", clerk.id, 2),
        ("recall", clerk.id, 3),
        ("no_show", clerk.id, 3),
    ]


def test_a_refused_action_writes_no_entry(client, office, staff, clock):
    log_in(client, staff["front_desk"])
    clock(9)
    client.post(f"/desk/{office.id}/check-in", data={"code": "NOPE-CODE"})
    log_in(client, staff["clerk"])
    client.post(f"/counter/{office.counters[0].id}/start")
    assert log() == []


def test_kiosk_actions_name_the_kiosk(client, office, now, clock):
    appointment = book(office, at(10), now)
    _, token = auth_ops.create_device(office, DeviceKind.KIOSK, "Eingang", now)
    db.session.commit()
    clock(9, 50)
    client.post(f"/kiosk/{token}/check-in", data={"code": appointment.booking_code})
    client.post(f"/kiosk/{token}/walk-in", data={"service": service(office, "Personal").id})
    assert [(e.action, e.actor_id, e.actor_name) for e in log()] == [
        ("device_create", None, "system"),
        ("check_in", None, "Kiosk Eingang"),
        ("walk_in", None, "Kiosk Eingang"),
    ]


def test_audit_page_shows_staff_actions_and_filters(client, office, staff, now, clock):
    appointment = book(office, at(10), now)
    db.session.commit()
    log_in(client, staff["front_desk"])
    clock(9, 55)
    client.post(f"/desk/{office.id}/check-in", data={"code": appointment.booking_code})
    client.post(f"/desk/{office.id}/walk-in", data={"service": service(office, "Anmeldung").id})
    log_in(client, staff["office_manager"])
    page = client.get(f"/admin/{office.id}/audit?lang=en").get_data(as_text=True)
    assert "Checked in" in page and "Walk-in ticket issued" in page
    assert staff["front_desk"].name in page and appointment.booking_code in page
    assert "Ticket A-001" in page and "Ticket A-002" in page
    only = client.get(f"/admin/{office.id}/audit?action=walk_in&first=&last=")
    text = only.get_data(as_text=True)
    assert only.status_code == 200 and "Ticket A-002" in text and "Ticket A-001" not in text
    later = client.get(f"/admin/{office.id}/audit?first=2026-01-13&last=2026-01-13")
    assert "Ticket A-001" not in later.get_data(as_text=True)
    german = client.get(f"/admin/{office.id}/audit?lang=de").get_data(as_text=True)
    assert "Checked in" not in german  # the action names follow the reader's language


def test_audit_filter_errors_are_clear(client, office, staff):
    log_in(client, staff["office_manager"])
    response = client.get(
        f"/admin/{office.id}/audit?lang=en&first=2026-01-13&last=2026-01-12&action=nope"
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The last day must not be before the first day." in text
    assert "Not a valid choice" in text
