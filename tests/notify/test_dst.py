"""The night the clocks go back (Europe/Berlin, 25 October 2026): 02:00-03:00 comes twice.
The .ics names the instant of either 02:30 the same in three independent readers, and the
day page and the mail tell the two apart."""

import datetime as dt
import re

import icalendar
import ics
import pytest
import vobject

from terminvergabe.booking import operations
from terminvergabe.db import db
from terminvergabe.notify import ical, mails
from terminvergabe.notify.payload import snapshot
from terminvergabe.time import is_repeated_wall_time
from tests.factories import create_office

from .calendar_check import check_all_readers
from .conftest import selection

BERLIN = "Europe/Berlin"
FIRST_0230 = dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)  # 02:30 summer time (CEST)
SECOND_0230 = dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)  # 02:30 standard time (CET)
BEFORE = dt.datetime(2026, 10, 20, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def night_office(app_ctx):
    """An office open every night from 01:00 to 04:00 (the DST switch is on a Sunday)."""
    app_ctx.config["FROZEN_NOW"] = BEFORE
    office = create_office(counters=1, hours=(dt.time(1), dt.time(4)), weekdays=range(7))
    db.session.commit()
    return office


def test_only_the_repeated_hour_is_repeated():
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(BERLIN)
    assert is_repeated_wall_time(FIRST_0230, zone) and is_repeated_wall_time(SECOND_0230, zone)
    assert not is_repeated_wall_time(FIRST_0230 - dt.timedelta(hours=1), zone)
    assert not is_repeated_wall_time(SECOND_0230 + dt.timedelta(hours=1), zone)
    spring = dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)  # 03:30 CEST, the hour after the gap
    assert not is_repeated_wall_time(spring, zone)


def _book(office, start_at, locale="en"):
    sel = selection(office, ("Anmeldung einer Wohnung", 1))
    appointment = operations.hold(office, sel, start_at, BEFORE, locale=locale)
    operations.confirm(appointment, "Erika", "erika@example.org", "", BEFORE)
    db.session.commit()
    return appointment


def _instants(data: bytes) -> list[dt.datetime]:
    """DTSTART as each of three independent readers understands it, in UTC."""
    text = data.decode()
    by_icalendar = icalendar.Calendar.from_ical(text).walk("VEVENT")[0].decoded("DTSTART")
    by_vobject = vobject.readOne(text).vevent.dtstart.value
    by_ics = next(iter(ics.Calendar(text).events)).begin.datetime
    return [value.astimezone(dt.UTC) for value in (by_icalendar, by_vobject, by_ics)]


@pytest.mark.parametrize("start_at", [FIRST_0230, SECOND_0230], ids=["first", "second"])
def test_calendar_names_the_instant_of_either_0230(night_office, start_at):
    appointment = _book(night_office, start_at)
    payload = snapshot(appointment, BEFORE)
    for data in (ical.request(payload), ical.publish(payload)):
        check_all_readers(data)
        assert _instants(data) == [start_at] * 3


def test_a_time_outside_the_repeated_hour_keeps_its_tzid(night_office):
    appointment = _book(night_office, FIRST_0230 - dt.timedelta(hours=1))  # 01:30 CEST
    data = ical.request(snapshot(appointment, BEFORE)).decode()
    assert "DTSTART;TZID=Europe/Berlin:20261025T013000" in data
    assert _instants(data.encode()) == [FIRST_0230 - dt.timedelta(hours=1)] * 3


def test_day_page_tells_the_two_0230_apart(client, night_office):
    sel = selection(night_office, ("Anmeldung einer Wohnung", 1))
    query = ",".join(f"{k}:{v}" for k, v in sel.items())
    page = client.get(f"/o/{night_office.slug}/days/2026-10-25?s={query}&lang=en").text
    labels = re.findall(r"2:30\s*(?:AM)?(?:\u00a0|&nbsp;|&#160;)?(\([a-z ]+\))?", page)
    assert "(summer time)" in labels and "(standard time)" in labels
    assert "1:30\u00a0AM\u00a0(" not in page  # 01:30 comes once: no note
    other = client.get(f"/o/{night_office.slug}/days/2026-10-26?s={query}&lang=en").text
    assert "(summer time)" not in other and "(standard time)" not in other


def test_day_page_note_is_translated(client, night_office):
    sel = selection(night_office, ("Anmeldung einer Wohnung", 1))
    query = ",".join(f"{k}:{v}" for k, v in sel.items())
    page = client.get(f"/o/{night_office.slug}/days/2026-10-25?s={query}&lang=de").text
    assert "02:30\u00a0(Sommerzeit)" in page and "02:30\u00a0(Normalzeit)" in page


def test_mail_names_the_pass_of_the_repeated_hour(night_office):
    appointment = _book(night_office, SECOND_0230, locale="de")
    _, text, html = mails.render("confirmed", snapshot(appointment, BEFORE))
    assert "02:30\u00a0(Normalzeit)" in text
