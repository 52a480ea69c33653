"""The calendar feed itself (`/feeds/<token>.ics`, no login: the token is the key) and the
staff member's page to get, renew or revoke their own feed and, as a manager, their counters'.
A new URL is shown once, on the answer to the POST that made it (never in a flashed message,
which would keep it in the session cookie)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from terminvergabe.auth.access import (
    MANAGERS,
    current_staff,
    may_access_office,
    offices_of,
    role_required,
)
from terminvergabe.booking.models import Counter, Role
from terminvergabe.booking.municipalities import shown_here
from terminvergabe.db import db
from terminvergabe.integrations import feeds, operations
from terminvergabe.time import now

bp = Blueprint("integrations", __name__)

STAFF_ROLES = (Role.FRONT_DESK, Role.CLERK, *MANAGERS)


@bp.route("/feeds/<token>.ics")
def feed(token: str):
    found = operations.find_feed(token)
    if found is None or not shown_here(_municipality_id(found)):
        abort(404)
    when = now()
    body = feeds.calendar(
        feeds.feed_name(found), feeds.feed_appointments(found, when), when, str(get_locale())
    )
    found.last_used_at = when
    db.session.commit()
    return (
        body,
        200,
        {
            "Content-Type": "text/calendar; charset=utf-8",
            "Cache-Control": "private, no-store",
            "X-Robots-Tag": "noindex",
        },
    )


def _municipality_id(feed) -> int | None:
    if feed.counter is not None:
        return feed.counter.office.municipality_id
    return feed.staff_member.municipality_id


def _managed_counters(staff) -> list[Counter]:
    """Counters whose feed the staff member may hand out: in offices they manage."""
    return [
        counter
        for office in offices_of(staff)
        if may_access_office(staff, office, frozenset(MANAGERS))
        for counter in office.counters
    ]


def _counter_or_404(staff, counter_id: int | None) -> Counter:
    counter = db.session.get(Counter, counter_id) if counter_id else None
    if counter is None or counter not in _managed_counters(staff):
        abort(404)
    return counter


def _page(new_url: str | None = None, new_for: str = "", status: int = 200):
    staff = current_staff()
    counters = _managed_counters(staff)
    return render_template(
        "integrations/calendar.html",
        own=operations.active_feed(staff=staff),
        counters=[(c, operations.active_feed(counter=c)) for c in counters],
        new_url=new_url,
        new_for=new_for,
    ), status


@bp.route("/staff/calendar")
@role_required(*STAFF_ROLES)
def staff_calendar():
    return _page()


@bp.route("/staff/calendar", methods=["POST"])
@role_required(*STAFF_ROLES)
def staff_calendar_change():
    staff = current_staff()
    action = request.form.get("action")
    counter_id = request.form.get("counter", type=int)
    counter = _counter_or_404(staff, counter_id) if counter_id else None
    owner = {"counter": counter} if counter is not None else {"staff": staff}
    when = now()
    if action == "create":
        token = operations.create_feed(staff, when, **owner)
        db.session.commit()
        url = url_for("integrations.feed", token=token, _external=True)
        return _page(url, counter.name if counter is not None else "")
    if action == "revoke":
        operations.revoke_feed(staff, when, **owner)
        db.session.commit()
        flash(_("The calendar subscription was revoked; its address no longer works."))
        return redirect(url_for("integrations.staff_calendar"))
    abort(400)
