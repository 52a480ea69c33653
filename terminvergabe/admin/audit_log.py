"""The audit log as people read it: action names and a short line of facts per entry."""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup, escape

from terminvergabe import audit
from terminvergabe.i18n import office_text


def action_labels() -> dict[str, str]:
    """The actions the log knows, in the reader's language (the log stores the plain key)."""
    return {
        "check_in": _("Checked in"),
        "walk_in": _("Walk-in ticket issued"),
        "call": _("Called"),
        "recall": _("Called again"),
        "no_show": _("Did not appear"),
        "start": _("Service started"),
        "finish": _("Service finished"),
        "park": _("Parked"),
        "requeue": _("Back in the queue"),
        "transfer": _("Transferred"),
        "close": _("Closed at the end of the day"),
        "cancel": _("Cancelled by the office"),
        "rebook": _("Moved by the office"),
        "erase": _("Personal data erased"),
        "export": _("Personal data exported"),
        "anonymise": _("Old appointments anonymised"),
        "queue_settings": _("Queue rules changed"),
        "booking_rules": _("Booking rules changed"),
        "counter_create": _("Counter added"),
        "counter_change": _("Counter changed"),
        "service_create": _("Service added"),
        "service_change": _("Service changed"),
        "offer_create": _("Service offered"),
        "offer_change": _("Service of the office changed"),
        "office_create": _("Office created"),
        "office_change": _("Office changed"),
        "catalogue_create": _("Service added to the catalogue"),
        "catalogue_change": _("Catalogue service changed"),
        "membership_create": _("Staff member added to the office"),
        "membership_change": _("Roles in the office changed"),
        "membership_delete": _("Staff member left the office"),
        "admin_role": _("Administrator role changed"),
        "staff_create": _("Staff member added"),
        "staff_change": _("Staff member changed"),
        "shift_create": _("Weekly shift added"),
        "shift_change": _("Weekly shift changed"),
        "shift_delete": _("Weekly shift removed"),
        "exception_create": _("Shift exception added"),
        "exception_delete": _("Shift exception removed"),
        "hours_create": _("Opening hours added"),
        "hours_delete": _("Opening hours removed"),
        "closure_create": _("Closure added"),
        "closure_delete": _("Closure removed"),
        "device_create": _("Device added"),
        "device_rename": _("Device renamed"),
        "device_token": _("New device token"),
        "device_revoke": _("Device revoked"),
    }


def action_label(action: str) -> str:
    return action_labels().get(action, action)


def actor_label(entry: audit.AuditEntry) -> str:
    """Who acted: a staff member or device by name (as typed), or the system, or the CLI."""
    if entry.actor_name == audit.SYSTEM:
        return _("System")
    if entry.actor_name == audit.CLI:
        return _("Command line")
    return office_text(entry.actor_name)


def field_labels() -> dict[str, str]:
    """Names of the settings whose old and new values an entry holds."""
    return {
        "early_minutes": _("minutes early"),
        "late_minutes": _("minutes late"),
        "late_policy": _("when later"),
        "max_calls": _("calls"),
        "walk_in_every": _("walk-in after appointments"),
        "walk_in_max_wait_minutes": _("walk-in maximum wait"),
        "name": _("name"),
        "position": _("position"),
        "active": _("active"),
        "skills": _("services"),
        "login": _("login name"),
        "roles": _("roles"),
        "administrator": _("administrator"),
        "password": _("password"),
        "token": _("token"),
        "kind": _("kind"),
        "office": _("office"),
        "duration_minutes": _("duration"),
        "max_quantity": _("maximum quantity"),
        "public": _("public"),
        "leika_id": _("LeiKa key"),
        "weekday": _("weekday"),
        "start_local": _("from"),
        "end_local": _("until"),
        "staff_member": _("staff member"),
        "counter": _("counter"),
        "valid_from": _("valid from"),
        "valid_until": _("valid until"),
        "date": _("date"),
        "first_day": _("first day"),
        "last_day": _("last day"),
        "slot_minutes": _("slot length"),
        "horizon_days": _("days ahead"),
        "lead_minutes": _("lead time"),
        "release_time": _("release time"),
        "hold_minutes": _("hold"),
        "max_active_per_email": _("per email"),
        "cancel_deadline_minutes": _("cancellation deadline"),
        "cancel_cooldown_minutes": _("cooldown"),
        "double_opt_in": _("double opt-in"),
        "opt_in_minutes": _("minutes to confirm"),
        "description": _("description"),
        "what_to_bring": _("what to bring"),
        "ticket_prefix": _("ticket prefix"),
        "note": _("note"),
        "slug": _("short name"),
        "street": _("street"),
        "postcode": _("postcode"),
        "city": _("town"),
        "district": _("part of town"),
        "email": _("email address"),
        "phone": _("phone"),
        "time_zone": _("time zone"),
        "bundesland": _("federal state"),
        "directions": _("how to get there"),
        "step_free": _("step-free"),
        "accessibility_note": _("accessibility note"),
        "fee_cents": _("fee in cent"),
        "fee_note": _("fee note"),
        "synonyms": _("synonyms"),
        "translations": _("translations"),
        "modes": _("ways to hold it"),
        "video_url": _("video link"),
        "reason": _("reason"),
    }


