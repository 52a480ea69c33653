"""Staff members who sign in with the city's accounts (OIDC, LDAP): their groups there decide
their municipality, offices and roles, again at every sign-in and re-check, so that a member
removed from a group loses its roles then. Flush, never commit.

A grant is {"municipality": slug, "office": slug or "*", "roles": [...]} (config.group_grants).
An account belongs to one municipality: the first one its grants name that exists; grants for
another municipality are ignored (and logged), so that one group cannot reach two tenants.
"""

from __future__ import annotations

import dataclasses
import logging

import sqlalchemy as sa

from terminvergabe import audit
from terminvergabe.booking import municipalities
from terminvergabe.booking.models import Office, OfficeMembership, Role, StaffMember
from terminvergabe.config import group_grants
from terminvergabe.db import db

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Identity:
    """Who the identity source says signed in. `external_id` is stable across renames."""

    source: str  # "oidc" | "ldap"
    external_id: str
    name: str
    groups: tuple[str, ...]


@dataclasses.dataclass
class Access:
    """What the grants of an identity's groups come to."""

    municipality_id: int | None = None
    admin: bool = False
    offices: dict[int, set[str]] = dataclasses.field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.admin and not any(self.offices.values())


def access_for(groups, mapping: dict, setting: str) -> Access:
    """The municipality, admin role and office roles the groups grant under `mapping`."""
    grants = group_grants(mapping, setting)
    result = Access()
    for group in groups:
        for grant in grants.get(group, ()):
            municipality = municipalities.by_slug(grant["municipality"])
            if municipality is None:
                log.warning(
                    "%s: group %r names no municipality %r", setting, group, grant["municipality"]
                )
                continue
            if result.municipality_id is None:
                result.municipality_id = municipality.id
            elif municipality.id != result.municipality_id:
                log.warning("%s: group %r names a second municipality; ignored", setting, group)
                continue
            roles = set(grant["roles"])
            if Role.ADMIN.value in roles:
                result.admin = True
            roles.discard(Role.ADMIN.value)
            if not roles:
                continue
            query = sa.select(Office.id).where(Office.municipality_id == municipality.id)
            if grant["office"] != "*":
                query = query.where(Office.slug == grant["office"])
            office_ids = db.session.scalars(query).all()
            if not office_ids:
                log.warning("%s: group %r names no office %r", setting, group, grant["office"])
            for office_id in office_ids:
                result.offices.setdefault(office_id, set()).update(roles)
    return result


def _order(roles) -> str:
    return ",".join(r.value for r in Role if r.value in roles)


def apply_access(staff: StaffMember, access: Access) -> dict:
    """Make the member's municipality and roles those of `access`; the changes, for the log."""
    before = {
        "roles": staff.roles,
        "offices": {m.office_id: m.roles for m in staff.memberships},
    }
    if access.municipality_id is not None:
        staff.municipality_id = access.municipality_id
    staff.roles = Role.ADMIN.value if access.admin else ""
    wanted = {office_id: _order(roles) for office_id, roles in access.offices.items() if roles}
    for membership in list(staff.memberships):
        if membership.office_id not in wanted:
            staff.memberships.remove(membership)
        else:
            membership.roles = wanted.pop(membership.office_id)
    for office_id, roles in wanted.items():
        staff.memberships.append(OfficeMembership(office_id=office_id, roles=roles))
    db.session.flush()
    after = {"roles": staff.roles, "offices": {m.office_id: m.roles for m in staff.memberships}}
    return {k: [before[k], after[k]] for k in before if before[k] != after[k]}


def find(identity_source: str, external_id: str) -> StaffMember | None:
    return db.session.scalar(
        sa.select(StaffMember).where(
            StaffMember.identity_source == identity_source,
            StaffMember.external_id == external_id,
        )
    )


def sign_in(identity: Identity, mapping: dict, setting: str) -> StaffMember | None:
    """The staff member for this identity, made or updated with the roles its groups grant;
    None when they grant nothing (or the member was deactivated here): the sign-in is refused,
    and an existing member loses every role."""
    access = access_for(identity.groups, mapping, setting)
    staff = find(identity.source, identity.external_id)
    if staff is None:
        if access.empty:
            return None
        staff = StaffMember(
            name=identity.name[:200] or identity.external_id[:200],
            identity_source=identity.source,
            external_id=identity.external_id,
            roles="",
            active=True,
        )
        db.session.add(staff)
        apply_access(staff, access)
        audit.record(
            identity.source,
            "staff_create",
            municipality_id=staff.municipality_id,
            subject=staff.name,
            roles=[None, _order(staff.role_set)],
        )
        return staff
    changes = apply_access(staff, Access() if access.empty else access)
    if identity.name and identity.name[:200] != staff.name:
        changes["name"] = [staff.name, identity.name[:200]]
        staff.name = identity.name[:200]
    if changes:
        audit.record(
            identity.source,
            "staff_change",
            municipality_id=staff.municipality_id,
            subject=staff.name,
            **{k: str(v) if k == "offices" else v for k, v in changes.items()},
        )
    if access.empty or not staff.active:
        return None
    return staff
