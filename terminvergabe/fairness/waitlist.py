"""The waitlist: register (double opt-in), confirm, leave, and end when the date range is over.
What a registered citizen is offered, and the claim of an offer, are offers.py's.
Every function takes `now`, flushes and never commits.
"""

from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from terminvergabe import fields
from terminvergabe.booking import availability, municipalities
from terminvergabe.booking.models import Office
from terminvergabe.db import db, find_by_secret, lock_key
from terminvergabe.errors import DomainError
from terminvergabe.fairness import mail, offers
from terminvergabe.fairness.models import EntryStatus, WaitlistEntry
from terminvergabe.params import format_selection, parse_selection
from terminvergabe.time import local_date

DEFAULTS = {
    "WAITLIST_OFFER_MINUTES": 120,
    "WAITLIST_OPT_IN_HOURS": 48,
    "WAITLIST_MAX_ENTRIES_PER_EMAIL": 3,
    "WAITLIST_MAX_DAYS_AHEAD": 120,
}

LIVE = (EntryStatus.PENDING, EntryStatus.ACTIVE)


def find_entry(token: str) -> WaitlistEntry | None:
    entry = find_by_secret(WaitlistEntry.token, token)
    if entry is None or not municipalities.shown_here(entry.office.municipality_id):
        return None
    return entry


def _refuse(code: str, message: str) -> DomainError:
    return DomainError(code, message, status=422)


def _check_range(office: Office, first_day: dt.date, last_day: dt.date, now: dt.datetime):
    today = local_date(now, office.zone)
    # Later than the horizon is allowed: days released later are offered too.
    horizon_end = today + dt.timedelta(
        days=max(office.horizon_days, current_app.config["WAITLIST_MAX_DAYS_AHEAD"])
    )
    if first_day < today or last_day < first_day:
        raise _refuse(
            "waitlist_dates",
            _("Please choose a date range that starts today or later and ends after it starts."),
        )
    if last_day > horizon_end:
        raise _refuse(
            "waitlist_dates",
            _(
                "The waitlist reaches up to %(day)s. Please choose an earlier end.",
                day=horizon_end.isoformat(),
            ),
        )


def _normalise_email(email: str) -> str:
    try:
        return fields.EMAIL.clean(email)
    except fields.FieldError as error:
        raise _refuse("email", error.message) from None


def register(
    office: Office,
    selection: dict[int, int],
    first_day: dt.date,
    last_day: dt.date,
    name: str,
    email: str,
    locale: str,
    now: dt.datetime,
) -> WaitlistEntry:
    """Put a citizen on the waitlist, pending their click in the confirmation mail."""
    availability.validate_selection(office, selection)
    _check_range(office, first_day, last_day, now)
    email = _normalise_email(email)
    lock_key(f"waitlist-email:{office.id}:{email}")
    live = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(WaitlistEntry)
        .where(
            WaitlistEntry.office_id == office.id,
            WaitlistEntry.citizen_email == email,
            WaitlistEntry.status.in_(LIVE),
        )
    )
    if live >= current_app.config["WAITLIST_MAX_ENTRIES_PER_EMAIL"]:
        raise DomainError(
            "waitlist_cap",
            _("This email address is already on the waitlist of this office several times."),
            status=409,
        )
    entry = WaitlistEntry(
        office=office,
        selection=format_selection(selection),
        first_day=first_day,
        last_day=last_day,
        citizen_name=name.strip()[:200],
        citizen_email=email,
        locale=locale,
        status=EntryStatus.PENDING,
        token=secrets.token_urlsafe(24),
        created_at=now,
        opt_in_expires_at=now + dt.timedelta(hours=current_app.config["WAITLIST_OPT_IN_HOURS"]),
    )
    db.session.add(entry)
    db.session.flush()
    mail.send(
        "confirm",
        email,
        locale,
        offers.link("waitlist.confirm", entry.token),
        entry=entry,
        office=office,
        leave_link=offers.link("waitlist.leave", entry.token),
    )
    return entry


def confirm_entry(entry: WaitlistEntry, now: dt.datetime) -> WaitlistEntry:
    """The opt-in click: the entry joins the queue now, and is offered a free time at once if
    there is one."""
    if entry.status == EntryStatus.ACTIVE:
        return entry
    if entry.status != EntryStatus.PENDING or (
        entry.opt_in_expires_at is not None and entry.opt_in_expires_at <= now
    ):
        raise DomainError(
            "waitlist_link_expired",
            _("This link is no longer valid. Please put yourself on the waitlist again."),
            status=410,
        )
    entry.status = EntryStatus.ACTIVE
    entry.confirmed_at = now
    db.session.flush()
    offers.offer_free_times(now, office=entry.office)
    return entry


def leave(entry: WaitlistEntry, now: dt.datetime) -> WaitlistEntry:
    """Leave the waitlist; an open offer is withdrawn and its time goes to the next citizen."""
    if entry.status not in LIVE:
        return entry
    entry.status = EntryStatus.LEFT
    entry.ended_at = now
    db.session.flush()
    offers.withdraw(entry, now)
    return entry


def expire_entries(now: dt.datetime) -> int:
    """Entries whose date range is over, and registrations never confirmed, end."""
    count = 0
    entries = db.session.scalars(
        sa.select(WaitlistEntry).where(WaitlistEntry.status.in_(LIVE))
    ).all()
    for entry in entries:
        over = entry.last_day < local_date(now, entry.office.zone)
        unconfirmed = (
            entry.status == EntryStatus.PENDING
            and entry.opt_in_expires_at is not None
            and entry.opt_in_expires_at <= now
        )
        if over or unconfirmed:
            entry.status = EntryStatus.EXPIRED
            entry.ended_at = now
            offers.withdraw(entry, now)
            count += 1
    db.session.flush()
    return count


def entry_selection_names(entry: WaitlistEntry) -> list[tuple[str, int]]:
    selection = parse_selection(entry.selection)
    names = {o.service_id: o.name for o in entry.office.offers}
    return [(names.get(sid, "?"), qty) for sid, qty in sorted(selection.items())]
