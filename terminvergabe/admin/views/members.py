"""Every staff member of a municipality, and the offices each works in with their roles there
(OfficeMembership); the municipality's administrator role. For its administrators only: an
office manager gives roles in their own office on the office's staff page (views/staff.py).

Leaving an office where one still has shifts is refused: the shifts page asks about the booked
appointments that would lose their counter, this page cannot."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template
from flask_babel import gettext as _

from terminvergabe import audit
from terminvergabe.admin import forms
from terminvergabe.admin.forms import city as city_forms
from terminvergabe.admin.views.common import (
    admin_required,
    bp,
    done,
    get_municipality,
    municipality_office,
    municipality_offices,
)
from terminvergabe.auth.access import current_staff, is_admin, is_operator
from terminvergabe.booking.models import (
    Counter,
    Municipality,
    Office,
    OfficeMembership,
    Role,
    ShiftException,
    ShiftPattern,
    StaffMember,
)
from terminvergabe.db import db
from terminvergabe.time import now


def municipality_staff(municipality: Municipality) -> list[StaffMember]:
    """Everyone of the municipality: its administrators and whoever works in one of its
    offices."""
    working = (
        sa.select(OfficeMembership.staff_member_id)
        .join(Office)
        .where(Office.municipality_id == municipality.id)
    )
    return db.session.scalars(
        sa.select(StaffMember)
        .where(
            sa.or_(
                StaffMember.municipality_id == municipality.id,
                StaffMember.id.in_(working),
            )
        )
        .order_by(StaffMember.name, StaffMember.id)
    ).all()


def _member(municipality: Municipality, member_id: int) -> StaffMember:
    member = db.session.get(StaffMember, member_id)
    if member is None or member not in municipality_staff(municipality):
        abort(404)
    return member


def _memberships(municipality: Municipality, member: StaffMember) -> list[OfficeMembership]:
    return sorted(
        (m for m in member.memberships if m.office.municipality_id == municipality.id),
        key=lambda m: m.office.name,
    )


def _has_shifts(member: StaffMember, office: Office) -> bool:
    """Whether the member is on the office's rota (weekly shifts or extra shifts)."""
    counters = sa.select(Counter.id).where(Counter.office_id == office.id)
    shifts = sa.select(ShiftPattern.id).where(
        ShiftPattern.staff_member_id == member.id, ShiftPattern.counter_id.in_(counters)
    )
    extras = sa.select(ShiftException.id).where(
        ShiftException.staff_member_id == member.id, ShiftException.counter_id.in_(counters)
    )
    return db.session.scalar(sa.select(sa.exists(shifts))) or db.session.scalar(
        sa.select(sa.exists(extras))
    )


def _membership_forms(municipality, member, add_form=None, edit_forms=None, admin_form=None):
    joined = _memberships(municipality, member)
    edit_forms = edit_forms or {}
    for membership in joined:
        if membership.office_id not in edit_forms:
            form = city_forms.MembershipForm(prefix=f"office-{membership.office_id}", formdata=None)
            form.roles.data = [r.value for r in membership.role_set]
            edit_forms[membership.office_id] = form
    if add_form is None:
        add_form = city_forms.MembershipForm(prefix="add", formdata=None)
    taken = {m.office_id for m in joined}
    add_form.office_id.choices = forms.office_choices(
        ((o.id, o.name) for o in municipality_offices(municipality) if o.id not in taken),
        options=True,
    )
    if admin_form is None:
        admin_form = city_forms.MunicipalityAdminForm(
            prefix="role", formdata=None, admin=is_admin(member)
        )
    return joined, edit_forms, add_form, admin_form


def _member_page(municipality, member, status=200, error="", **forms_given):
    joined, edit_forms, add_form, admin_form = _membership_forms(
        municipality, member, **forms_given
    )
    page = render_template(
        "admin/staff_member.html",
        municipality=municipality,
        office=None,
        member=member,
        memberships=joined,
        edit_forms=edit_forms,
        add_form=add_form,
        admin_form=admin_form,
        error=error,
    )
    return page, status


