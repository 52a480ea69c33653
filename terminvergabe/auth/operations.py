"""Staff accounts and devices: create, authenticate, revoke. Flush, never commit.

Every change is in the audit log with its actor: a staff member, `audit.CLI` or, when no
actor is given, the system. Passwords and tokens never are: the entry says that they changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.security import check_password_hash, generate_password_hash

from terminvergabe import audit, events
from terminvergabe.auth.models import Device, DeviceKind
from terminvergabe.booking import municipalities
from terminvergabe.booking.models import Municipality, Office, OfficeMembership, Role, StaffMember
from terminvergabe.db import db
from terminvergabe.errors import DomainError

MIN_PASSWORD_LENGTH = 10

# Checked against when the login does not exist, so that an unknown login costs as much time as
# a wrong password and does not reveal which logins exist.
_DUMMY_HASH = generate_password_hash("not a password of anyone")


def _hash_password(password: str) -> str:
    """werkzeug's default (scrypt, slow on purpose). A TESTING app may name a cheap method in
    PASSWORD_HASH_METHOD, so that the tests' many accounts are made quickly; any other app
    ignores that setting."""
    method = current_app.config.get("PASSWORD_HASH_METHOD") if current_app.testing else None
    return generate_password_hash(password, **({"method": method} if method else {}))


def normalize_login(login: str) -> str:
    return login.strip().lower()


def set_password(staff: StaffMember, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            "weak_password",
            ngettext(
                "The password must have at least %(n)d character.",
                "The password must have at least %(n)d characters.",
                MIN_PASSWORD_LENGTH,
                n=MIN_PASSWORD_LENGTH,
            ),
            422,
        )
    staff.password_hash = _hash_password(password)


def create_staff(
    login: str,
    password: str,
    name: str,
    roles: list[Role] | tuple[Role, ...],
    office: Office | None = None,
    actor: StaffMember | str | None = None,
    municipality: Municipality | None = None,
) -> StaffMember:
    """A staff member with a login. ADMIN makes them an administrator of `municipality` (of the
    whole installation without one); the other roles are theirs in `office`."""
    login = normalize_login(login)
    if not login:
        raise DomainError("login_missing", _("Please enter a login name."), 422)
    if db.session.scalar(sa.select(StaffMember.id).where(StaffMember.login == login)):
        raise DomainError("login_taken", _("This login name is already taken."), 409)
    office_roles = [Role(r).value for r in roles if Role(r) != Role.ADMIN]
    if office is None and office_roles:
        raise DomainError("office_missing", _("Staff members other than admins need an office."))
    if municipality is None and office is not None:
        municipality = office.municipality
    staff = StaffMember(
        login=login,
        name=name,
        roles=Role.ADMIN.value if Role.ADMIN in roles else "",
        municipality=municipality,
        active=True,
    )
    if office is not None:
        staff.memberships.append(OfficeMembership(office=office, roles=",".join(office_roles)))
    set_password(staff, password)
    db.session.add(staff)
    db.session.flush()
    audit.record(
        actor,
        "staff_create",
        office_id=office.id if office is not None else None,
        municipality_id=staff.municipality_id,
        subject=name,
        login=[None, login],
        roles=[None, ",".join(Role(r).value for r in roles)],
        password=audit.CHANGED,
    )
    return staff


def change_password(
    staff: StaffMember, password: str, actor: StaffMember | str | None = None
) -> None:
    """A new password (which logs out the member's open sessions), in the audit log."""
    set_password(staff, password)
    audit.record(
        actor,
        "staff_change",
        municipality_id=staff.municipality_id,
        subject=staff.name,
        password=audit.CHANGED,
    )


def authenticate(login: str, password: str) -> StaffMember | None:
    """The active staff member with this login and password, or None (in constant-ish time)."""
    staff = local_account(login)
    if staff is None or not staff.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(staff.password_hash, password) or not staff.active:
        return None
    return staff


def local_account(login: str) -> StaffMember | None:
    """The account with a password here under this login (accounts of the city's identity
    provider have no login here)."""
    return db.session.scalar(
        sa.select(StaffMember).where(
            StaffMember.login == normalize_login(login), StaffMember.identity_source == "local"
        )
    )


def session_fingerprint(staff: StaffMember) -> str:
    """Stored in the session: changes when the password or the second factor changes, which
    logs out old sessions."""
    material = f"{staff.password_hash or ''} {staff.totp_secret or ''}"
    return hashlib.sha256(material.encode()).hexdigest()[:16]


# -- devices ---------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _audit_device(actor, action: str, device: Device, now: dt.datetime, **changes) -> None:
    audit.record(actor, action, at=now, office_id=device.office_id, subject=device.name, **changes)


def create_device(
    office: Office,
    kind: DeviceKind,
    name: str,
    now: dt.datetime,
    actor: StaffMember | str | None = None,
):
    """A new device and its token. The token is shown once; only its digest is kept."""
    token = secrets.token_urlsafe(32)
    device = Device(
        office=office,
        kind=DeviceKind(kind).value,
        name=name,
        token_hash=hash_token(token),
        created_at=now,
    )
    db.session.add(device)
    db.session.flush()
    _audit_device(actor, "device_create", device, now, kind=[None, device.kind])
    return device, token


def rename_device(
    device: Device, name: str, now: dt.datetime, actor: StaffMember | str | None = None
) -> Device:
    old, device.name = device.name, name
    db.session.flush()
    _audit_device(actor, "device_rename", device, now, name=[old, name])
    return device


def renew_device_token(
    device: Device, now: dt.datetime, actor: StaffMember | str | None = None
) -> str:
    """A new token for a device (the old one stops working at once); shown once."""
    if device.is_revoked:
        raise DomainError("device_revoked", _("This device is already revoked."), 409)
    token = secrets.token_urlsafe(32)
    device.token_hash = hash_token(token)
    db.session.flush()
    _audit_device(actor, "device_token", device, now, token=audit.CHANGED)
    events.announce(device.office_id, "device", device_id=device.id, revoked=True)
    return token


def revoke_device(
    device: Device, now: dt.datetime, actor: StaffMember | str | None = None
) -> Device:
    if not device.can_revoke():
        raise DomainError("device_revoked", _("This device is already revoked."), 409)
    device.revoked_at = now
    db.session.flush()
    _audit_device(actor, "device_revoke", device, now)
    # Its open screens end at once (counter/live.py), in every process.
    events.announce(device.office_id, "device", device_id=device.id, revoked=True)
    return device


def find_device(token: str, kind: DeviceKind | None = None) -> Device | None:
    """The active device with this token, or None. Compares digests in constant time."""
    if not token or len(token) > 100:
        return None
    digest = hash_token(token)
    device = db.session.scalar(sa.select(Device).where(Device.token_hash == digest))
    if device is None or not hmac.compare_digest(device.token_hash, digest):
        return None
    if device.is_revoked or (kind is not None and device.kind != kind):
        return None
    if not municipalities.shown_here(device.office.municipality_id):
        return None  # a screen of another municipality, pointed at this one's host name
    return device
