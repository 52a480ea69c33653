"""Staff of a municipality through the web admin: several offices with roles in each, the
administrator role, and what an office manager may not change."""

import sqlalchemy as sa

from terminvergabe.audit import AuditEntry
from terminvergabe.auth import operations
from terminvergabe.booking.models import (
    Offer,
    OfficeMembership,
    Role,
    Service,
    ShiftPattern,
    StaffMember,
)
from terminvergabe.db import db
from tests.auth.staff import PASSWORD


def test_staff_member_works_in_a_second_office(client, city, city_admin):
    municipality, office, nord = city
    clerk = db.session.scalar(
        sa.select(StaffMember).join(OfficeMembership).where(OfficeMembership.office_id == office.id)
    )
    base = f"/admin/m/{municipality.id}/staff"
    overview = client.get(base).get_data(as_text=True)
    assert clerk.name in overview and "Stadt Admin" in overview

    added = client.post(
        f"{base}/{clerk.id}/offices",
        data={"add-office_id": nord.id, "add-roles": ["clerk", "front_desk"]},
    )
    assert added.status_code == 302
    assert clerk.roles_in(nord.id) == {Role.CLERK, Role.FRONT_DESK}
    assert clerk.roles_in(office.id) == {Role.CLERK}
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "membership_create"))
    assert entry.office_id == nord.id and entry.details["roles"] == [None, "clerk,front_desk"]

    changed = client.post(
        f"{base}/{clerk.id}/offices/{nord.id}", data={f"office-{nord.id}-roles": ["office_manager"]}
    )
    assert changed.status_code == 302
    assert clerk.roles_in(nord.id) == {Role.OFFICE_MANAGER}

    # No role left: they leave the office (they have no shifts there).
    assert client.post(f"{base}/{clerk.id}/offices/{nord.id}", data={}).status_code == 302
    assert nord.id not in clerk.office_ids


def test_leaving_an_office_with_shifts_is_refused(client, city, city_admin):
    municipality, office, _nord = city
    shift = db.session.scalars(sa.select(ShiftPattern)).first()
    member = shift.staff_member
    response = client.post(
        f"/admin/m/{municipality.id}/staff/{member.id}/offices/{office.id}?lang=en", data={}
    )
    assert response.status_code == 409
    assert "still has shifts in this office" in response.get_data(as_text=True)
    assert office.id in member.office_ids


def test_municipality_admin_grants_the_administrator_role(client, city, city_admin):
    municipality, office, _nord = city
    clerk = db.session.scalar(
        sa.select(StaffMember).join(OfficeMembership).where(OfficeMembership.office_id == office.id)
    )
    path = f"/admin/m/{municipality.id}/staff/{clerk.id}/admin"
    assert client.post(path, data={"role-admin": "y"}).status_code == 302
    assert clerk.roles == "admin" and clerk.municipality_id == municipality.id
    refused = client.post(f"/admin/m/{municipality.id}/staff/{city_admin.id}/admin", data={})
    assert refused.status_code == 409 and city_admin.roles == "admin"


def test_office_manager_cannot_take_over_a_wider_account(client, city, manager_of_testamt):
    """A manager of one office changes roles there, not the login of someone who also works
    where they do not manage."""
    _municipality, office, nord = city
    member = operations.create_staff("beide", PASSWORD, "In Beiden", [Role.CLERK], office)
    member.memberships.append(OfficeMembership(office=nord, roles="clerk"))
    db.session.commit()
    password_hash = member.password_hash
    page = client.get(f"/admin/{office.id}/staff/{member.id}").get_data(as_text=True)
    assert 'name="password"' not in page and 'name="login"' not in page
    data = {"name": "Übernommen", "login": "beide", "password": "x" * 20, "roles": ["front_desk"]}
    assert client.post(f"/admin/{office.id}/staff/{member.id}", data=data).status_code == 302
    db.session.refresh(member)
    assert (member.name, member.password_hash) == ("In Beiden", password_hash)
    assert member.roles_in(office.id) == {Role.FRONT_DESK}
    assert member.roles_in(nord.id) == {Role.CLERK}


def test_skills_of_services_the_office_does_not_offer_are_kept(client, city, manager_of_testamt):
    _municipality, office, nord = city
    special = Service(municipality=office.municipality, name="Kfz-Zulassung")
    db.session.add(Offer(office=nord, service=special, duration_minutes=30))
    member = operations.create_staff("kfz", PASSWORD, "Kfz Kraft", [Role.CLERK], office)
    member.skills = [special]
    db.session.commit()
    data = {"name": member.name, "login": "kfz", "roles": ["clerk"], "active": "y", "skills": []}
    assert client.post(f"/admin/{office.id}/staff/{member.id}", data=data).status_code == 302
    db.session.refresh(member)
    assert [s.name for s in member.skills] == ["Kfz-Zulassung"]
