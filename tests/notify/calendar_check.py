"""Independent readers for the .ics files the app produces (shared/testing.md)."""

import subprocess
import textwrap

import icalendar
import ics
import vobject

LIBICAL_SCRIPT = textwrap.dedent(
    """
    import sys
    import gi
    gi.require_version("ICalGLib", "3.0")
    from gi.repository import ICalGLib
    component = ICalGLib.Component.new_from_string(sys.stdin.read())
    passed = ICalGLib.restriction_check(component)
    text = component.as_ical_string()
    errors = [line for line in text.splitlines() if "X-LIC-ERROR" in line]
    print("OK" if passed and not errors else "FAIL " + " | ".join(errors))
    """
)


def libical_check(text: str) -> str:
    """libical's RFC 5546 restriction check, in Debian's system Python (gir1.2-ical-3.0)."""
    result = subprocess.run(  # noqa: S603
        ["/usr/bin/python3", "-c", LIBICAL_SCRIPT],
        input=text,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.strip()


def check_all_readers(data: bytes) -> icalendar.Calendar:
    text = data.decode("utf-8")
    calendar = icalendar.Calendar.from_ical(text)
    vobject.readOne(text).validate()
    assert len(ics.Calendar(text).events) == 1
    assert libical_check(text) == "OK"
    return calendar
