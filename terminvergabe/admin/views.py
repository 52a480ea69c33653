"""Admin pages: parse -> operation -> render, one commit per request.

Office managers manage their own office, administrators every office. A change that could take
capacity from booked appointments goes through `_save_safely`: the manager first sees the
appointments it would leave without a counter and decides, per appointment, to move or cancel.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import escape

from terminvergabe.admin import audit, calendar, capacity, charts, forms, privacy, stats
from terminvergabe.admin.operations import CANCEL, Resolution, apply_change, cancel_by_office
from terminvergabe.auth import operations as auth_operations
from terminvergabe.auth.access import current_staff, ensure_office, is_admin, role_required
from terminvergabe.booking.models import (
    Appointment,
    Closure,
    Counter,
    Office,
    OpeningHours,
    Role,
    Service,
    ShiftException,
    ShiftPattern,
    StaffMember,
)
from terminvergabe.counter.models import QueueSettings
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.i18n import office_text
from terminvergabe.params import parse_date
from terminvergabe.time import local_date, local_midnight, now

bp = Blueprint("admin", __name__, url_prefix="/admin")

manager_required = role_required(Role.ADMIN, Role.OFFICE_MANAGER)


def _office(office_id: int) -> Office:
    ensure_office(office_id)
    office = db.session.get(Office, office_id)
    if office is None:
        abort(404)
    return office


def _owned(model, object_id: int, office: Office):
    """A row of `model` that belongs to `office`, else 404 (never another office's row)."""
    row = db.session.get(model, object_id)
    owner = getattr(row, "office_id", None)
    if row is not None and owner is None and hasattr(row, "staff_member"):
        owner = row.staff_member.office_id
    if row is None or owner != office.id:
        abort(404)
    return row


def _services(office: Office) -> list[Service]:
    return db.session.scalars(
        sa.select(Service).where(Service.office_id == office.id).order_by(Service.position)
    ).all()


def _counters(office: Office) -> list[Counter]:
    return db.session.scalars(
        sa.select(Counter).where(Counter.office_id == office.id).order_by(Counter.position)
    ).all()


def _staff(office: Office) -> list[StaffMember]:
    return db.session.scalars(
        sa.select(StaffMember).where(StaffMember.office_id == office.id).order_by(StaffMember.name)
    ).all()


def _done(message: str, endpoint: str, office: Office):
    db.session.commit()
    flash(message)
    return redirect(url_for(endpoint, office_id=office.id))


def _form_page(template: str, office: Office, form, **context):
    """A page with a form; 422 when a submitted form had errors (shown beside the fields)."""
    page = render_template(template, office=office, form=form, **context)
    return page, (422 if form.errors else 200)


def _edit_page(office: Office, form, title: str, back_endpoint: str):
    back = url_for(back_endpoint, office_id=office.id)
    return _form_page("admin/edit.html", office, form, title=title, back=back)


# -- safe changes ----------------------------------------------------------------------------


def _resolutions() -> dict[int, Resolution]:
    """From the confirmation page: resolve-<appointment id> = "cancel" or an ISO start time."""
    chosen = {}
    for key, value in request.form.items():
        if not key.startswith("resolve-"):
            continue
        try:
            appointment_id = int(key.removeprefix("resolve-"))
        except ValueError:
            continue
        if value == CANCEL:
            chosen[appointment_id] = Resolution(CANCEL)
        else:
            try:
                start = dt.datetime.fromisoformat(value).astimezone(dt.UTC)
            except ValueError:
                continue
            chosen[appointment_id] = Resolution("move", start)
    return chosen


def _save_safely(office: Office, change, message: str, endpoint: str, reason: str = ""):
    """Save `change` when it breaks no booking; else show the affected appointments first."""
    when = now()
    if request.form.get("confirm_change") == "1":
        try:
            apply_change(office, change, _resolutions(), current_staff(), when, reason)
        except DomainError as error:
            # A decision is missing, or a chosen time was taken meanwhile: nothing is saved;
            # show the affected appointments again with the reason.
            db.session.rollback()
            flash(error.message)
        else:
            return _done(message, endpoint, office)
    found = capacity.impact(office, change, when)
    if found.safe:
        change()
        return _done(message, endpoint, office)
    replay = [
        (key, value)
        for key, value in request.form.items(multi=True)
        if key not in ("csrf_token", "confirm_change") and not key.startswith("resolve-")
    ]
    return render_template(
        "admin/confirm_change.html",
        office=office,
        impact=found,
        replay=replay,
        action=request.path,
    ), 409


# -- overview --------------------------------------------------------------------------------


@bp.route("/")
@manager_required
def index():
    staff = current_staff()
    if not is_admin(staff):
        return redirect(url_for("admin.office", office_id=staff.office_id))
    offices = db.session.scalars(sa.select(Office).order_by(Office.name)).all()
    return render_template("admin/index.html", offices=offices)


@bp.route("/<int:office_id>/")
@manager_required
def office(office_id):
    office = _office(office_id)
    when = now()
    return render_template(
        "admin/office.html",
        office=office,
        unstaffed=capacity.affected_appointments(office, when),
        entries=audit.entries(office.id, limit=20),
    )


# -- counters --------------------------------------------------------------------------------


def _counter_form(office, counter=None):
    form = forms.CounterForm(obj=counter)
    form.skills.choices = forms.office_choices((s.id, s.name) for s in _services(office))
    if counter is not None and not form.is_submitted():
        form.skills.data = [s.id for s in counter.skills]
    return form


def _apply_counter(counter: Counter, form, office: Office):
    def change():
        counter.name = form.name.data.strip()
        counter.position = form.position.data
        counter.active = form.active.data
        wanted = set(form.skills.data or [])
        counter.skills = [s for s in _services(office) if s.id in wanted]
        db.session.add(counter)

    return change


@bp.route("/<int:office_id>/counters", methods=["GET", "POST"])
@manager_required
def counters(office_id):
    office = _office(office_id)
    form = _counter_form(office)
    if form.validate_on_submit():
        counter = Counter(office=office)
        _apply_counter(counter, form, office)()
        return _done(_("The counter was added."), "admin.counters", office)
    return _form_page("admin/counters.html", office, form, counters=_counters(office))


@bp.route("/<int:office_id>/counters/<int:counter_id>", methods=["GET", "POST"])
@manager_required
def counter(office_id, counter_id):
    office = _office(office_id)
    counter = _owned(Counter, counter_id, office)
    form = _counter_form(office, counter)
    if form.validate_on_submit():
        return _save_safely(
            office,
            _apply_counter(counter, form, office),
            _("The counter was saved."),
            "admin.counters",
        )
    # the name as the office typed it, marked as German inside the translated title
    title = escape(_("Counter %(name)s")) % {"name": office_text(counter.name)}
    return _edit_page(office, form, title, "admin.counters")


# -- services --------------------------------------------------------------------------------


def _fill_service(service: Service, form) -> None:
    form.populate_obj(service)
    service.name = service.name.strip()
    service.leika_id = form.leika_id.data or None


@bp.route("/<int:office_id>/services", methods=["GET", "POST"])
@manager_required
def services(office_id):
    office = _office(office_id)
    form = forms.ServiceForm()
    if form.validate_on_submit():
        service = Service(office=office)
        _fill_service(service, form)
        db.session.add(service)
        return _done(_("The service was added."), "admin.services", office)
    return _form_page("admin/services.html", office, form, services=_services(office))


@bp.route("/<int:office_id>/services/<int:service_id>", methods=["GET", "POST"])
@manager_required
def service(office_id, service_id):
    office = _office(office_id)
    service = _owned(Service, service_id, office)
    form = forms.ServiceForm(obj=service)
    if form.validate_on_submit():
        # Existing appointments keep their times; a new duration applies to new bookings.
        _fill_service(service, form)
        return _done(_("The service was saved."), "admin.services", office)
    title = escape(_("Service %(name)s")) % {"name": office_text(service.name)}
    return _edit_page(office, form, title, "admin.services")


# -- staff -----------------------------------------------------------------------------------


def _staff_form(office, member=None):
    form = forms.StaffForm(obj=member)
    form.set_role_choices(may_grant_admin=is_admin(current_staff()))
    form.skills.choices = forms.office_choices((s.id, s.name) for s in _services(office))
    if member is not None and not form.is_submitted():
        form.skills.data = [s.id for s in member.skills]
        form.roles.data = [r.value for r in member.role_set]
        form.password.data = ""
    return form


def _login_taken(form, member) -> bool:
    login = auth_operations.normalize_login(form.login.data or "")
    if not login:
        return False
    other = db.session.scalar(sa.select(StaffMember).where(StaffMember.login == login))
    if other is not None and other is not member:
        form.login.errors.append(_("This login name is already taken."))
        return True
    return False


def _apply_staff(member: StaffMember, form, office: Office):
    def change():
        member.name = form.name.data.strip()
        member.login = auth_operations.normalize_login(form.login.data or "") or None
        member.roles = ",".join(sorted(form.roles.data or []))
        member.active = form.active.data
        wanted = set(form.skills.data or [])
        member.skills = [s for s in _services(office) if s.id in wanted]
        if form.password.data:
            auth_operations.set_password(member, form.password.data)
        db.session.add(member)

    return change


@bp.route("/<int:office_id>/staff", methods=["GET", "POST"])
@manager_required
def staff_members(office_id):
    office = _office(office_id)
    form = _staff_form(office)
    if form.validate_on_submit() and not _login_taken(form, None):
        member = StaffMember(office=office)
        _apply_staff(member, form, office)()
        return _done(_("The staff member was added."), "admin.staff_members", office)
    return _form_page("admin/staff.html", office, form, members=_staff(office))


@bp.route("/<int:office_id>/staff/<int:member_id>", methods=["GET", "POST"])
@manager_required
def staff_member(office_id, member_id):
    office = _office(office_id)
    member = _owned(StaffMember, member_id, office)
    form = _staff_form(office, member)
    if form.validate_on_submit() and not _login_taken(form, member):
        return _save_safely(
            office,
            _apply_staff(member, form, office),
            _("The staff member was saved."),
            "admin.staff_members",
        )
    return _edit_page(
        office, form, _("Staff member %(name)s", name=member.name), "admin.staff_members"
    )


# -- shifts ----------------------------------------------------------------------------------


def _shift_forms(office):
    staff_choices = forms.choices((m.id, m.name) for m in _staff(office))
    counter_choices = forms.office_choices(
        ((c.id, c.name) for c in _counters(office)), options=True
    )
    pattern = forms.ShiftPatternForm(prefix="pattern")
    exception = forms.ShiftExceptionForm(prefix="exception")
    for form in (pattern, exception):
        form.staff_member_id.choices = staff_choices
    pattern.counter_id.choices = counter_choices
    exception.counter_id.choices = [*forms.choices([(0, "—")]), *counter_choices]
    return pattern, exception


def _shift_page(office, pattern, exception, status=200):
    patterns = db.session.scalars(
        sa.select(ShiftPattern)
        .join(StaffMember)
        .where(StaffMember.office_id == office.id)
        .order_by(ShiftPattern.weekday, ShiftPattern.start_local)
    ).all()
    exceptions = db.session.scalars(
        sa.select(ShiftException)
        .join(StaffMember)
        .where(
            StaffMember.office_id == office.id,
            ShiftException.date >= local_date(now(), office.zone),
        )
        .order_by(ShiftException.date)
    ).all()
    return render_template(
        "admin/shifts.html",
        office=office,
        pattern_form=pattern,
        exception_form=exception,
        patterns=patterns,
        exceptions=exceptions,
        weekdays=forms.weekday_names(),
    ), status


def _check_staff_and_counter(office, form) -> bool:
    """The chosen staff member and counter must belong to this office."""
    valid_staff = {m.id for m in _staff(office)}
    valid_counters = {c.id for c in _counters(office)}
    ok = True
    if form.staff_member_id.data not in valid_staff:
        form.staff_member_id.errors.append(_("Please choose a staff member of this office."))
        ok = False
    counter_id = form.counter_id.data
    if counter_id and counter_id not in valid_counters:
        form.counter_id.errors.append(_("Please choose a counter of this office."))
        ok = False
    return ok


@bp.route("/<int:office_id>/shifts", methods=["GET", "POST"])
@manager_required
def shifts(office_id):
    office = _office(office_id)
    pattern, exception = _shift_forms(office)
    which = request.form.get("form")
    if (
        which == "pattern"
        and pattern.validate_on_submit()
        and _check_staff_and_counter(office, pattern)
    ):

        def change():
            row = ShiftPattern()
            pattern.populate_obj(row)
            db.session.add(row)

        return _save_safely(office, change, _("The shift was added."), "admin.shifts")
    if (
        which == "exception"
        and exception.validate_on_submit()
        and _check_staff_and_counter(office, exception)
    ):

        def change():
            row = ShiftException(
                staff_member_id=exception.staff_member_id.data,
                date=exception.date.data,
                kind=exception.kind.data,
                counter_id=exception.counter_id.data or None,
                start_local=exception.start_local.data,
                end_local=exception.end_local.data,
                note=exception.note.data or "",
            )
            db.session.add(row)

        return _save_safely(
            office, change, _("The exception was added."), "admin.shifts", exception.note.data
        )
    failed = bool(pattern.errors or exception.errors)
    return _shift_page(office, pattern, exception, 422 if failed else 200)


@bp.route("/<int:office_id>/shifts/<int:pattern_id>", methods=["GET", "POST"])
@manager_required
def shift(office_id, pattern_id):
    """Edit a weekly shift (e.g. end it earlier): safe, like every loss of capacity."""
    office = _office(office_id)
    row = _owned(ShiftPattern, pattern_id, office)
    form = forms.ShiftPatternForm(obj=row)
    form.staff_member_id.choices = forms.choices((m.id, m.name) for m in _staff(office))
    form.counter_id.choices = forms.office_choices(
        ((c.id, c.name) for c in _counters(office)), options=True
    )
    if form.validate_on_submit() and _check_staff_and_counter(office, form):
        return _save_safely(
            office, lambda: form.populate_obj(row), _("The shift was saved."), "admin.shifts"
        )
    return _edit_page(office, form, _("Weekly shift"), "admin.shifts")


def _delete_safely(office_id: int, model, row_id: int, message: str, endpoint: str):
    """Remove a schedule row; like any loss of capacity, booked appointments are asked about."""
    office = _office(office_id)
    row = _owned(model, row_id, office)
    return _save_safely(office, lambda: db.session.delete(row), message, endpoint)


@bp.route("/<int:office_id>/shifts/<int:pattern_id>/delete", methods=["POST"])
@manager_required
def delete_shift(office_id, pattern_id):
    message = _("The shift was removed.")
    return _delete_safely(office_id, ShiftPattern, pattern_id, message, "admin.shifts")


@bp.route("/<int:office_id>/exceptions/<int:exception_id>/delete", methods=["POST"])
@manager_required
def delete_exception(office_id, exception_id):
    message = _("The exception was removed.")
    return _delete_safely(office_id, ShiftException, exception_id, message, "admin.shifts")


# -- closures and opening hours --------------------------------------------------------------


@bp.route("/<int:office_id>/closures", methods=["GET", "POST"])
@manager_required
def closures(office_id):
    office = _office(office_id)
    form = forms.ClosureForm()
    if form.validate_on_submit():

        def change():
            db.session.add(
                Closure(
                    office=office,
                    first_day=form.first_day.data,
                    last_day=form.last_day.data,
                    reason=form.reason.data or "",
                )
            )

        return _save_safely(
            office, change, _("The closure was saved."), "admin.closures", form.reason.data
        )
    rows = db.session.scalars(
        sa.select(Closure).where(Closure.office_id == office.id).order_by(Closure.first_day)
    ).all()
    return _form_page("admin/closures.html", office, form, closures=rows)


@bp.route("/<int:office_id>/closures/<int:closure_id>/delete", methods=["POST"])
@manager_required
def delete_closure(office_id, closure_id):
    office = _office(office_id)
    db.session.delete(_owned(Closure, closure_id, office))
    return _done(_("The closure was removed."), "admin.closures", office)


@bp.route("/<int:office_id>/hours", methods=["GET", "POST"])
@manager_required
def hours(office_id):
    office = _office(office_id)
    form = forms.OpeningHoursForm()
    if form.validate_on_submit():

        def change():
            row = OpeningHours(office=office)
            form.populate_obj(row)
            db.session.add(row)

        return _save_safely(office, change, _("The opening hours were saved."), "admin.hours")
    rows = db.session.scalars(
        sa.select(OpeningHours)
        .where(OpeningHours.office_id == office.id)
        .order_by(OpeningHours.weekday, OpeningHours.start_local)
    ).all()
    return _form_page("admin/hours.html", office, form, hours=rows, weekdays=forms.weekday_names())


@bp.route("/<int:office_id>/hours/<int:hours_id>/delete", methods=["POST"])
@manager_required
def delete_hours(office_id, hours_id):
    message = _("The opening hours were removed.")
    return _delete_safely(office_id, OpeningHours, hours_id, message, "admin.hours")


# -- booking rules ---------------------------------------------------------------------------


@bp.route("/<int:office_id>/rules", methods=["GET", "POST"])
@manager_required
def rules(office_id):
    office = _office(office_id)
    form = forms.RulesForm(obj=office)
    if form.validate_on_submit():
        # Rules shape new bookings only; booked appointments keep their times.
        form.populate_obj(office)
        return _done(_("The booking rules were saved."), "admin.rules", office)
    return _edit_page(office, form, _("Booking rules"), "admin.office")


# -- queue rules -----------------------------------------------------------------------------

QUEUE_FIELDS = (
    "early_minutes",
    "late_minutes",
    "late_policy",
    "max_calls",
    "walk_in_every",
    "walk_in_max_wait_minutes",
)


@bp.route("/<int:office_id>/queue", methods=["GET", "POST"])
@manager_required
def queue_settings(office_id):
    office = _office(office_id)
    settings = QueueSettings.for_office(office.id)
    form = forms.QueueSettingsForm(obj=settings)
    if form.validate_on_submit():
        # Rules apply from the next check-in or call; tickets in the queue keep their place.
        before = {name: getattr(settings, name) for name in QUEUE_FIELDS}
        form.populate_obj(settings)
        db.session.add(settings)
        changed = {
            name: [before[name], getattr(settings, name)]
            for name in QUEUE_FIELDS
            if before[name] != getattr(settings, name)
        }
        audit.record(current_staff(), "queue_settings", None, office_id=office.id, **changed)
        return _done(_("The queue rules were saved."), "admin.queue_settings", office)
    return _form_page("admin/queue.html", office, form, services=_services(office))


# -- audit log -------------------------------------------------------------------------------


@bp.route("/<int:office_id>/audit")
@manager_required
def audit_log(office_id):
    office = _office(office_id)
    form = forms.AuditFilterForm(request.args)
    form.action.choices = forms.choices([("", _("All actions")), *audit.action_labels().items()])
    valid = not request.args or form.validate()
    entries = []
    if valid:
        first, last = form.first.data, form.last.data
        entries = audit.entries(
            office.id,
            limit=500,
            actions=[form.action.data] if form.action.data else None,
            start_at=local_midnight(first, office.zone) if first else None,
            end_at=local_midnight(last + dt.timedelta(days=1), office.zone) if last else None,
        )
    return render_template("admin/audit.html", office=office, form=form, entries=entries), (
        200 if valid else 422
    )


# -- appointments ----------------------------------------------------------------------------


@bp.route("/<int:office_id>/appointments/<int:appointment_id>/cancel", methods=["POST"])
@manager_required
def cancel_appointment(office_id, appointment_id):
    office = _office(office_id)
    appointment = _owned(Appointment, appointment_id, office)
    cancel_by_office(appointment, current_staff(), now(), request.form.get("reason", ""))
    return _done(_("The appointment was cancelled."), "admin.office", office)


# -- calendar --------------------------------------------------------------------------------


@bp.route("/<int:office_id>/calendar")
@manager_required
def office_calendar(office_id):
    office = _office(office_id)
    when = now()
    day = parse_date(request.args["date"]) if request.args.get("date") else None
    day = day or local_date(when, office.zone)
    view = "week" if request.args.get("view") == "week" else "day"
    if view == "week":
        monday = day - dt.timedelta(days=day.weekday())
        days = [calendar.day_grid(office, monday + dt.timedelta(days=n), when) for n in range(7)]
    else:
        days = [calendar.day_grid(office, day, when)]
    step = dt.timedelta(days=7 if view == "week" else 1)
    return render_template(
        "admin/calendar.html",
        office=office,
        days=days,
        view=view,
        day=day,
        previous=day - step,
        following=day + step,
    )


# -- statistics ------------------------------------------------------------------------------


def _period(office):
    form = forms.PeriodForm(request.args)
    today = local_date(now(), office.zone)
    if not request.args:
        form.first.data, form.last.data = today - dt.timedelta(days=30), today
        return form, True
    return form, form.validate()


@bp.route("/<int:office_id>/statistics")
@manager_required
def statistics(office_id):
    office = _office(office_id)
    form, valid = _period(office)
    report = stats.report(office, form.first.data, form.last.data, now()) if valid else None
    return render_template(
        "admin/statistics.html",
        office=office,
        form=form,
        report=report,
        charts=_charts(report) if report else {},
        bin_labels=stats.bin_labels(),
    ), (200 if valid else 422)


def _charts(report) -> dict:
    labels = stats.bin_labels()
    return {
        "waiting": charts.bar_chart(
            _("Waiting time (arrival to call), minutes"),
            labels,
            report.waiting.overall.bins,
            chart_id="waiting",
        ),
        "service_time": charts.bar_chart(
            _("Service time (start to finish), minutes"),
            labels,
            report.service_time.overall.bins,
            chart_id="service-time",
        ),
        "waiting_by_hour": charts.bar_chart(
            _("Average waiting time by hour of arrival, minutes"),
            [f"{hour:02d}:00" for hour in report.waiting.by_hour],
            [round(d.mean or 0, 1) for d in report.waiting.by_hour.values()],
            chart_id="waiting-by-hour",
        ),
        "utilisation": charts.bar_chart(
            _("Counter utilisation, percent"),
            [u.counter.name for u in report.utilisation],
            [round(100 * (u.ratio or 0), 1) for u in report.utilisation],
            unit=" %",
            chart_id="utilisation",
            office_labels=True,
        ),
    }


@bp.route("/<int:office_id>/statistics.csv")
@manager_required
def statistics_csv(office_id):
    office = _office(office_id)
    form, valid = _period(office)
    if not valid:
        abort(400)
    report = stats.report(office, form.first.data, form.last.data, now())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "key", "count", "mean_minutes", *stats.bin_labels()])
    counts = report.counts
    for key in ("booked", "cancelled", "no_shows", "done", "walk_ins"):
        writer.writerow(["totals", key, getattr(counts, key), "", *[""] * len(stats.BINS), ""])
    for day, tally in counts.by_day.items():
        for key, value in sorted(tally.items()):
            writer.writerow([f"day:{key}", day.isoformat(), value, ""])
    for section, durations in (("waiting", report.waiting), ("service_time", report.service_time)):
        for service_id, dist in durations.by_service.items():
            name = report.services[service_id].name if service_id in report.services else service_id
            writer.writerow([f"{section}:service", name, dist.count, _round(dist.mean), *dist.bins])
        for hour, dist in durations.by_hour.items():
            writer.writerow(
                [f"{section}:hour", f"{hour:02d}", dist.count, _round(dist.mean), *dist.bins]
            )
    for u in report.utilisation:
        writer.writerow(
            ["utilisation", u.counter.name, round(u.booked_minutes), round(u.staffed_minutes)]
        )
    name = f"statistics-{office.slug}-{form.first.data}-{form.last.data}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _round(value):
    return "" if value is None else round(value, 1)


# -- data protection -------------------------------------------------------------------------


@bp.route("/<int:office_id>/privacy", methods=["GET", "POST"])
@manager_required
def privacy_page(office_id):
    office = _office(office_id)
    form = forms.CitizenForm()
    if form.validate_on_submit():
        scope = None if is_admin(current_staff()) else office.id
        if request.form.get("action") == "erase":
            count = privacy.erase(form.email.data, current_staff(), now(), scope)
            return _done(
                ngettext(
                    "The personal data of %(count)d appointment was erased.",
                    "The personal data of %(count)d appointments were erased.",
                    count,
                    count=count,
                ),
                "admin.privacy_page",
                office,
            )
        data = privacy.export(form.email.data, scope)
        audit.record(current_staff(), "export", None, at=now(), office_id=office.id)
        db.session.commit()
        return Response(
            json.dumps(data, ensure_ascii=False, indent=2),
            mimetype="application/json",
            headers={"Content-Disposition": 'attachment; filename="citizen-data.json"'},
        )
    return _form_page(
        "admin/privacy.html",
        office,
        form,
        retention_days=privacy.retention_days(),
        entries=audit.entries(office.id, limit=100),
    )
