"""The free days of the days page, as month grids in the reader's locale."""

from __future__ import annotations

import calendar
import datetime as dt

from flask_babel import format_date, get_locale


def months(free_days: list[dt.date]) -> list[dict]:
    """Month grids (weeks of dates, None outside the month) from the first to the last free day,
    each day marked free or not, weeks starting on the locale's first weekday."""
    if not free_days:
        return []
    free = set(free_days)
    locale = get_locale()
    first_weekday = locale.first_week_day if locale else 0
    cal = calendar.Calendar(firstweekday=first_weekday)
    weekdays = [(first_weekday + i) % 7 for i in range(7)]
    months = []
    year, month = free_days[0].year, free_days[0].month
    last = (free_days[-1].year, free_days[-1].month)
    while (year, month) <= last:
        weeks = [
            [(d, d in free) if d.month == month else None for d in week]
            for week in cal.monthdatescalendar(year, month)
        ]
        months.append(
            {
                "title": format_date(dt.date(year, month, 1), "LLLL yyyy"),
                "weeks": weeks,
                "weekdays": _weekday_names(locale, weekdays),
                "free_count": sum(1 for d in free if (d.year, d.month) == (year, month)),
            }
        )
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _weekday_names(locale, weekdays: list[int]) -> list[tuple[str, str]]:
    """(short, full) weekday names for the calendar header. Where the locale's abbreviations
    are long (Arabic has none), the narrow forms keep seven columns readable at 320 px."""
    if locale is None:
        return [(str(w), str(w)) for w in weekdays]
    names = locale.days["stand-alone"]
    short = names["abbreviated"]
    if max(len(short[w]) for w in weekdays) > 4:
        short = names["narrow"]
    return [(short[w], names["wide"][w]) for w in weekdays]
