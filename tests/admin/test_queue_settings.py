"""The queue rules form (/admin/<office>/queue): who may use it, what it refuses, and that the
saved rules change check-in and calling at once."""

import pytest
import sqlalchemy as sa

from terminvergabe.audit import AuditEntry
from terminvergabe.counter.models import QueueSettings, Ticket, TicketKind, TicketStatus
from terminvergabe.db import db
from tests.auth.staff import log_in
from tests.counter.helpers import at, service
from tests.counter.helpers import book as book_at

VALID = {
    "early_minutes": "20",
    "late_minutes": "5",
    "late_policy": "refuse",
    "max_calls": "2",
    "walk_in_every": "4",
    "walk_in_max_wait_minutes": "30",
}


def url(office):
    return f"/admin/{office.id}/queue"


def settings(office):
    db.session.expire_all()
    return db.session.get(QueueSettings, office.id)


# Who may save, in the route's own office (one staff set: hashing passwords is slow on purpose).
SAVES = {
    "front_desk": 403,
    "clerk": 403,
    "other_office_manager": 403,
    "other_front_desk": 403,
    "office_manager": 302,
    "admin": 302,
}


def test_saving_by_role(client, office, staff):
    seen = {}
    for role, expected in SAVES.items():
        log_in(client, staff[role])
        data = {**VALID, "max_calls": str(len(seen) % 10 + 1)}
        seen[role] = client.post(url(office), data=data).status_code
        saved = settings(office)
        if expected != 302:
            assert saved is None, role
        else:
            assert saved.max_calls == int(data["max_calls"]), role
    assert seen == SAVES


def test_anonymous_cannot_save(client, office):
    assert client.post(url(office), data=VALID).status_code in (302, 401)
    assert client.get(url(office)).status_code == 302
    assert settings(office) is None


def test_the_form_shows_the_defaults_and_the_ticket_prefixes(client, office, manager):
    page = client.get(url(office) + "?lang=en").get_data(as_text=True)
    assert 'value="30"' in page and 'value="45"' in page
    assert '<option selected value="walk_in">' in page
    assert "Personalausweis beantragen" in page and "Ticket prefixes" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("early_minutes", "-1", "Number must be between 0 and 240."),
        ("late_minutes", "", "This field is required."),
        ("late_minutes", "viele", "Not a valid integer value."),
        ("late_policy", "maybe", "Not a valid choice."),
        ("max_calls", "0", "Number must be between 1 and 10."),
        ("walk_in_every", "51", "Number must be between 1 and 50."),
        ("walk_in_max_wait_minutes", "0", "Number must be between 1 and 480."),
    ],
)
def test_bad_values_are_refused_clearly_and_change_nothing(
    client, office, manager, field, value, message
):
    response = client.post(url(office) + "?lang=en", data={**VALID, field: value})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="error-summary"' in page and f'href="#{field}"' in page
    assert message in page and 'aria-invalid="true"' in page
    assert settings(office) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_errors_are_translated(client, office, manager):
    response = client.post(url(office) + "?lang=de", data={**VALID, "max_calls": "0"})
    assert response.status_code == 422
    assert "Number must be between" not in response.get_data(as_text=True)


def test_a_change_is_audited_with_old_and_new_values(client, office, manager):
    client.post(url(office), data=VALID)
    client.post(url(office), data=VALID)  # nothing changed the second time
    entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor_id, e.office_id) for e in entries] == [
        ("queue_settings", manager.id, office.id),
        ("queue_settings", manager.id, office.id),
    ]
    assert entries[0].details == {
        "early_minutes": [30, 20],
        "late_minutes": [15, 5],
        "late_policy": ["walk_in", "refuse"],
        "max_calls": [3, 2],
        "walk_in_every": [3, 4],
        "walk_in_max_wait_minutes": [45, 30],
    }
    assert entries[1].details == {}
    page = client.get(f"/admin/{office.id}/audit?lang=en").get_data(as_text=True)
    assert "Queue rules changed" in page and "15 → 5" in page


def test_saved_rules_change_check_in_at_once(client, office, staff, manager, now):
    late, early, on_time = (
        book_at(office, at(10, 20 * i), now, name=f"Person{i} Test") for i in range(3)
    )
    db.session.commit()
    client.post(url(office), data={**VALID, "late_policy": "walk_in", "late_minutes": "5"})
    log_in(client, staff["front_desk"])
    desk = f"/desk/{office.id}"
    # 10:06 is six minutes late: with 5 minutes tolerance the appointment becomes a walk-in.
    client.application.config["FROZEN_NOW"] = at(10, 6)
    client.post(f"{desk}/check-in", data={"code": late.booking_code})
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.appointment_id == late.id))
    assert ticket.kind == TicketKind.WALK_IN
    # 20 minutes early is allowed, 21 (10:19 for 10:40) is not.
    client.application.config["FROZEN_NOW"] = at(10, 19)
    response = client.post(f"{desk}/check-in", data={"code": on_time.booking_code})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Ticket).where(Ticket.appointment_id == on_time.id)) is None
    client.application.config["FROZEN_NOW"] = at(10, 20)
    client.post(f"{desk}/check-in", data={"code": on_time.booking_code})
    assert db.session.scalar(sa.select(Ticket).where(Ticket.appointment_id == on_time.id))
    # The manager switches to "refuse": the next late citizen is sent to book again.
    log_in(client, manager)
    client.post(url(office), data=VALID)
    log_in(client, staff["front_desk"])
    client.application.config["FROZEN_NOW"] = at(10, 26)
    refused = client.post(
        f"{desk}/check-in?lang=en", data={"code": early.booking_code}, follow_redirects=True
    )
    assert "This appointment has passed" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(Ticket).where(Ticket.appointment_id == early.id)) is None


def test_saved_call_limit_applies_at_the_counter(client, office, staff, manager):
    client.post(url(office), data={**VALID, "max_calls": "1"})
    log_in(client, staff["front_desk"])
    client.application.config["FROZEN_NOW"] = at(9)
    client.post(f"/desk/{office.id}/walk-in", data={"service": service(office, "Anmeldung").id})
    log_in(client, staff["clerk"])
    counter = f"/counter/{office.counters[0].id}"
    client.post(f"{counter}/call-next")
    client.post(f"{counter}/recall")  # the first call was the only one allowed
    db.session.expire_all()
    assert db.session.scalars(sa.select(Ticket.status)).all() == [TicketStatus.NO_SHOW]