def _set_roles(member, office, municipality, roles: list[str]) -> None:
    """Add, change or (with no roles) end the member's work in `office`; logged per office."""
    membership = next((m for m in member.memberships if m.office_id == office.id), None)
    before = membership.roles if membership is not None else None
    value = ",".join(sorted(set(roles)))
    if membership is None:
        member.memberships.append(OfficeMembership(office=office, roles=value))
        action = "membership_create"
    elif not value:
        member.memberships.remove(membership)
        action = "membership_delete"
    else:
        membership.roles = value
        action = "membership_change"
    db.session.flush()
    audit.record(
        current_staff(),
        action,
        at=now(),
        office_id=office.id,
        municipality_id=municipality.id,
        subject=member.name,
        office=office.name,
        roles=[before or None, value or None],
    )


def _done(municipality, member, message):
    return done(
        message, "admin.municipality_member", municipality_id=municipality.id, member_id=member.id
    )


@bp.route("/m/<int:municipality_id>/staff")
@admin_required
def municipality_members(municipality_id):
    municipality = get_municipality(municipality_id)
    return render_template(
        "admin/staff_overview.html",
        municipality=municipality,
        office=None,
        members=municipality_staff(municipality),
        role_labels=city_forms.office_role_labels(),
    )


@bp.route("/m/<int:municipality_id>/staff/<int:member_id>")
@admin_required
def municipality_member(municipality_id, member_id):
    municipality = get_municipality(municipality_id)
    return _member_page(municipality, _member(municipality, member_id))


@bp.route("/m/<int:municipality_id>/staff/<int:member_id>/offices", methods=["POST"])
@admin_required
def membership_add(municipality_id, member_id):
    municipality = get_municipality(municipality_id)
    member = _member(municipality, member_id)
    form = city_forms.MembershipForm(prefix="add")
    _membership_forms(municipality, member, add_form=form)  # the offices it may choose
    if form.validate_on_submit():
        if not form.roles.data:
            form.roles.errors.append(_("Choose at least one role in this office."))
        else:
            office = municipality_office(municipality, form.office_id.data)
            _set_roles(member, office, municipality, form.roles.data)
            return _done(municipality, member, _("The staff member now works in this office."))
    return _member_page(municipality, member, 422, add_form=form)


@bp.route(
    "/m/<int:municipality_id>/staff/<int:member_id>/offices/<int:office_id>", methods=["POST"]
)
@admin_required
def membership_edit(municipality_id, member_id, office_id):
    municipality = get_municipality(municipality_id)
    member = _member(municipality, member_id)
    office = municipality_office(municipality, office_id)
    if office.id not in member.office_ids:
        abort(404)
    form = city_forms.MembershipForm(prefix=f"office-{office.id}")
    del form.office_id
    if not form.validate_on_submit():
        return _member_page(municipality, member, 422, edit_forms={office.id: form})
    if not form.roles.data and _has_shifts(member, office):
        message = _(
            "This staff member still has shifts in this office. Remove their shifts first;"
            " booked appointments are asked about there."
        )
        return _member_page(municipality, member, 409, error=message)
    _set_roles(member, office, municipality, form.roles.data or [])
    return _done(municipality, member, _("The roles were saved."))


@bp.route("/m/<int:municipality_id>/staff/<int:member_id>/admin", methods=["POST"])
@admin_required
def municipality_admin_role(municipality_id, member_id):
    municipality = get_municipality(municipality_id)
    member = _member(municipality, member_id)
    if is_operator(member):  # the installation's operator is nobody's to change here
        abort(403)
    form = city_forms.MunicipalityAdminForm(prefix="role")
    if not form.validate_on_submit():
        return _member_page(municipality, member, 422, admin_form=form)
    if member == current_staff() and not form.admin.data:
        message = _("You cannot take the administrator role from yourself.")
        return _member_page(municipality, member, 409, error=message)
    before = member.roles
    wanted = Role.ADMIN.value if form.admin.data else ""
    if before != wanted:
        member.roles = wanted
        if member.municipality_id is None:
            member.municipality = municipality  # never an operator of the whole installation
        db.session.flush()
        audit.record(
            current_staff(),
            "admin_role",
            at=now(),
            municipality_id=municipality.id,
            subject=member.name,
            roles=[before or None, wanted or None],
        )
    return _done(municipality, member, _("The administrator role was saved."))
