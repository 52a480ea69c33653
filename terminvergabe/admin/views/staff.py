"""Staff members of an office: name, login, their roles in this office, services, password.
The administrator role is the member's in the whole municipality."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from terminvergabe import audit
from terminvergabe.admin import forms
from terminvergabe.admin.operations import save_row
from terminvergabe.admin.views.common import (
    bp,
    done,
    edit_page,
    form_page,
    get_office,
    manager_required,
    office_offers,
    office_staff,
    owned,
    save_safely,
)
from terminvergabe.auth import operations as auth_operations
from terminvergabe.auth.access import current_staff, is_admin
from terminvergabe.booking.models import Office, OfficeMembership, Role, StaffMember
from terminvergabe.db import db
from terminvergabe.time import now


def _staff_form(office, member=None):
    form = forms.StaffForm(obj=member)
    form.set_role_choices(may_grant_admin=is_admin(current_staff()))
    form.skills.choices = forms.office_choices(
        (o.service_id, o.name) for o in office_offers(office)
    )
    if member is not None and not form.is_submitted():
        form.skills.data = [s.id for s in member.skills]
        admin = [Role.ADMIN.value] if is_admin(member) else []
        form.roles.data = admin + [r.value for r in member.roles_in(office.id)]
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


def _apply_staff(member: StaffMember | None, form, office: Office, action: str):
    """The change of a staff member, or of a new one for None."""

    def change():
        wanted = set(form.skills.data or [])
        chosen = set(form.roles.data or [])
        values = {
            "name": form.name.data.strip(),
            "login": auth_operations.normalize_login(form.login.data or "") or None,
            "active": form.active.data,
            "skills": [o.service for o in office_offers(office) if o.service_id in wanted],
        }
        if is_admin(current_staff()):  # only they may grant or take the administrator role
            row_admin = Role.ADMIN.value if Role.ADMIN.value in chosen else ""
            if member is None or member.roles != row_admin:
                values["roles"] = row_admin
        row = member or StaffMember(municipality=office.municipality)
        facts = {"subject": values["name"]}
        membership = next((m for m in row.memberships if m.office_id == office.id), None)
        if membership is None:
            membership = OfficeMembership(office=office, roles="")
            row.memberships.append(membership)
        office_roles = ",".join(sorted(chosen - {Role.ADMIN.value}))
        if membership.roles != office_roles or member is None:
            facts["roles"] = [membership.roles or None, office_roles]
            membership.roles = office_roles
        if form.password.data:
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
    return form_page("admin/staff.html", office, form, members=office_staff(office))


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
