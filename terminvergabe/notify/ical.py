"""iCalendar files (RFC 5545) as invitations (RFC 5546): REQUEST to add or move the
appointment, CANCEL to remove it, PUBLISH for the download on the manage page.

Where the appointment happens follows its mode: in person, LOCATION is the office's address;
by phone there is no place (the description says the office calls, and at which number); by
video, LOCATION and URL are the office's video link, which calendars offer to open.

One UID per appointment; SEQUENCE is the appointment's own counter, which every rebooking and
the cancellation raise, so a calendar that already holds the entry updates it in place.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from terminvergabe.notify import links
from terminvergabe.notify.format import service_line, when_text
from terminvergabe.notify.payload import parse_time
from terminvergabe.time import is_repeated_wall_time

PRODID = "-//terminvergabe//Terminvergabe Buergerbuero//DE"
ALARM_BEFORE = dt.timedelta(hours=1)


def request(payload: dict) -> bytes:
    return _calendar(payload, "REQUEST")


def cancel(payload: dict) -> bytes:
    return _calendar(payload, "CANCEL")


def publish(payload: dict) -> bytes:
    return _calendar(payload, "PUBLISH")


def _calendar(payload: dict, method: str) -> bytes:
    with force_locale(payload["locale"]):
        calendar = icalendar.Calendar()
        calendar.add("prodid", PRODID)
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", method)
        calendar.add_component(_timezone(payload))
        calendar.add_component(_event(payload, method))
        return calendar.to_ical()


def _timezone(payload: dict) -> icalendar.Timezone:
    """The office's zone, with its transitions for a year either side of the appointment
    only: enough for any client, and a few lines instead of every change since 1970."""
    start = parse_time(payload["start_at"]).date()
    return icalendar.Timezone.from_tzid(
        payload["office"]["time_zone"],
        first_date=start - dt.timedelta(days=366),
        last_date=start + dt.timedelta(days=366),
    )


def _event(payload: dict, method: str) -> icalendar.Event:
    zone = ZoneInfo(payload["office"]["time_zone"])
    event = icalendar.Event()
    event.add("uid", payload["uid"])
    event.add("dtstamp", parse_time(payload["created_at"]))
    event.add("sequence", payload["sequence"])
    event.add("dtstart", _instant(parse_time(payload["start_at"]), zone))
    event.add("dtend", _instant(parse_time(payload["end_at"]), zone))
    event.add("summary", summary(payload))
    place = location(payload)
    if place:
        event.add("location", place)
    event.add("description", description(payload))
    manage_url = links.manage_url(payload["manage_token"], payload["locale"])
    event.add("url", video_url(payload) or manage_url)  # by video, the link to join
    event.add("transp", "OPAQUE")
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("organizer", _organizer(payload))
    if method != "PUBLISH":  # RFC 5546: a published event names no attendees
        event.add("attendee", _attendee(payload))
    if method != "CANCEL":  # RFC 5546: no alarm in a cancellation
        event.add_component(_alarm(payload))
    return event


def _instant(value: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The office's wall time with its TZID, except in the hour the clocks go back: there a
    local time names two instants (RFC 5545 takes the first), so it is written in UTC."""
    if is_repeated_wall_time(value, zone):
        return value.astimezone(dt.UTC)
    return value.astimezone(zone)


def mode(payload: dict) -> str:
    return payload.get("mode") or "in_person"  # mails queued before modes existed


def video_url(payload: dict) -> str:
    return (payload.get("video_url") or "") if mode(payload) == "video" else ""


def summary(payload: dict) -> str:
    office = payload["office"]["name"]
    if mode(payload) == "phone":
        return _("Phone appointment with %(office)s", office=office)
    if mode(payload) == "video":
        return _("Video appointment with %(office)s", office=office)
    return _("Appointment at %(office)s", office=office)


def how_text(payload: dict) -> str:
    """How a phone or video appointment takes place, in one sentence ("" in person)."""
    if mode(payload) == "phone":
        return _("The office will call you at %(number)s.", number=payload["citizen"]["phone"])
    if mode(payload) == "video":
        if video_url(payload):
            return _("Video call: %(link)s", link=video_url(payload))
        return _("The office will send you the link to the video call before the appointment.")
    return ""


def location(payload: dict) -> str:
    """The office's address in person, the video link by video, nothing by phone."""
    if mode(payload) == "phone":
        return ""
    if mode(payload) == "video":
        return video_url(payload)
    office = payload["office"]
    city = f"{office['postcode']} {office['city']}".strip()
    return ", ".join(part for part in (office["name"], office["street"], city) if part)


def description(payload: dict) -> str:
    how = how_text(payload)
    lines = [how, ""] if how else []
    lines += [_("Services:")]
    lines += [f"- {service_line(item)}" for item in payload["items"]]
    bring = [item for item in payload["items"] if item["what_to_bring"]]
    if bring:
        lines += ["", _("Please bring:")]
        lines += [f"- {item['service']}: {item['what_to_bring']}" for item in bring]
    lines += [
        "",
        _("Booking code: %(code)s", code=links.display_code(payload["booking_code"])),
        _("When: %(when)s", when=when_text(payload)),
        "",
        _("View, change or cancel your appointment:"),
        links.manage_url(payload["manage_token"], payload["locale"]),
    ]
    return "\n".join(lines)


def _organizer(payload: dict) -> icalendar.vCalAddress:
    email = payload["office"]["email"] or current_app.config["MAIL_DEFAULT_SENDER"]
    organizer = icalendar.vCalAddress(f"mailto:{email}")
    organizer.params["cn"] = icalendar.vText(payload["office"]["name"])
    return organizer


def _attendee(payload: dict) -> icalendar.vCalAddress:
    citizen = payload["citizen"]
    attendee = icalendar.vCalAddress(f"mailto:{citizen['email']}")
    if citizen["name"]:
        attendee.params["cn"] = icalendar.vText(citizen["name"])
    attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
    # The citizen booked the time themselves: nothing to accept, no reply to send.
    attendee.params["partstat"] = icalendar.vText("ACCEPTED")
    attendee.params["rsvp"] = icalendar.vText("FALSE")
    return attendee


def _alarm(payload: dict) -> icalendar.Alarm:
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary(payload))
    alarm.add("trigger", -ALARM_BEFORE)
    return alarm