def _value(value) -> Markup:
    """One old or new value: words for yes/no, the queue policies and a changed secret; text as
    the office typed it marked as German; numbers and times as stored."""
    words = {
        "walk_in": _("walk-in"),
        "refuse": _("refused"),
        audit.CHANGED: _("changed"),
        "admin": _("Administrator"),
        "office_manager": _("Office manager"),
        "front_desk": _("Front desk"),
        "clerk": _("Clerk"),
        "in_person": _("in person"),
        "phone": _("by phone"),
        "video": _("by video"),
    }
    if value is None or value == []:
        return Markup("—")
    if isinstance(value, bool):
        return escape(_("yes") if value else _("no"))
    if isinstance(value, list):
        return Markup(", ").join(_value(v) for v in value)
    if isinstance(value, str) and value in words:
        return escape(words[value])
    if isinstance(value, str) and not value[:1].isdigit():  # dates and times are ISO 8601
        return office_text(value)
    return escape(str(value))


def _facts(details: dict) -> list:
    """The facts of a staff action on a ticket or appointment (office names marked German)."""
    parts = []
    if details.get("ticket"):
        parts.append(_("Ticket %(number)s", number=details["ticket"]))
    if isinstance(details.get("counter"), str):
        parts.append(escape(_("at %(counter)s")) % {"counter": office_text(details["counter"])})
    if details.get("to_counter"):
        parts.append(escape(_("to %(counter)s")) % {"counter": office_text(details["to_counter"])})
    if details.get("calls"):
        parts.append(_("call %(count)d", count=details["calls"]))
    if details.get("late"):
        parts.append(_("late, as a walk-in"))
    if details.get("end_of_day"):
        parts.append(_("by the end-of-day job"))
    if details.get("subject"):
        parts.append(office_text(str(details["subject"])))
    if isinstance(details.get("reason"), str) and details["reason"]:
        parts.append(office_text(details["reason"]))
    return parts


def _changes(details: dict) -> list:
    """ "name: old → new" for every setting the entry holds ("name: changed" for a secret)."""
    names = field_labels()
    parts = []
    for name, value in sorted(details.items()):
        if name not in names:
            continue
        if value == audit.CHANGED:
            parts.append(escape(f"{names[name]}: ") + _value(value))
        elif isinstance(value, list) and len(value) == 2:
            old, new = (_roles(v) if name in ("roles", "modes") else v for v in value)
            parts.append(escape(f"{names[name]}: ") + _value(old) + " → " + _value(new))
    return parts


def _roles(value):
    """Roles (and ways to hold an appointment) are stored as "clerk,front_desk"; shown as a
    list of their names."""
    return [r for r in value.split(",") if r] if isinstance(value, str) else value


def describe(entry: audit.AuditEntry) -> Markup:
    """The facts of an entry as a short line."""
    details = entry.details or {}
    return Markup(" · ").join(_facts(details) + _changes(details))
