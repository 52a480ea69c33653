"""A citizen's hold, made fair: the proof-of-work (or, without it, a stricter rate limit) and
the cap on open holds per client. The page and the API call `hold_for_client(...)` instead of
`operations.hold(...)`: it checks before the hold, makes it, and counts the client's open holds
again, under a lock, when it records who made it. Holds the system makes for a waitlist offer
call `operations.hold` directly and belong to nobody's browser.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import sqlalchemy as sa
from flask import current_app, request, session
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from sqlalchemy import event
from sqlalchemy.orm import Session

from terminvergabe.booking import availability, operations
from terminvergabe.booking.models import Appointment, AppointmentStatus, Office
from terminvergabe.db import db, lock_key
from terminvergabe.errors import DomainError
from terminvergabe.fairness import altcha, limits
from terminvergabe.fairness.models import FairnessSetting, HoldClient

DEFAULTS = {"FAIRNESS_MAX_OPEN_HOLDS": 3}


def _digest(value: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"client:{value}".encode(), hashlib.sha256).hexdigest()[:40]


def client_keys() -> tuple[str, str | None]:
    """(IP key, browser-session key or None): keyed hashes, never the address itself."""
    ip_key = _digest(f"ip:{get_remote_address()}")
    token = session.get("csrf_token") if session else None
    return ip_key, (_digest(f"session:{token}") if token else None)


_SETTINGS = "fairness_settings"


def setting(office: Office) -> FairnessSetting | None:
    """The office's row, or None where it has none. Read once per transaction: the session's
    identity map remembers rows that exist, not that one is missing, and a hold asks three
    times (proof-of-work, cap, the cap again when the hold is recorded)."""
    known = db.session.info.setdefault(_SETTINGS, {})
    if office.id not in known:
        known[office.id] = db.session.get(FairnessSetting, office.id)
    return known[office.id]


@event.listens_for(Session, "after_transaction_end")
def _forget_settings(session, transaction) -> None:
    if transaction.parent is None:  # the whole transaction, not a savepoint inside it
        session.info.pop(_SETTINGS, None)


def altcha_required(office: Office) -> bool:
    row = setting(office)
    if row is not None:
        return row.altcha_required
    return bool(current_app.config["ALTCHA_REQUIRED_DEFAULT"])


def max_open_holds(office: Office) -> int:
    row = setting(office)
    if row is not None and row.max_open_holds is not None:
        return row.max_open_holds
    return int(current_app.config["FAIRNESS_MAX_OPEN_HOLDS"])


def altcha_payload() -> str:
    value = request.form.get(altcha.FIELD)
    if value is None and request.is_json:
        body = request.get_json(silent=True)
        value = body.get(altcha.FIELD) if isinstance(body, dict) else None
    return value if isinstance(value, str) else ""


def open_holds(now: dt.datetime, ip_key: str, session_key: str | None) -> int:
    """Holds of this client that still block a time."""
    owner = HoldClient.ip_key == ip_key
    if session_key:
        owner = sa.or_(owner, HoldClient.session_key == session_key)
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(HoldClient)
        .join(Appointment, Appointment.id == HoldClient.appointment_id)
        .where(
            owner,
            Appointment.status == AppointmentStatus.HELD,
            Appointment.hold_expires_at > now,
        )
    )


def hold_for_client(
    office: Office,
    selection: availability.Selection,
    start_at: dt.datetime,
    now: dt.datetime,
    locale: str = "de",
) -> Appointment:
    """`operations.hold` for the client of this request, refused when a person would not make
    it (see guard_hold), and recorded as theirs."""
    guard_hold(office, now)
    appointment = operations.hold(office, selection, start_at, now, locale=locale)
    _record_client(appointment)
    return appointment


def guard_hold(office: Office, now: dt.datetime) -> None:
    """Refuse a hold that a person would not make: a bad proof-of-work, too many holds without
    one, or more open holds than the office allows one client. The last is counted again
    under a lock once the time is claimed (see _record_client); this first count refuses
    before any work is done."""
    if altcha_required(office):
        payload = altcha_payload()
        if payload:
            altcha.verify_and_spend(payload)
        else:
            limits.hit("FAIRNESS_LIMIT_HOLD_WITHOUT_POW", "hold-without-pow")
    _refuse_over_cap(max_open_holds(office), now, *client_keys())


def _refuse_over_cap(cap: int, now: dt.datetime, ip_key: str, session_key) -> None:
    if open_holds(now, ip_key, session_key) >= cap:
        raise DomainError(
            "too_many_holds",
            ngettext(
                "You are already reserving %(num)d time. Please finish or cancel that booking "
                "first, or wait a few minutes.",
                "You are already reserving %(num)d times. Please finish or cancel those "
                "bookings first, or wait a few minutes.",
                cap,
            ),
            status=429,
        )


def _record_client(appointment: Appointment) -> None:
    """Remember who made the hold, after counting that client's open holds once more.

    Two holds from one client at the same moment must count each other, hence the lock. It is
    taken only here, when the time is already claimed, and lasts until the commit that follows
    at once: taken before the hold, it would make everyone behind one address (a shared NAT,
    a proxy) wait for each other's whole availability check, one at a time."""
    ip_key, session_key = client_keys()
    lock_key(f"open-holds:{ip_key}")
    _refuse_over_cap(
        max_open_holds(appointment.office), appointment.created_at, ip_key, session_key
    )
    db.session.add(
        HoldClient(
            appointment_id=appointment.id,
            ip_key=ip_key,
            session_key=session_key,
            created_at=appointment.created_at,
        )
    )
    db.session.flush()


def forget_old_clients(now: dt.datetime, keep: dt.timedelta = dt.timedelta(days=1)) -> int:
    """Client keys are only needed while a hold is open; drop them a day later."""
    result = db.session.execute(sa.delete(HoldClient).where(HoldClient.created_at < now - keep))
    return result.rowcount or 0
