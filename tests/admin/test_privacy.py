"""Retention, export and erasure: no personal data of old appointments stays in any table,
and the statistics do not change."""

import dataclasses
import datetime as dt
import json

import pytest
import sqlalchemy as sa

from terminvergabe import audit
from terminvergabe.admin import privacy, retention, stats
from terminvergabe.admin.operations import cancel_by_office
from terminvergabe.audit import AuditEntry
from terminvergabe.booking import operations
from terminvergabe.booking.models import Appointment
from terminvergabe.counter import checkin as counter
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.fairness import waitlist
from terminvergabe.fairness.models import HoldClient
from terminvergabe.notify import scheduler, sender
from terminvergabe.notify.models import OutboxMessage
from tests.admin import history
from tests.admin.conftest import TUESDAY_10, book
from tests.notify.conftest import smtp  # noqa: F401  (a real SMTP server)

FIRST = dt.date(2025, 11, 3)


def personal_data_left(needles: list[str]) -> list[str]:
    """Where any of `needles` (names, addresses, phone numbers) still appears in any text
    column of any table, as table.column."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, sa.String | sa.Text | sa.JSON)]
        if not columns:
            continue
        for row in db.session.execute(sa.select(*columns)):
            for column, value in zip(columns, row, strict=True):
                text = (
                    json.dumps(value, ensure_ascii=False)
                    if column.type.__class__ is sa.JSON
                    else str(value or "")
                )
                if any(needle in text for needle in needles):
                    found.append(f"{table.name}.{column.name}")
    return sorted(set(found))


def _figures(office, now):
    report = stats.report(office, FIRST, FIRST + dt.timedelta(days=27), now)
    return (
        dataclasses.asdict(report.counts),
        {k: (d.bins, d.count, round(d.total, 6)) for k, d in report.waiting.by_service.items()},
        {k: (d.bins, d.count) for k, d in report.service_time.by_hour.items()},
        [(u.counter.id, u.booked_minutes, u.staffed_minutes) for u in report.utilisation],
        report.services_booked,
    )


def _needles(visits):
    ids = [v.appointment_id for v in visits if v.appointment_id]
    return (
        [f"person{i}@example.org" for i in ids]
        + [f"Person {i}" for i in ids]
        + [f"0221 {i:06d}" for i in ids]
    )


def _queue_mails_for(appointments):
    """Mails as the notify package would have queued them, with address and name inside."""
    for a in appointments:
        db.session.add(
            OutboxMessage(
                kind="confirmed",
                appointment_id=a.id,
                recipient=a.citizen_email,
                locale="de",
                payload={"name": a.citizen_name, "phone": a.citizen_phone},
                message_id=f"<m{a.id}@test>",
                status="sent",
                created_at=a.created_at,
                next_attempt_at=a.created_at,
                sent_at=a.created_at,
            )
        )


def test_retention_leaves_no_personal_data_and_statistics_unchanged(office, now):
    visits = history.generate(office, FIRST, 28, per_day=6, seed=11)
    old = db.session.scalars(sa.select(Appointment)).all()
    _queue_mails_for(old[:20])
    recent = book(office, TUESDAY_10, now, "recent@example.org", name="Recent Citizen")
    db.session.commit()
    before = _figures(office, now)
    assert personal_data_left(_needles(visits)[:5])  # the check finds data where there is some

    changed = privacy.anonymise(now)
    db.session.commit()

    assert changed >= len(old)
    assert personal_data_left(_needles(visits)) == []
    assert _figures(office, now) == before
    db.session.refresh(recent)  # a future appointment keeps its data
    assert recent.citizen_email == "recent@example.org"
    assert privacy.anonymise(now) == 0  # idempotent: a second run changes nothing


def test_retention_takes_queued_mail_of_old_appointments_out_of_the_queue(office, now):

    old = book(office, TUESDAY_10, now, "old@example.org", name="Old Citizen")
    db.session.commit()
    [mail] = db.session.scalars(sa.select(OutboxMessage)).all()
    assert mail.status == "queued"
    privacy.anonymise(old.end_at + dt.timedelta(days=31))
    db.session.commit()
    db.session.refresh(mail)
    assert (mail.status, mail.recipient, mail.payload) == ("failed", "", {})
    assert mail.last_error == retention.ANONYMISED


def test_retention_days_are_configurable(app, office, now):
    appointment = book(office, TUESDAY_10, now, "a@example.org")
    db.session.commit()
    after_visit = appointment.end_at + dt.timedelta(days=5)
    assert privacy.anonymise(after_visit) == 0  # default 30 days
    app.config["RETENTION_DAYS"] = 3
    try:
        assert privacy.anonymise(after_visit) >= 1
    finally:
        app.config["RETENTION_DAYS"] = 30
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).citizen_email == ""


def test_flask_privacy_anonymise_command(app, office, now):
    history.generate(office, FIRST, 7, per_day=2, seed=5)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["privacy", "anonymise"])
    assert result.exit_code == 0, result.output
    assert "Anonymised" in result.output
    db.session.expire_all()
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Appointment)
            .where(Appointment.citizen_email != "")
        )
        == 0
    )


def test_retention_job_is_on_the_scheduler(app):
    assert "anonymise" in {job.name for job in scheduler.jobs(app)}


def test_export_gives_the_citizens_data_as_json(client, office, manager, now):
    a = book(office, TUESDAY_10, now, "erika@example.org", name="Erika Mustermann")
    book(office, TUESDAY_10, now, "other@example.org", name="Someone Else")
    audit.record(manager, "note", a, at=now)
    db.session.commit()
    response = client.post(
        f"/admin/{office.id}/privacy", data={"email": " Erika@Example.org", "action": "export"}
    )
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    data = json.loads(response.get_data(as_text=True))
    assert [x["name"] for x in data["appointments"]] == ["Erika Mustermann"]
    assert data["appointments"][0]["history"][0]["action"] == "note"
    assert "Someone Else" not in response.get_data(as_text=True)


def test_erase_refuses_while_appointments_are_upcoming_then_erases(client, office, manager, now):
    a = book(office, TUESDAY_10, now, "erika@example.org", name="Erika Mustermann")
    db.session.commit()
    response = client.post(
        f"/admin/{office.id}/privacy?lang=en",
        data={"email": "erika@example.org", "action": "erase"},
    )
    assert response.status_code == 409
    assert "Please cancel it first" in response.get_data(as_text=True)
    operations.cancel(db.session.get(Appointment, a.id), now, by="office")
    db.session.commit()
    response = client.post(
        f"/admin/{office.id}/privacy", data={"email": "erika@example.org", "action": "erase"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert personal_data_left(["erika@example.org", "Erika Mustermann"]) == []
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "erase"))
    assert entry.actor_id == manager.id and entry.appointment_id == a.id


def test_erase_needs_an_address(office, now):
    with pytest.raises(DomainError):
        privacy.erase("  ", None, now)


def test_audit_record(office, manager, now):
    a = book(office, TUESDAY_10, now, "a@example.org")
    entry = audit.record(manager, "check_in", a, at=now, counter="Schalter 1", at_time=now)
    assert entry.office_id == office.id and entry.actor_name == "Office Manager"
    assert entry.details == {"counter": "Schalter 1", "at_time": now.isoformat()}
    system = audit.record(None, "expire", a, at=now)
    assert system.actor_name == "system"
    assert [e.id for e in audit.entries(office.id)] == [system.id, entry.id]


def test_retention_forgets_the_ip_hashes_of_old_holds(office, now):
    visits = history.generate(office, FIRST, 3, per_day=2, seed=4)
    old_id = next(v.appointment_id for v in visits if v.appointment_id)
    recent = book(office, TUESDAY_10, now, "recent@example.org")
    for appointment_id in (old_id, recent.id):
        db.session.merge(
            HoldClient(appointment_id=appointment_id, ip_key=f"k{appointment_id}", created_at=now)
        )
    db.session.commit()
    privacy.anonymise(now)
    db.session.commit()
    left = db.session.scalars(sa.select(HoldClient.appointment_id)).all()
    assert left == [recent.id]


NAME, EMAIL, PHONE = "Erika Mustermann", "erika.mustermann@example.org", "0221 12345"


def _refuse_erika(server) -> dict:
    """From when the returned switch is set, the server refuses Erika's address."""
    switch = {"refusing": False}

    async def refuse(server, session, envelope, address, rcpt_options):
        if "mustermann" in address and switch["refusing"]:
            return f"550 5.1.1 <{address}>: Recipient address rejected ({NAME})"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    server.inbox.handle_RCPT = refuse
    server.stop()
    server.start()
    return switch


