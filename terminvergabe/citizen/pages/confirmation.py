"""Details and confirmation: the citizen's name and address, and how the appointment takes
place (in person, by phone, by video) where the office offers a choice, turn a hold into a
booking; the link in the first mail confirms a booking that waits for email opt-in."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from terminvergabe.booking import availability, operations
from terminvergabe.booking.models import Appointment, AppointmentStatus, Mode
from terminvergabe.citizen.forms import DetailsForm
from terminvergabe.citizen.pages.blueprint import (
    appointment_or_404,
    bp,
    expired_page,
    lapsed_page,
    live_appointment,
)
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.fairness import limits
from terminvergabe.time import now


@bp.route("/a/<token>/details", methods=["GET", "POST"])
@limits.confirm_limit
@live_appointment
def details(token: str, appointment: Appointment):
    if appointment.status != AppointmentStatus.HELD:
        return redirect(url_for(".manage", token=token), code=303)
    try:
        modes = availability.appointment_modes(appointment)
    except DomainError as error:  # the office changed its offers since the hold
        return _details_page(appointment, DetailsForm(), [], refusal=error.message), error.status
    form = _details_form(modes)
    if form.validate_on_submit():
        try:
            operations.confirm(
                appointment,
                form.name.data,
                form.email.data,
                form.phone.data or "",
                now(),
                mode=form.mode.data,
            )
        except DomainError as error:
            db.session.rollback()
            if error.code == "hold_expired":
                return lapsed_page(appointment_or_404(token)) or expired_page(appointment.office)
            if error.code == "phone_required":  # the message belongs to the phone field
                form.phone.errors = [error.message]
                return _details_page(appointment, form, modes), error.status
            return _details_page(appointment, form, modes, refusal=error.message), error.status
        db.session.commit()
        return redirect(url_for(".manage", token=token), code=303)
    status = 422 if form.errors else 200
    return _details_page(appointment, form, modes), status


def _details_form(modes: list[Mode]) -> DetailsForm:
    form = DetailsForm()
    form.mode.choices = [(m.value, m.value) for m in modes]
    if Mode.PHONE in modes:  # by phone, the office needs the number
        form.phone.label.text = _("Phone number")
    return form


def _details_page(appointment, form, modes, refusal: str | None = None):
    return render_template(
        "booking/details.html",
        appointment=appointment,
        office=appointment.office,
        form=form,
        modes=[m.value for m in modes],
        refusal=refusal,
    )


@bp.route("/a/<token>/confirm-email", methods=["GET", "POST"], endpoint="opt_in")
@live_appointment
def opt_in(token: str, appointment: Appointment):
    if request.method == "POST":
        was_confirmed = appointment.status == AppointmentStatus.CONFIRMED
        operations.opt_in(appointment, now())
        db.session.commit()
        if not was_confirmed:
            flash(_("Thank you. Your email address is confirmed and your appointment is booked."))
        return redirect(url_for(".manage", token=token), code=303)
    return render_template(
        "booking/opt_in.html", appointment=appointment, office=appointment.office
    )
