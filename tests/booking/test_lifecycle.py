"""The appointment's lifecycle (terminvergabe/booking/lifecycle.py): the table, and that no
other code writes an appointment's or a ticket's status."""

import ast
import datetime as dt
import pathlib

import pytest

import terminvergabe
from terminvergabe.booking import lifecycle, operations
from terminvergabe.booking.lifecycle import TRANSITIONS, AppointmentStatus, Verb
from terminvergabe.errors import DomainError

BERLIN_10 = dt.datetime(2026, 1, 13, 9, 0, tzinfo=dt.UTC)  # Tuesday 10:00 in Berlin
PACKAGE = pathlib.Path(terminvergabe.__file__).parent
WRITERS = {"booking/lifecycle.py", "counter/lifecycle.py"}
STATUS_ENUMS = ("AppointmentStatus", "TicketStatus")


def _status_writes(path: pathlib.Path) -> list[str]:
    """Where this module writes the status of an appointment or a ticket: an assignment to
    `<appointment or ticket>.status` or of one of their statuses, `status=` given to the model,
    or an UPDATE of either table that sets it."""
    source = path.read_text()
    found = []

    def about_them(node) -> bool:
        text = ast.get_source_segment(source, node) or "" if node is not None else ""
        lowered = text.lower()
        return (
            "appointment" in lowered or "ticket" in lowered or any(e in text for e in STATUS_ENUMS)
        )

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                is_status = isinstance(target, ast.Attribute) and target.attr == "status"
                if is_status and (about_them(target.value) or about_them(node.value)):
                    found.append(f"{path}:{node.lineno}")
        elif isinstance(node, ast.Call):
            keywords = {k.arg for k in node.keywords}
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if "status" in keywords and (
                name in ("Appointment", "Ticket") or (name == "values" and about_them(node))
            ):
                found.append(f"{path}:{node.lineno}")
            if name == "setattr" and any(
                isinstance(a, ast.Constant) and a.value == "status" for a in node.args
            ):
                found.append(f"{path}:{node.lineno}")
    return found


def test_only_the_lifecycles_write_a_status():
    writes = [
        write
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).as_posix() not in WRITERS
        for write in _status_writes(path)
    ]
    assert writes == []


def test_the_check_finds_a_write(tmp_path):
    """The check above is not blind: it finds each kind of write."""
    module = tmp_path / "module.py"
    module.write_text(
        "appointment.status = 'done'\n"
        "candidate.status = TicketStatus.DONE\n"
        "Appointment(status='held')\n"
        "sa.update(Appointment).values(status='cancelled')\n"
        "setattr(ticket, 'status', 'done')\n"
        "entry.status = EntryStatus.LEFT\n"  # a waitlist entry's own status: not theirs
    )
    assert [w.rsplit(":", 1)[1] for w in _status_writes(module)] == ["1", "2", "3", "4", "5"]


def test_every_status_is_reached_and_the_ends_lead_nowhere():
    targets = {t.target for t in TRANSITIONS.values()} | {lifecycle.INITIAL}
    assert targets == set(AppointmentStatus)
    sources = set().union(*(t.sources for t in TRANSITIONS.values()))
    ends = {
        AppointmentStatus.DONE,
        AppointmentStatus.CANCELLED,
        AppointmentStatus.EXPIRED,
        AppointmentStatus.NO_SHOW,
    }
    assert sources == set(AppointmentStatus) - ends


def test_move_refuses_what_the_table_does_not_allow(office, now):
    appointment = operations.hold(office, {office.services[0].id: 1}, BERLIN_10, now)
    assert not lifecycle.can(appointment, Verb.CHECK_IN, now)
    with pytest.raises(DomainError) as refused:
        lifecycle.move(appointment, Verb.CHECK_IN, now)
    assert refused.value.code == "appointment_state" and refused.value.status == 409
    assert appointment.status == AppointmentStatus.HELD


def test_the_conditions_on_the_moment(office, now):
    appointment = operations.hold(office, {office.services[0].id: 1}, BERLIN_10, now)
    lapsed = appointment.hold_expires_at
    assert lifecycle.can(appointment, Verb.CONFIRM, now)
    assert not lifecycle.can(appointment, Verb.CONFIRM, lapsed)
    assert lifecycle.can(appointment, Verb.EXPIRE, lapsed)
    assert not lifecycle.can(appointment, Verb.EXPIRE, now)
    operations.confirm(appointment, "A", "a@example.org", "", now)
    deadline = lifecycle.cancel_deadline(appointment)
    for verb in (Verb.CANCEL, Verb.REBOOK):
        assert lifecycle.can(appointment, verb, deadline - dt.timedelta(seconds=1))
        assert not lifecycle.can(appointment, verb, deadline)
    for verb in (Verb.OFFICE_CANCEL, Verb.OFFICE_REBOOK):
        assert lifecycle.can(appointment, verb, deadline)
        assert not lifecycle.can(appointment, verb, appointment.start_at)