def _leave_traces_everywhere(office, manager, server, now):
    """Erika books three times (one mail sent, one refused, one still being retried), the
    office cancels one with a reason that names her, she joins the waitlist, checks in at the
    front desk, and her hold left a keyed IP hash."""

    switch = _refuse_erika(server)
    first = book(office, TUESDAY_10, now, EMAIL, name=NAME)
    db.session.commit()
    assert sender.send_due(lambda: now).sent == 1
    switch["refusing"] = True
    second = book(office, TUESDAY_10 + dt.timedelta(hours=1), now, EMAIL, name=NAME)
    db.session.commit()
    assert sender.send_due(lambda: now).failed == 1
    server.stop()
    third = book(office, TUESDAY_10 + dt.timedelta(days=1), now, EMAIL.upper(), name=NAME)
    db.session.commit()
    assert sender.send_due(lambda: now).retried == 1
    cancel_by_office(third, manager, now, reason=f"Frau {NAME} ({PHONE}) bat darum")
    waitlist.register(
        office,
        {office.services[0].id: 1},
        TUESDAY_10.date(),
        TUESDAY_10.date(),
        NAME,
        EMAIL,
        "de",
        now,
    )
    db.session.merge(HoldClient(appointment_id=first.id, ip_key="k1", created_at=now))
    db.session.commit()
    counter.check_in(office, first, TUESDAY_10, staff=manager)
    db.session.commit()
    assert second.id
    return TUESDAY_10 + dt.timedelta(days=3)


@pytest.mark.parametrize("how", ["erase", "retention"])
def test_no_trace_of_the_person_is_left_in_any_table(how, client, office, manager, smtp, now):  # noqa: F811
    later = _leave_traces_everywhere(office, manager, smtp, now)
    needles = [NAME, EMAIL, EMAIL.upper(), PHONE, "erika.mustermann"]
    assert {
        "appointment.citizen_name",
        "outbox_message.payload",
        "waitlist_entry.citizen_email",
        "audit_entry.details",
    } <= set(personal_data_left(needles))
    if how == "erase":
        privacy.erase(EMAIL.title(), manager, later)
    else:
        privacy.anonymise(later + dt.timedelta(days=privacy.retention_days() + 1))
    db.session.commit()
    db.session.expire_all()
    assert personal_data_left(needles) == []

    assert db.session.scalars(sa.select(HoldClient)).all() == []
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) >= 2
    )  # who did what stays
