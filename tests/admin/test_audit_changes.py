"""Every change of an office's settings, staff accounts and devices is in the audit log: who,
when, old -> new; never a password, hash or token value."""

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from terminvergabe import audit
from terminvergabe.audit import AuditEntry
from terminvergabe.auth import operations
from terminvergabe.auth.models import Device, DeviceKind
from terminvergabe.booking.models import (
    Closure,
    Counter,
    OpeningHours,
    Role,
    Service,
    ShiftException,
    ShiftPattern,
    StaffMember,
)
from terminvergabe.db import db
from tests.auth.staff import PASSWORD

NEW_PASSWORD = "a brand new long password"


def _entries(action=None):
    query = sa.select(AuditEntry).order_by(AuditEntry.id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    db.session.expire_all()
    return db.session.scalars(query).all()


def _last(action):
    found = _entries(action)
    assert found, f"no {action} entry"
    return found[-1]


def _by(entry, manager, office, when):
    assert (entry.actor_id, entry.actor_name, entry.office_id) == (
        manager.id,
        manager.name,
        office.id,
    )
    assert entry.at == when


def _no_secret_anywhere(*secrets):
    text = " ".join(repr(e.details) for e in _entries())
    for secret in secrets:
        assert secret not in text


def _post(client, path, data, status=302):
    response = client.post(path, data=data)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response


def test_counter_and_service_changes(client, office, manager, now):
    base = f"/admin/{office.id}"
    services = {s.name: s.id for s in office.services}
    _post(client, f"{base}/counters", {"name": "Schalter 9", "position": "9", "active": "y"})
    entry = _last("counter_create")
    _by(entry, manager, office, now)
    assert entry.details == {
        "subject": "Schalter 9",
        "name": [None, "Schalter 9"],
        "position": [None, 9],
        "active": [None, True],
    }
    counter = db.session.scalar(sa.select(Counter).where(Counter.name == "Schalter 9"))
    data = {"name": "Schalter 10", "position": "9", "skills": [services["Reisepass beantragen"]]}
    _post(client, f"{base}/counters/{counter.id}", data)
    assert _last("counter_change").details == {
        "subject": "Schalter 10",
        "name": ["Schalter 9", "Schalter 10"],
        "active": [True, False],
        "skills": [[], ["Reisepass beantragen"]],
    }

    service = db.session.get(Service, services["Reisepass beantragen"])
    offer = office.offer_of(service.id)
    data = {
        "duration_minutes": "30",
        "max_quantity": str(offer.max_quantity),
        "ticket_prefix": offer.ticket_prefix,
        "position": str(offer.position),
        "public": "y",
        "active": "y",
        "modes": ["in_person", "phone"],
    }
    _post(client, f"{base}/services/{service.id}", data)
    entry = _last("offer_change")
    assert entry.details == {
        "subject": "Reisepass beantragen",
        "duration_minutes": [20, 30],
        "modes": ["in_person", "in_person,phone"],
    }
    page = client.get(f"{base}/audit?lang=en").get_data(as_text=True)
    assert "Service of the office changed" in page and "duration: 20 → 30" in page
    assert "ways to hold it: in person → in person, by phone" in page
    assert "Counter changed" in page and "active: yes → no" in page


def test_staff_changes_name_roles_and_password_without_the_password(client, office, manager):
    base = f"/admin/{office.id}/staff"
    data = {
        "name": "Neue Kollegin",
        "login": "Neu",
        "password": PASSWORD,
        "roles": ["clerk"],
        "active": "y",
    }
    _post(client, base, data)
    created = _last("staff_create")
    assert created.details["login"] == [None, "neu"]
    assert created.details["roles"] == [None, "clerk"]
    assert created.details["password"] == audit.CHANGED
    member = db.session.scalar(sa.select(StaffMember).where(StaffMember.login == "neu"))
    data = {**data, "roles": ["clerk", "front_desk"], "password": NEW_PASSWORD}
    _post(client, f"{base}/{member.id}", data)
    changed = _last("staff_change")
    _by(changed, manager, office, changed.at)
    assert changed.details == {
        "subject": "Neue Kollegin",
        "roles": ["clerk", "clerk,front_desk"],
        "password": audit.CHANGED,
    }
    _no_secret_anywhere(PASSWORD, NEW_PASSWORD, member.password_hash)
    page = client.get(f"/admin/{office.id}/audit?lang=en").get_data(as_text=True)
    assert "password: changed" in page and "roles: Clerk → Clerk, Front desk" in page


def test_shifts_hours_closures_and_rules(client, office, manager, now):
    base = f"/admin/{office.id}"
    member = db.session.scalars(sa.select(ShiftPattern)).first().staff_member
    counter = office.counters[0]
    pattern = {
        "form": "pattern",
        "pattern-staff_member_id": member.id,
        "pattern-counter_id": counter.id,
        "pattern-weekday": "5",
        "pattern-start_local": "08:00",
        "pattern-end_local": "10:00",
    }
    _post(client, f"{base}/shifts", pattern)
    created = _last("shift_create")
    assert created.details["staff_member"] == [None, member.name]
    assert created.details["counter"] == [None, counter.name]
    assert created.details["start_local"] == [None, "08:00:00"]
    row = db.session.scalar(sa.select(ShiftPattern).where(ShiftPattern.weekday == 5))
    edit = {k.removeprefix("pattern-"): v for k, v in pattern.items() if k != "form"}
    _post(client, f"{base}/shifts/{row.id}", {**edit, "end_local": "09:00"})
    assert _last("shift_change").details == {"end_local": ["10:00:00", "09:00:00"]}
    _post(client, f"{base}/shifts/{row.id}/delete", {})
    assert _last("shift_delete").details["weekday"] == [5, None]

    exception = {
        "form": "exception",
        "exception-staff_member_id": member.id,
        "exception-date": "2026-02-02",
        "exception-kind": "extra",
        "exception-counter_id": counter.id,
        "exception-start_local": "13:00",
        "exception-end_local": "14:00",
        "exception-note": "Sonderschicht",
    }
    _post(client, f"{base}/shifts", exception)
    assert _last("exception_create").details["counter"] == [None, counter.name]
    row = db.session.scalar(sa.select(ShiftException))
    _post(client, f"{base}/exceptions/{row.id}/delete", {})
    assert _last("exception_delete").details["note"] == ["Sonderschicht", None]

    _post(client, f"{base}/hours", {"weekday": "5", "start_local": "09:00", "end_local": "11:00"})
    assert _last("hours_create").details["weekday"] == [None, 5]
    row = db.session.scalar(sa.select(OpeningHours).where(OpeningHours.weekday == 5))
    _post(client, f"{base}/hours/{row.id}/delete", {})
    assert _last("hours_delete").details["end_local"] == ["11:00:00", None]

    closure = {"first_day": "2026-03-02", "last_day": "2026-03-03", "reason": "Umzug"}
    _post(client, f"{base}/closures", closure)
    assert _last("closure_create").details == {
        "first_day": [None, "2026-03-02"],
        "last_day": [None, "2026-03-03"],
        "reason": [None, "Umzug"],
    }
    row = db.session.scalar(sa.select(Closure))
    _post(client, f"{base}/closures/{row.id}/delete", {})
    assert _last("closure_delete").details["reason"] == ["Umzug", None]

    rules = {
        "slot_minutes": "15",
        "horizon_days": "60",
        "lead_minutes": "60",
        "release_time": "00:00",
        "hold_minutes": "10",
        "max_active_per_email": "3",
        "cancel_deadline_minutes": "1440",
        "cancel_cooldown_minutes": "0",
        "opt_in_minutes": "60",
    }
    _post(client, f"{base}/rules", rules)
    entry = _last("booking_rules")
    _by(entry, manager, office, now)
    assert entry.details["slot_minutes"] == [10, 15]
    assert entry.details["horizon_days"] == [30, 60]
    page = client.get(f"{base}/audit?lang=en").get_data(as_text=True)
    for label in ("Weekly shift removed", "Closure added", "Booking rules changed"):
        assert label in page
    assert "slot length: 10 → 15" in page


def test_devices_through_the_desk_pages(client, office, manager):
    _post(client, f"/desk/{office.id}/devices", {"kind": "display", "name": "Wartebereich"}, 200)
    created = _last("device_create")
    _by(created, manager, office, created.at)
    assert created.details == {"subject": "Wartebereich", "kind": [None, "display"]}
    device = db.session.scalar(sa.select(Device))
    _post(client, f"/desk/{office.id}/devices/{device.id}/revoke", {})
    assert _last("device_revoke").details == {"subject": "Wartebereich"}
    _no_secret_anywhere(device.token_hash)


def test_device_rename_and_new_token(office, now):
    device, token = operations.create_device(office, DeviceKind.KIOSK, "Eingang", now)
    operations.rename_device(device, "Eingang Nord", now)
    new = operations.renew_device_token(device, now)
    assert operations.find_device(token) is None and operations.find_device(new) is device
    assert _last("device_rename").details == {
        "subject": "Eingang Nord",
        "name": ["Eingang", "Eingang Nord"],
    }
    assert _last("device_token").details == {"subject": "Eingang Nord", "token": audit.CHANGED}
    assert _last("device_token").actor_name == audit.SYSTEM
    _no_secret_anywhere(token, new, device.token_hash)


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


def _run(cli, *args, input=None):
    result = cli.invoke(args=list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_changes_are_logged_as_command_line(cli, office, now):
    _run(
        cli,
        *("staff", "create", "--login", "chefin", "--name", "Chefin"),
        *("--role", "office_manager", "--office", office.slug, "--password", PASSWORD),
    )
    _run(cli, "staff", "password", "--login", "chefin", "--password", NEW_PASSWORD)
    printed = _run(
        cli, "device", "create", "--office", office.slug, "--kind", "display", "--name", "Halle"
    )
    device_id = re.search(r"Device (\d+)", printed).group(1)
    _run(cli, "device", "rename", device_id, "Halle Ost")
    renewed = _run(cli, "device", "token", device_id)
    _run(cli, "device", "revoke", device_id)
    _run(cli, "privacy", "anonymise")
    entries = [e for e in _entries() if e.actor_name == audit.CLI]
    assert [e.action for e in entries] == [
        "staff_create",
        "staff_change",
        "device_create",
        "device_rename",
        "device_token",
        "device_revoke",
        "anonymise",
    ]
    assert all(e.actor_id is None for e in entries)
    assert entries[0].office_id == office.id and entries[0].details["roles"] == [
        None,
        "office_manager",
    ]
    assert entries[1].details == {"subject": "Chefin", "password": audit.CHANGED}
    tokens = [p.rsplit("/", 1)[1].strip() for p in (printed, renewed)]
    member = db.session.scalar(sa.select(StaffMember).where(StaffMember.login == "chefin"))
    _no_secret_anywhere(PASSWORD, NEW_PASSWORD, member.password_hash, *tokens)


def test_the_log_names_the_command_line_and_the_system(client, office, manager, now):
    audit.record(audit.CLI, "device_create", office_id=office.id, subject="Halle")
    audit.record(None, "close", office_id=office.id, at=now - dt.timedelta(minutes=1))
    db.session.commit()
    page = client.get(f"/admin/{office.id}/audit?lang=en").get_data(as_text=True)
    assert "Command line" in page and "System" in page


def test_staff_created_in_code_is_logged_with_its_actor(office, now):
    admin = operations.create_staff("boss", PASSWORD, "Boss", [Role.ADMIN])
    operations.create_staff("c2", PASSWORD, "Clerk Two", [Role.CLERK], office, actor=admin)
    entries = _entries("staff_create")
    assert [(e.actor_name, e.office_id) for e in entries] == [
        (audit.SYSTEM, None),
        ("Boss", office.id),
    ]
