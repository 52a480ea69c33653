"""Staff members of an office: name, login, their roles in this office, services, password.
(Every staff member of the municipality and their offices: views/members.py.)

Office managers delegate within their office: they add people and give them roles there. The
account itself (name, login, password, active) of someone who also works in an office they do
not manage, or who administers the municipality, is not theirs to change: that would let them
take over a login with more rights than their own. The administrator role is the member's in
the whole municipality; only its administrators grant it."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from terminvergabe import audit
from terminvergabe.admin import forms
from terminvergabe.admin.forms import city as city_forms
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
from terminvergabe.auth.access import (
    administers,
    current_staff,
    is_admin,
    may_access_office,
)
from terminvergabe.booking.models import (
    Office,
    OfficeMembership,
    Role,
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
