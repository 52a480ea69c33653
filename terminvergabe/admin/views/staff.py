"""Staff: the members of an office (name, login, their roles in this office, services,
password), and every staff member of a municipality with the offices they work in.

Office managers delegate within their office: they add people and give them roles there. The
account itself (name, login, password, active) of someone who also works in an office they do
not manage, or who administers the municipality, is not theirs to change: that would let them
take over a login with more rights than their own. The administrator role is the member's in
the whole municipality; only its administrators grant it."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template
from flask_babel import gettext as _

from terminvergabe import audit
from terminvergabe.admin import forms
from terminvergabe.admin.forms import city as city_forms
from terminvergabe.admin.operations import save_row
from terminvergabe.admin.views.common import (
    admin_required,
    bp,
    done,
    edit_page,
    form_page,
    get_municipality,
    get_office,
    manager_required,
    municipality_office,
    municipality_offices,
    office_offers,
    office_staff,
    owned,
    save_safely,
)
from terminvergabe.auth import operations as auth_operations
from terminvergabe.auth.access import (
    administers,
    current_staff,
    is_admin,
    is_operator,
    may_access_office,
)
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

ACCOUNT = ("name", "login", "password", "active")
MANAGED = frozenset({Role.OFFICE_MANAGER})


def may_change_account(actor: StaffMember, member: StaffMember | None, office: Office) -> bool:
    """Whether `actor` may change the member's name, login, password and active flag."""
    if member is None or administers(actor, office.municipality_id):
        return True
    if is_admin(member):
        return False
    return all(may_access_office(actor, m.office, MANAGED) for m in member.memberships)


def _staff_form(office, member=None):
    form = forms.StaffForm(obj=member)
    actor = current_staff()
    form.set_role_choices(may_grant_admin=is_admin(actor))
    if not may_change_account(actor, member, office):
        for name in ACCOUNT:
            del form[name]
    form.skills.choices = forms.office_choices(
        (o.service_id, o.name) for o in office_offers(office)
    )
    if member is not None and not form.is_submitted():
        form.skills.data = [s.id for s in member.skills]
        admin = [Role.ADMIN.value] if is_admin(member) else []
        form.roles.data = admin + [r.value for r in member.roles_in(office.id)]
        if "password" in form:
            form.password.data = ""
    return form


def _login_taken(form, member) -> bool:
    login = auth_operations.normalize_login(form.login.data or "") if "login" in form else ""
    if not login:
        return False
    other = db.session.scalar(sa.select(StaffMember).where(StaffMember.login == login))
    if other is not None and other is not member:
        form.login.errors.append(_("This login name is already taken."))
        return True
    return False


def _account_values(form) -> dict:
    if "name" not in form:
        return {}
    return {
        "name": form.name.data.strip(),
        "login": auth_operations.normalize_login(form.login.data or "") or None,
        "active": form.active.data,
    }


def _apply_staff(member: StaffMember | None, form, office: Office, action: str):
    """The change of a staff member, or of a new one for None."""

    def change():
        wanted = set(form.skills.data or [])
        chosen = set(form.roles.data or [])
        offered = {o.service_id: o.service for o in office_offers(office)}
        # Skills for services this office does not offer are another office's business.
        kept = [s for s in (member.skills if member else []) if s.id not in offered]
        values = {
            **_account_values(form),
            "skills": kept + [s for sid, s in offered.items() if sid in wanted],
        }
        row = member or StaffMember(municipality=office.municipality)
        facts = {"subject": values.get("name", row.name)}
        if is_admin(current_staff()):  # only they may grant or take the administrator role
            was, wanted = is_admin(row) if member else False, Role.ADMIN.value in chosen
            if was != wanted:
                row.roles = Role.ADMIN.value if wanted else ""
                facts["administrator"] = [was, wanted]
        membership = next((m for m in row.memberships if m.office_id == office.id), None)
        if membership is None:
            membership = OfficeMembership(office=office, roles="")
            row.memberships.append(membership)
        office_roles = ",".join(sorted(chosen - {Role.ADMIN.value}))
        if membership.roles != office_roles or member is None:
            facts["roles"] = [membership.roles or None, office_roles]
            membership.roles = office_roles
        if "password" in form and form.password.data:
            auth_operations.set_password(row, form.password.data)
            facts["password"] = audit.CHANGED  # never the password or its hash
        save_row(row, values, current_staff(), action, office.id, now(), **facts)

    return change


@bp.route("/<int:office_id>/staff", methods=["GET", "POST"])
@manager_required
def staff_members(office_id):
    office = get_office(office_id)
    form = _staff_form(office)
    if form.validate_on_submit() and not _login_taken(form, None):
        _apply_staff(None, form, office, "staff_create")()
        return done(_("The staff member was added."), "admin.staff_members", office)
    return form_page(
        "admin/staff.html",
        office,
        form,
        members=office_staff(office),
        role_labels={"admin": _("Administrator"), **city_forms.office_role_labels()},
        may_see_municipality=administers(current_staff(), office.municipality_id),
    )


@bp.route("/<int:office_id>/staff/<int:member_id>", methods=["GET", "POST"])
@manager_required
def staff_member(office_id, member_id):
    office = get_office(office_id)
    member = owned(StaffMember, member_id, office)
    form = _staff_form(office, member)
    if form.validate_on_submit() and not _login_taken(form, member):
        return save_safely(
            office,
            _apply_staff(member, form, office, "staff_change"),
            _("The staff member was saved."),
            "admin.staff_members",
        )
    return edit_page(
        office, form, _("Staff member %(name)s", name=member.name), "admin.staff_members"
    )


# -- the municipality's staff ------------------------------------------------------------------


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
