"""The manage pages of an appointment: its page, cancel, and rebook to another day and time."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from terminvergabe import params
from terminvergabe.booking import availability, operations
from terminvergabe.booking.models import Appointment, AppointmentStatus
from terminvergabe.citizen.pages.blueprint import (
    appointment_or_404,
    bp,
    chosen_services,
    live_appointment,
    taken_page,
)
from terminvergabe.citizen.pages.month_grid import months
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.fairness import limits
from terminvergabe.time import now


@bp.get("/a/<token>")
@live_appointment
def manage(token: str, appointment: Appointment):
    if appointment.status == AppointmentStatus.HELD:
        return redirect(url_for(".details", token=token), code=303)
    moment = now()
    return render_template(
        "booking/manage.html",
        appointment=appointment,
        office=appointment.office,
        manage_url=current_app.config["BASE_URL"].rstrip("/") + url_for(".manage", token=token),
        can_cancel=appointment.can_cancel(moment),
        can_rebook=appointment.can_rebook(moment),
        video_url=availability.video_url(appointment),
    )


@bp.route("/a/<token>/cancel", methods=["GET", "POST"])
@live_appointment
def cancel(token: str, appointment: Appointment):
    if request.method == "POST":
        operations.cancel(appointment, now())
        db.session.commit()
        flash(_("Your appointment has been cancelled."))
        return redirect(url_for(".manage", token=token), code=303)
    if not appointment.can_cancel(now()):
        return redirect(url_for(".manage", token=token), code=303)
    return render_template(
        "booking/cancel.html", appointment=appointment, office=appointment.office
    )


def _rebookable(token: str) -> Appointment | None:
    appointment = appointment_or_404(token)
    return appointment if appointment.can_rebook(now()) else None


@bp.get("/a/<token>/rebook")
@limits.search_limit
def rebook_days(token: str):
    appointment = _rebookable(token)
    if appointment is None:
        return redirect(url_for(".manage", token=token), code=303)
    office = appointment.office
    free_days = availability.available_days(
        office, appointment.selection, now(), exclude_appointment_id=appointment.id
    )
    return render_template(
        "booking/days.html",
        office=office,
        chosen=chosen_services(office, appointment.selection),
        months=months(free_days),
        day_url=lambda day: url_for(".rebook_day", token=token, date=day.isoformat()),
        back_url=url_for(".manage", token=token),
        rebooking=appointment,
    )


@bp.get("/a/<token>/rebook/<date>")
@limits.search_limit
def rebook_day(token: str, date: str):
    appointment = _rebookable(token)
    if appointment is None:
        return redirect(url_for(".manage", token=token), code=303)
    office = appointment.office
    chosen_day = params.parse_date(date)
    starts = sorted(
        availability.available_starts(
            office, appointment.selection, chosen_day, now(), exclude_appointment_id=appointment.id
        )
    )
    return render_template(
        "booking/day.html",
        office=office,
        chosen=chosen_services(office, appointment.selection),
        day=chosen_day,
        starts=[s for s in starts if s != appointment.start_at],
        action=url_for(".rebook", token=token),
        hidden={},
        back_url=url_for(".rebook_days", token=token),
        rebooking=appointment,
    )


@bp.post("/a/<token>/rebook")
def rebook(token: str):
    appointment = appointment_or_404(token)
    start_at = params.parse_start(request.form.get("start"))
    try:
        operations.rebook(appointment, start_at, now())
    except DomainError as error:
        if error.code != "slot_taken":
            raise
        db.session.rollback()
        appointment = appointment_or_404(token)
        return taken_page(
            appointment.office,
            error,
            chosen=chosen_services(appointment.office, appointment.selection),
            action=url_for(".rebook", token=token),
            hidden={},
            back_url=url_for(".rebook_days", token=token),
        )
    db.session.commit()
    flash(_("Your appointment has been moved to the new time."))
    return redirect(url_for(".manage", token=token), code=303)
